/// Per-image contrast preprocessing (`--preprocess`), applied to the resampled 3×S×S image in [0, 1] before
/// colour jitter and normalisation, in training and evaluation alike. As in the multi-column committee that
/// won GTSRB (Cireşan et al. 2012), members trained on differently preprocessed images make different
/// mistakes, which is what a committee needs. Both change only the luma Y = 0.299 R + 0.587 G + 0.114 B.
public enum Preprocessing: String, CaseIterable, Codable, Sendable {
    /// The image as sampled.
    case none
    /// Histogram equalisation of the luma: Y' = (cdf(Y) − cdf_min) / (n − cdf_min) over 256 levels, and
    /// Y' − Y added to R, G and B (the chroma of YCbCr is kept), clamped to [0, 1].
    case equalize
    /// Contrast stretch (MATLAB's imadjust): the 1st and 99th percentiles of the luma go to 0 and 1, the same
    /// linear map applied to R, G and B, clamped to [0, 1].
    case stretch

    /// Preprocesses planar RGB `img` (3 planes of `plane` values in [0, 1]) in place; allocates nothing.
    public func apply(_ img: UnsafeMutablePointer<Float>, plane: Int) {
        guard self != .none, plane > 0 else { return }
        let r = img
        let g = img + plane
        let b = img + 2 * plane
        @inline(__always) func luma(_ i: Int) -> Float { 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i] }
        @inline(__always) func level(_ y: Float) -> Int { min(255, max(0, Int(y * 255 + 0.5))) }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { cdf in
            cdf.initialize(repeating: 0)
            for i in 0..<plane { cdf[level(luma(i))] += 1 }
            for k in 1..<256 { cdf[k] += cdf[k - 1] }
            switch self {
            case .none: break
            case .equalize:
                let lowest = cdf.first { $0 > 0 } ?? 0
                guard plane > lowest else { return }  // one grey level: nothing to spread
                let scale = 1 / Float(plane - lowest)
                for i in 0..<plane {
                    let y = luma(i)
                    let d = Float(cdf[level(y)] - lowest) * scale - y
                    r[i] = min(max(r[i] + d, 0), 1)
                    g[i] = min(max(g[i] + d, 0), 1)
                    b[i] = min(max(b[i] + d, 0), 1)
                }
            case .stretch:
                // The smallest levels whose cumulative counts reach 1 % and 99 % of the pixels.
                let loCount = max(1, plane / 100)
                let hiCount = max(1, plane - plane / 100)
                let lo = Float(cdf.firstIndex { $0 >= loCount } ?? 0) / 255
                let hi = Float(cdf.firstIndex { $0 >= hiCount } ?? 255) / 255
                guard hi - lo >= 1.0 / 255 else { return }
                let scale = 1 / (hi - lo)
                for i in 0..<3 * plane { img[i] = min(max((img[i] - lo) * scale, 0), 1) }
            }
        }
    }
}
