import CKernels
import XCTest

@testable import TorchNN

/// The engine's packed SGEMM (CKernels) at each width this CPU runs, against a double-precision reference and
/// OpenBLAS: every transpose, edge tiles in m, n and k, blocks of k and n past one packed block, padded leading
/// dimensions, alpha and beta (beta = 0 must not read C); and the kernel choice.
final class SGEMMTests: XCTestCase {
    /// One GEMM's operands, with leading dimensions padded past the matrices.
    private struct Problem {
        let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float
        var lda: Int { (transA ? m : k) + 3 }
        var ldb: Int { (transB ? k : n) + 5 }
        var ldc: Int { n + 2 }
        var aCount: Int { (transA ? k : m) * lda }
        var bCount: Int { (transB ? n : k) * ldb }
        var cCount: Int { m * ldc }
    }

    /// Widths of the engine's SGEMM that this CPU can run (16: AVX-512, 8: AVX2 + FMA).
    private var widths: [Int] { [16, 8].filter { $0 <= gd_sgemm_width() } }

    /// C from `width`'s kernel (0: OpenBLAS) on `problem`, with C's start value `c0`.
    private func run(_ p: Problem, width: Int, a: [Float], b: [Float], c0: [Float]) -> [Float] {
        var c = c0
        c.withUnsafeMutableBufferPointer { c in
            if width == 0 {
                let inUse = BLAS.gemmKernel
                BLAS.gemmKernel = .openBLAS
                BLAS.gemm(
                    transA: p.transA, transB: p.transB, m: p.m, n: p.n, k: p.k, alpha: p.alpha, a: a, lda: p.lda,
                    b: b, ldb: p.ldb, beta: p.beta, c: c.baseAddress!, ldc: p.ldc)
                BLAS.gemmKernel = inUse
            } else {
                gd_sgemm_at_width(
                    Int32(width), p.transA ? 1 : 0, p.transB ? 1 : 0, Int32(p.m), Int32(p.n), Int32(p.k), p.alpha, a,
                    Int32(p.lda), b, Int32(p.ldb), p.beta, c.baseAddress!, Int32(p.ldc))
            }
        }
        return c
    }

