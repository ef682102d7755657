/// torch/optim `lbfgs` without line search: up to `maxIter` iterations per call of limited-memory BFGS
/// (two-loop recursion over the last `nCorrection` step/gradient-change pairs), a fixed step
/// `learningRate` (the first iteration ever: min(1, 1/|g|₁)·lr), stopping on tolFun / tolX as Torch does.
public final class LBFGS: Optimizer {
    public let name = "lbfgs"
    public var learningRate: Float
    public let maxIter: Int, maxEval: Int, tolFun: Double, tolX: Double, nCorrection: Int

    private var funcEval = 0, nIterTotal = 0
    private var d: [Float] = [], gOld: [Float] = []
    private var t: Float = 0, hDiag: Double = 1, fOld: Float = 0
    /// Steps s and gradient changes y of the last iterations, oldest first.
    private var oldDirs: [[Float]] = [], oldStps: [[Float]] = []

    public init(
        learningRate: Float = 1, maxIter: Int = 20, maxEval: Int? = nil, tolFun: Double = 1e-5,
        tolX: Double = 1e-9, nCorrection: Int = 100
    ) {
        self.learningRate = learningRate
        self.maxIter = maxIter
        self.maxEval = maxEval ?? Int(Double(maxIter) * 1.25)
        self.tolFun = tolFun
        self.tolX = tolX
        self.nCorrection = nCorrection
    }

    private static func abssum(_ v: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s += Double(abs(v[i])) }
        return s
    }

    @discardableResult
    public func step(_ x: Tensor, _ feval: FEval) -> [Float] {
        let n = x.count
        var (f, gT) = feval(x)
        var g = gT.array
        var fHist = [f]
        var currentFuncEval = 1
        funcEval += 1
        if g.withUnsafeMutableBufferPointer({ LBFGS.abssum($0.baseAddress!, n) }) <= tolFun { return fHist }

        var nIter = 0
        while nIter < maxIter {
            nIter += 1
            nIterTotal += 1
            if nIterTotal == 1 {
                d = g.map { -$0 }
                oldDirs = []
                oldStps = []
                hDiag = 1
            } else {
                var y = [Float](repeating: 0, count: n)
                var s = [Float](repeating: 0, count: n)
                var ys = 0.0
                var yy = 0.0
                for i in 0..<n {
                    y[i] = g[i] - gOld[i]
                    s[i] = d[i] * t
                    ys += Double(y[i]) * Double(s[i])
                    yy += Double(y[i]) * Double(y[i])
                }
                if ys > 1e-10 {
                    if oldDirs.count == nCorrection {
                        oldDirs.removeFirst()
                        oldStps.removeFirst()
                    }
                    oldDirs.append(s)
                    oldStps.append(y)
                    hDiag = ys / yy
                }
                // Two-loop recursion: d = −H·g.
                let k = oldDirs.count
                var ro = [Double](repeating: 0, count: k)
                var al = [Double](repeating: 0, count: k)
                for i in 0..<k { ro[i] = 1 / LBFGS.dotArrays(oldStps[i], oldDirs[i]) }
                var q = g.map { -Double($0) }
                for i in stride(from: k - 1, through: 0, by: -1) {
                    var sq = 0.0
                    for j in 0..<n { sq += Double(oldDirs[i][j]) * q[j] }
                    al[i] = sq * ro[i]
                    for j in 0..<n { q[j] -= al[i] * Double(oldStps[i][j]) }
                }
                var r = q.map { $0 * hDiag }
                for i in 0..<k {
                    var yr = 0.0
                    for j in 0..<n { yr += Double(oldStps[i][j]) * r[j] }
                    let be = yr * ro[i]
                    for j in 0..<n { r[j] += (al[i] - be) * Double(oldDirs[i][j]) }
                }
                d = r.map { Float($0) }
            }
            gOld = g
            fOld = f
            let gtd = LBFGS.dotArrays(g, d)
            if gtd > -tolX { break }
            if nIterTotal == 1 {
                let gs = g.withUnsafeMutableBufferPointer { LBFGS.abssum($0.baseAddress!, n) }
                t = Float(min(1, 1 / gs)) * learningRate
            } else {
                t = learningRate
            }
            let xp = x.data
            for i in 0..<n { xp[i] += t * d[i] }
            var lsFuncEval = 0
            if nIter != maxIter {
                (f, gT) = feval(x)
                g = gT.array
                fHist.append(f)
                lsFuncEval = 1
            }
            currentFuncEval += lsFuncEval
            funcEval += lsFuncEval
            if nIter == maxIter || currentFuncEval >= maxEval { break }
            if g.withUnsafeMutableBufferPointer({ LBFGS.abssum($0.baseAddress!, n) }) <= tolFun { break }
            var dt = 0.0
            for i in 0..<n { dt += Double(abs(d[i] * t)) }
            if dt <= tolX { break }
            if abs(Double(f) - Double(fOld)) < tolX { break }
        }
        return fHist
    }

    private static func dotArrays(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in 0..<min(a.count, b.count) { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    public var state: OptimizerState {
        get {
            var s = OptimizerState(
                scalars: [
                    "funcEval": Double(funcEval), "nIter": Double(nIterTotal), "t": Double(t),
                    "Hdiag": hDiag, "f_old": Double(fOld), "history": Double(oldDirs.count),
                ],
                tensors: ["d": d, "g_old": gOld])
            for (i, (sd, y)) in zip(oldDirs, oldStps).enumerated() {
                s.tensors["old_dirs.\(i)"] = sd
                s.tensors["old_stps.\(i)"] = y
            }
            return s
        }
        set {
            funcEval = Int(newValue.scalars["funcEval"] ?? 0)
            nIterTotal = Int(newValue.scalars["nIter"] ?? 0)
            t = Float(newValue.scalars["t"] ?? 0)
            hDiag = newValue.scalars["Hdiag"] ?? 1
            fOld = Float(newValue.scalars["f_old"] ?? 0)
            d = newValue.tensors["d"] ?? []
            gOld = newValue.tensors["g_old"] ?? []
            let h = Int(newValue.scalars["history"] ?? 0)
            oldDirs = (0..<h).map { newValue.tensors["old_dirs.\($0)"] ?? [] }
            oldStps = (0..<h).map { newValue.tensors["old_stps.\($0)"] ?? [] }
        }
    }
}
