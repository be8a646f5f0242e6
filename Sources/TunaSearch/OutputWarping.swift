#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A monotone warp of the losses before the GP sees them: standardise, then a Yeo–Johnson power
/// transform with its λ chosen by maximum likelihood (as HEBO does), then standardise again.
///
/// Losses of real objectives and of the suite's ill-conditioned functions are heavy-tailed: a
/// few configurations are orders of magnitude worse than the rest. Standardised as they are,
/// those few set the scale, everything near the optimum looks flat, the fitted lengthscales
/// collapse and expected improvement chases the variance far from the data, which sits on the
/// bounds of the box. The warp is monotone, so the ranking (and the incumbent) is unchanged;
/// a λ near 1 leaves well-behaved losses almost as they were.
enum OutputWarping {
    static func yeoJohnson(_ y: Double, _ lambda: Double) -> Double {
        if y >= 0 {
            return abs(lambda) < 1e-8 ? log1p(y) : (pow(y + 1, lambda) - 1) / lambda
        }
        let l2 = 2 - lambda
        return abs(l2) < 1e-8 ? -log1p(-y) : -(pow(1 - y, l2) - 1) / l2
    }

    /// Standardised values: zero mean, unit variance (a constant sample is left at zero).
    static func standardise(_ y: [Double]) -> [Double] {
        let n = Double(y.count)
        let mean = y.reduce(0, +) / n
        var v = 0.0
        for x in y { v += (x - mean) * (x - mean) }
        let sd = (v / n).squareRoot()
        return y.map { sd > 1e-300 ? ($0 - mean) / sd : 0 }
    }

    /// The profile log-likelihood of λ for standardised `z` (Yeo and Johnson, 2000).
    static func logLikelihood(_ z: [Double], _ lambda: Double) -> Double {
        let t = z.map { yeoJohnson($0, lambda) }
        let n = Double(t.count)
        let mean = t.reduce(0, +) / n
        var v = 0.0
        for x in t { v += (x - mean) * (x - mean) }
        v /= n
        guard v > 1e-300, v.isFinite else { return -.infinity }
        var jacobian = 0.0
        for x in z { jacobian += (x >= 0 ? 1 : -1) * log1p(abs(x)) }
        return -0.5 * n * log(v) + (lambda - 1) * jacobian
    }

    /// The warped, standardised losses and the λ used (λ on a grid over [−2, 2]).
    static func warp(_ y: [Double]) -> (values: [Double], lambda: Double) {
        let z = standardise(y)
        guard z.count >= 3 else { return (z, 1) }
        var best = (lambda: 1.0, value: logLikelihood(z, 1))
        for k in 0...40 {
            let lambda = -2 + 0.1 * Double(k)
            let v = logLikelihood(z, lambda)
            if v > best.value { best = (lambda, v) }
        }
        return (standardise(z.map { yeoJohnson($0, best.lambda) }), best.lambda)
    }
}