    /// Checks every width against the double reference (and OpenBLAS) on `p`: the entries of C within
    /// 1e-5 of Σ|a·b|, C's padding untouched; with beta = 0, C starts as NaN, which must not reach the result.
    private func check(_ p: Problem, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomGenerator(seed: seed)
        let a = (0..<p.aCount).map { _ in rng.uniform(-1, 1) }
        let b = (0..<p.bCount).map { _ in rng.uniform(-1, 1) }
        let c0 = (0..<p.cCount).map { i in p.beta == 0 && i % p.ldc < p.n ? Float.nan : rng.uniform(-1, 1) }
        let results =
            widths.map { ($0, run(p, width: $0, a: a, b: b, c0: c0)) } + [(0, run(p, width: 0, a: a, b: b, c0: c0))]
        let what = "\(p.transA ? "T" : "N")\(p.transB ? "T" : "N") m \(p.m) n \(p.n) k \(p.k) beta \(p.beta)"
        for i in 0..<p.m {
            for j in 0..<p.ldc {
                let index = i * p.ldc + j
                guard j < p.n else {
                    for (width, c) in results where c[index] != c0[index] {
                        XCTFail("\(what): width \(width) wrote C's padding at \(i),\(j)", file: file, line: line)
                        return
                    }
                    continue
                }
                var sum = 0.0
                var magnitude = 0.0
                for q in 0..<p.k {
                    let x = Double(p.transA ? a[q * p.lda + i] : a[i * p.lda + q])
                    let y = Double(p.transB ? b[j * p.ldb + q] : b[q * p.ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let start = p.beta == 0 ? 0 : Double(p.beta) * Double(c0[index])
                let expected = Double(p.alpha) * sum + start
                let bound = 1e-5 * (Double(abs(p.alpha)) * magnitude + abs(start)) + 1e-6
                for (width, c) in results where !(abs(Double(c[index]) - expected) <= bound) {
                    XCTFail(
                        "\(what): width \(width) C[\(i)][\(j)] = \(c[index]), expected \(expected)", file: file,
                        line: line)
                    return
                }
            }
        }
    }

    func testEveryTransposeAndEdgeTileAgainstAReference() throws {
        try XCTSkipIf(widths.isEmpty, "this CPU has neither AVX2 + FMA nor AVX-512")
        // Sizes around the micro-tiles (6 or 8 rows, 16 or 32 columns), one-vector edge panels, and op(B) = Bᵀ with
        // few rows of C (computed as Cᵀ) and more.
        let sizes = [
            (1, 1, 1), (5, 7, 3), (8, 32, 9), (9, 33, 17), (13, 16, 40), (16, 48, 2), (24, 17, 31), (7, 64, 5),
            (40, 70, 20),
        ]
        var seed: UInt64 = 1
        for (m, n, k) in sizes {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (1.5, 1), (-0.5, 0.25)] {
                        seed += 1
                        check(
                            Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta),
                            seed: seed)
                    }
                }
            }
        }
    }

    func testBlocksOfKAndNPastOnePackedBlock() throws {
        try XCTSkipIf(widths.isEmpty, "this CPU has neither AVX2 + FMA nor AVX-512")
        // k > 256 (the packed depth) with beta ≠ 1, so the second block must add to the first's C; n > 1024, and
        // the engine's own shapes: a Winograd tile GEMM, its weight gradient, the Linear layer's.
        check(Problem(transA: false, transB: true, m: 9, n: 1030, k: 300, alpha: 1, beta: 0.5), seed: 90)
        check(Problem(transA: true, transB: false, m: 20, n: 70, k: 520, alpha: 2, beta: 0), seed: 91)
        check(Problem(transA: false, transB: false, m: 64, n: 252, k: 32, alpha: 1, beta: 0), seed: 92)
        check(Problem(transA: false, transB: true, m: 64, n: 32, k: 252, alpha: 1, beta: 1), seed: 93)
        check(Problem(transA: false, transB: true, m: 16, n: 512, k: 600, alpha: 1, beta: 0), seed: 94)
    }

    func testNothingToMultiplyScalesC() throws {
        try XCTSkipIf(widths.isEmpty, "this CPU has neither AVX2 + FMA nor AVX-512")
        check(Problem(transA: false, transB: false, m: 3, n: 5, k: 0, alpha: 1, beta: 0.5), seed: 7)
        check(Problem(transA: false, transB: false, m: 3, n: 5, k: 0, alpha: 1, beta: 0), seed: 8)
        check(Problem(transA: false, transB: false, m: 3, n: 5, k: 4, alpha: 0, beta: 2), seed: 9)
    }

    /// The engine's AVX-512 SGEMM where the CPU has AVX-512 and OpenBLAS's kernels lack it, `mixed` where both have
    /// it; GTSRB_GEMM overrides, but never with a kernel the CPU cannot run.
    func testTheKernelChoice() {
        let avx512 = gd_sgemm_width() >= 16
        XCTAssertEqual(
            BLAS.defaultGemmKernel(requested: nil, openBLASCore: "Haswell"), avx512 ? .engineAVX512 : .openBLAS)
        XCTAssertEqual(BLAS.defaultGemmKernel(requested: nil, openBLASCore: "Cooperlake"), avx512 ? .mixed : .openBLAS)
        XCTAssertEqual(BLAS.defaultGemmKernel(requested: "mixed", openBLASCore: "Zen"), avx512 ? .mixed : .openBLAS)
        XCTAssertTrue(BLAS.isSkinny(m: 16, n: 512, k: 4608))
        XCTAssertTrue(BLAS.isSkinny(m: 32, n: 2304, k: 27))
        XCTAssertFalse(BLAS.isSkinny(m: 32, n: 256, k: 32))
        XCTAssertEqual(BLAS.defaultGemmKernel(requested: "openblas", openBLASCore: "Haswell"), .openBLAS)
        XCTAssertEqual(
            BLAS.defaultGemmKernel(requested: "AVX512", openBLASCore: "Cooperlake"), avx512 ? .engineAVX512 : .openBLAS)
        XCTAssertEqual(
            BLAS.defaultGemmKernel(requested: "bogus", openBLASCore: "Haswell"),
            BLAS.defaultGemmKernel(requested: nil, openBLASCore: "Haswell"))
        if gd_sgemm_width() >= 8 {
            XCTAssertEqual(BLAS.defaultGemmKernel(requested: "avx2", openBLASCore: "Haswell"), .engineAVX2)
        }
    }

    /// A training step of vgg_small (Winograd, im2col and Linear GEMMs) gives the same loss and gradients whichever
    /// kernel runs the GEMMs.
    func testAModelsGradientsDoNotDependOnTheKernel() throws {
        try XCTSkipIf(widths.isEmpty, "this CPU has neither AVX2 + FMA nor AVX-512")
        let kernels = [BLAS.GemmKernel.openBLAS, widths.first == 16 ? .engineAVX512 : .engineAVX2]
        let inUse = BLAS.gemmKernel
        defer { BLAS.gemmKernel = inUse }
        let gradients = kernels.map { kernel -> [Float] in
            BLAS.gemmKernel = kernel
            var rng = RandomGenerator(seed: 31)
            let model = VGGSmall.make(classes: 43, stageDropout: nil, rng: &rng)
            let (_, grads) = model.getParameters()
            model.training()
            let x = GradientChecker.random(Shape(4, 3, 48, 48), &rng)
            let y = model.forward(x)
            let gradOutput = GradientChecker.random(y.shape, &rng)
            grads.fill(0)
            _ = model.backward(x, gradOutput)
            return Array(UnsafeBufferPointer(start: grads.data, count: grads.count))
        }
        var worst: Float = 0
        var scale: Float = 0
        for i in 0..<gradients[0].count {
            worst = max(worst, abs(gradients[0][i] - gradients[1][i]))
            scale = max(scale, abs(gradients[0][i]))
        }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(worst, 1e-4 * scale, "\(kernels[1]) vs OpenBLAS")
    }
}
