#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kernel hyperparameters of the GP: one inverse squared lengthscale per input (ARD), the
/// signal variance and the observation-noise variance.
public struct GPHyperparameters: Sendable, Hashable, Codable {
    public var inverseSquaredLengthscales: [Double]
    public var signalVariance: Double
    public var noiseVariance: Double

    public init(inverseSquaredLengthscales: [Double], signalVariance: Double, noiseVariance: Double) {
        self.inverseSquaredLengthscales = inverseSquaredLengthscales
        self.signalVariance = signalVariance
        self.noiseVariance = noiseVariance
    }
}

/// Matérn-5/2 as a function of the weighted squared distance r² = Σ wₖ (xₖ − x'ₖ)².
enum Matern52 {
    /// m(r²) = (1 + s + s²/3) e^{−s}, s = √(5 r²).
    @inline(__always)
    static func value(_ r2: Double) -> Double {
        let s = (5 * max(r2, 0)).squareRoot()
        return (1 + s + s * s / 3) * exp(-s)
    }

    /// dm/d(r²) = −(5/6)(1 + s) e^{−s}: finite at r = 0, which keeps gradients clean.
    @inline(__always)
    static func derivative(_ r2: Double) -> Double {
        let s = (5 * max(r2, 0)).squareRoot()
        return -(5.0 / 6.0) * (1 + s) * exp(-s)
    }
}

/// A Gaussian process regression model with a Matérn-5/2 ARD kernel, in float64.
///
/// Inputs are rows of `x` (row-major, n × d). Categorical inputs hold a choice index and
/// contribute `wₖ · [xₖ ≠ x'ₖ]` to r² (a Hamming-type distance, as Optuna's GP does), so one
/// lengthscale per categorical parameter is learned instead of one per choice. The model is
/// conditioned once (Cholesky of K + σₙ²I); predictions are of the latent function (no noise).
struct GaussianProcess: Sendable {
    let n: Int
    let d: Int
    let x: [Double]
    /// The observations conditioned on (kept so a model can be rebuilt with more of them).
    let y: [Double]
    let categorical: [Bool]
    let hyper: GPHyperparameters
    let cholesky: Cholesky
    /// (K + σₙ²I)⁻¹ y.
    let alpha: [Double]

    init(x: [Double], y: [Double], dimensions d: Int, categorical: [Bool], hyper: GPHyperparameters) throws {
        let n = y.count
        self.n = n
        self.d = d
        self.x = x
        self.y = y
        self.categorical = categorical
        self.hyper = hyper
        var k = [Double](repeating: 0, count: n * n)
        let w = hyper.inverseSquaredLengthscales
        for i in 0..<n {
            k[i * n + i] = hyper.signalVariance + hyper.noiseVariance
            for j in 0..<i {
                var r2 = 0.0
                for c in 0..<d {
                    let a = x[i * d + c], b = x[j * d + c]
                    r2 += w[c] * (categorical[c] ? (a == b ? 0 : 1) : (a - b) * (a - b))
                }
                let v = hyper.signalVariance * Matern52.value(r2)
                k[j * n + i] = v
                k[i * n + j] = v
            }
        }
        cholesky = try Cholesky(k, n: n)
        alpha = cholesky.solve(y)
    }

    /// Weighted squared distances from `p` to every training input.
    @inline(__always)
    func squaredDistances(_ p: UnsafeBufferPointer<Double>) -> [Double] {
        let w = hyper.inverseSquaredLengthscales
        var r2 = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xs in
            for i in 0..<n {
                var s = 0.0
                let row = i * d
                for c in 0..<d {
                    let diff = p[c] - xs[row + c]
                    s += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
                }
                r2[i] = s
            }
        }
        return r2
    }

    /// Posterior mean and variance of the latent function at `p`.
    func predict(_ p: [Double]) -> (mean: Double, variance: Double) {
        let r2 = p.withUnsafeBufferPointer { squaredDistances($0) }
        var kv = r2.map { hyper.signalVariance * Matern52.value($0) }
        var mean = 0.0
        for i in 0..<n { mean += kv[i] * alpha[i] }
        cholesky.solveLower(&kv)
        var q = 0.0
        for v in kv { q += v * v }
        return (mean, max(hyper.signalVariance - q, 1e-12 * hyper.signalVariance))
    }

    /// Means and variances at `m` points (row-major m × d), with one triangular solve for all.
    func predict(batch points: [Double], count m: Int) -> (mean: [Double], variance: [Double]) {
        var kStar = [Double](repeating: 0, count: n * m)  // column j = k(x_j*)
        let w = hyper.inverseSquaredLengthscales
        let sv = hyper.signalVariance
        let anyCategorical = categorical.contains(true)
        points.withUnsafeBufferPointer { pts in
            x.withUnsafeBufferPointer { xs in
                kStar.withUnsafeMutableBufferPointer { ks in
                    for j in 0..<m {
                        let p = j * d
                        for i in 0..<n {
                            var r2 = 0.0
                            let row = i * d
                            if anyCategorical {
                                for c in 0..<d {
                                    let diff = pts[p + c] - xs[row + c]
                                    r2 += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
                                }
                            } else {
                                for c in 0..<d {
                                    let diff = pts[p + c] - xs[row + c]
                                    r2 += w[c] * diff * diff
                                }
                            }
                            ks[j * n + i] = sv * Matern52.value(r2)
                        }
                    }
                }
            }
        }
        var means = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var s = 0.0
            for i in 0..<n { s += kStar[j * n + i] * alpha[i] }
            means[j] = s
        }
        cholesky.solveLower(matrix: &kStar, columns: m)
        var vars = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var q = 0.0
            for i in 0..<n { let v = kStar[j * n + i]; q += v * v }
            vars[j] = max(hyper.signalVariance - q, 1e-12 * hyper.signalVariance)
        }
        return (means, vars)
    }

    /// Mean, variance and their gradients with respect to the continuous inputs at `p`
    /// (gradients are zero along categorical inputs).
    func predictWithGradient(_ p: [Double]) -> (mean: Double, variance: Double, dMean: [Double], dVariance: [Double]) {
        let r2 = p.withUnsafeBufferPointer { squaredDistances($0) }
        let sv = hyper.signalVariance
        let kv = r2.map { sv * Matern52.value($0) }
        var mean = 0.0
        for i in 0..<n { mean += kv[i] * alpha[i] }
        let v = cholesky.solve(kv)  // K⁻¹ k
        var q = 0.0
        for i in 0..<n { q += kv[i] * v[i] }
        let variance = max(sv - q, 1e-12 * sv)
        var dMean = [Double](repeating: 0, count: d)
        var dVar = [Double](repeating: 0, count: d)
        let w = hyper.inverseSquaredLengthscales
        for i in 0..<n {
            let g = sv * Matern52.derivative(r2[i])
            let a = alpha[i], b = v[i]
            for c in 0..<d where !categorical[c] {
                let dk = g * w[c] * 2 * (p[c] - x[i * d + c])
                dMean[c] += a * dk
                dVar[c] -= 2 * b * dk
            }
        }
        return (mean, variance, dMean, dVar)
    }
}
