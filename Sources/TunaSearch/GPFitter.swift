import TunaRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fits the GP's kernel hyperparameters by maximising the log marginal likelihood plus weak
/// log priors (the same shapes Optuna's GPSampler uses: −(0.1/w + 0.1w) on each inverse squared
/// lengthscale, Gamma(2, 1) on the signal variance, Gamma(1.1, 30) on the noise variance), with
/// box-constrained L-BFGS on the log parameters from a default start plus seeded random restarts.
///
/// The priors keep a handful of points from producing absurd lengthscales; the noise floor
/// (`minimumNoise`, on standardised outputs) keeps the Cholesky factorisation well conditioned.
struct GPFitter {
    var restarts = 3
    var maxIterations = 60
    var minimumNoise = 1e-6
    var lengthscalePrior = LengthscalePrior.optuna

    /// Mean of log ℓ under the dimension-scaled prior: √2 + ½ log d (Hvarfner et al. 2024,
    /// BoTorch's default since 0.12), on inputs scaled to the unit cube.
    static func logLengthscaleMean(d: Int) -> Double { 2.0.squareRoot() + 0.5 * log(Double(max(d, 1))) }

    /// Layout of the optimisation vector θ: d log-inverse-squared-lengthscales, log signal
    /// variance, log(noise − minimumNoise).
    func hyperparameters(from theta: [Double], d: Int) -> GPHyperparameters {
        GPHyperparameters(
            inverseSquaredLengthscales: (0..<d).map { exp(theta[$0]) },
            signalVariance: exp(theta[d]),
            noiseVariance: minimumNoise + exp(theta[d + 1]))
    }

    /// Negative (log marginal likelihood + log prior) and its gradient with respect to θ.
    /// `distances[c]` holds the n × n per-dimension squared differences (or mismatch indicators).
    func objective(_ theta: [Double], distances: [[Double]], y: [Double]) -> (Double, [Double]) {
        let n = y.count
        let d = distances.count
        let h = hyperparameters(from: theta, d: d)
        let w = h.inverseSquaredLengthscales
        let sv = h.signalVariance
        // Lower triangle only (the matrices are symmetric); one exp per pair for m and m'.
        var r2 = [Double](repeating: 0, count: n * n)
        for c in 0..<d {
            let wc = w[c]
            distances[c].withUnsafeBufferPointer { s in
                for j in 0..<n { for i in j..<n { r2[j * n + i] += wc * s[j * n + i] } }
            }
        }
        var k = [Double](repeating: 0, count: n * n)
        var dm = [Double](repeating: 0, count: n * n)  // σ² dm/d(r²)
        for j in 0..<n {
            for i in j..<n {
                let q = (5 * r2[j * n + i]).squareRoot()
                let e = exp(-q)
                let v = sv * (1 + q + q * q / 3) * e
                k[j * n + i] = v
                k[i * n + j] = v
                dm[j * n + i] = -sv * (5.0 / 6.0) * (1 + q) * e
            }
        }
        let kf = k
        for i in 0..<n { k[i * n + i] += h.noiseVariance }
        guard let chol = try? Cholesky(k, n: n) else {
            return (.infinity, [Double](repeating: 0, count: d + 2))
        }
        let alpha = chol.solve(y)
        var fit = 0.0
        for i in 0..<n { fit += y[i] * alpha[i] }
        let lml = -0.5 * fit - 0.5 * chol.logDeterminant - Double(n) * NormalMath.logSqrt2Pi
        // W = ααᵀ − K⁻¹; dLML/dθ = ½ Σ W ∘ ∂K/∂θ, summed over the lower triangle with
        // off-diagonal terms counted twice.
        let inv = chol.inverse()
        var grad = [Double](repeating: 0, count: d + 2)
        var gSignal = 0.0, trace = 0.0
        var wd = [Double](repeating: 0, count: n * n)  // (W ∘ σ² m') with the off-diagonal doubled
        for j in 0..<n {
            for i in j..<n {
                let wij = alpha[i] * alpha[j] - inv[j * n + i]
                let f = i == j ? 1.0 : 2.0
                gSignal += f * wij * kf[j * n + i]
                if i == j { trace += wij }
                wd[j * n + i] = f * wij * dm[j * n + i]
            }
        }
        grad[d] = 0.5 * gSignal
        grad[d + 1] = 0.5 * trace * exp(theta[d + 1])
        // ∂K/∂log wₖ = σ² m'(r²) wₖ Sₖ (zero on the diagonal, where Sₖ = 0).
        for c in 0..<d {
            var s = 0.0
            distances[c].withUnsafeBufferPointer { sc in
                for j in 0..<n { for i in (j + 1)..<n { s += wd[j * n + i] * sc[j * n + i] } }
            }
            grad[c] = 0.5 * s * w[c]
        }
        // Log priors and their gradients in θ.
        var prior = 0.0
        switch lengthscalePrior {
        case .optuna:
            for c in 0..<d {
                prior += -(0.1 / w[c] + 0.1 * w[c])
                grad[c] += 0.1 / w[c] - 0.1 * w[c]
            }
        case .dimensionScaled:
            // log ℓ ~ N(μ, 3) with log ℓ = −θ/2.
            let mu = Self.logLengthscaleMean(d: d)
            for c in 0..<d {
                let a = -theta[c] / 2 - mu
                prior += -a * a / 6
                grad[c] += a / 6
            }
        }
        prior += log(sv) - sv
        grad[d] += 1 - sv
        let noise = h.noiseVariance
        let excess = exp(theta[d + 1])
        prior += 0.1 * log(noise) - 30 * noise
        grad[d + 1] += (0.1 / noise - 30) * excess
        let value = -(lml + prior)
        return (value.isFinite ? value : .infinity, grad.map { -$0 })
    }

    /// Per-dimension squared differences (mismatch indicators for categorical inputs).
    static func distanceMatrices(x: [Double], n: Int, d: Int, categorical: [Bool]) -> [[Double]] {
        (0..<d).map { c in
            var s = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in 0..<i {
                    let a = x[i * d + c], b = x[j * d + c]
                    let v = categorical[c] ? (a == b ? 0 : 1) : (a - b) * (a - b)
                    s[j * n + i] = v
                    s[i * n + j] = v
                }
            }
            return s
        }
    }

    /// Best hyperparameters over the default start and `restarts − 1` random starts.
    func fit(x: [Double], y: [Double], d: Int, categorical: [Bool], rng: inout SeededGenerator) -> GPHyperparameters {
        let n = y.count
        let distances = Self.distanceMatrices(x: x, n: n, d: d, categorical: categorical)
        // Lengthscales between 0.01 and 100 (the prior, not the box, keeps them sensible).
        let lower = [Double](repeating: log(1e-4), count: d) + [log(0.05), log(1e-10)]
        let upper = [Double](repeating: log(1e4), count: d) + [log(20.0), log(1.0)]
        // The first start at the prior's centre (ℓ = 1 for Optuna's prior).
        let centre = lengthscalePrior == .dimensionScaled ? -2 * Self.logLengthscaleMean(d: d) : 0
        var starts: [[Double]] = [[Double](repeating: centre, count: d) + [0, log(1e-3)]]
        for _ in 1..<max(restarts, 1) {
            var t = (0..<d).map { _ in log(0.3) + rng.nextDouble() * (log(100.0) - log(0.3)) }
            t += [log(0.5) + rng.nextDouble() * log(4.0), log(1e-6) + rng.nextDouble() * (log(1e-1) - log(1e-6))]
            starts.append(t)
        }
        let optimizer = BoxLBFGS(maxIterations: maxIterations)
        var best: (x: [Double], value: Double)?
        for s in starts {
            let r = optimizer.minimize(s, lower: lower, upper: upper) { objective($0, distances: distances, y: y) }
            guard r.value.isFinite else { continue }
            if let b = best, b.value <= r.value { continue }
            best = r
        }
        return hyperparameters(from: best?.x ?? starts[0], d: d)
    }
}

/// The prior on the GP's lengthscales.
public enum LengthscalePrior: String, Sendable, Hashable, Codable {
    /// Optuna's: −(0.1/w + 0.1w) on each inverse squared lengthscale w (mode at ℓ = 1).
    case optuna
    /// Log-normal with a mean growing with the dimension (BoTorch's default): long lengthscales
    /// unless the data say otherwise, so that the variance far from the data, and with it the
    /// pull of expected improvement towards the box's bounds, stays moderate.
    case dimensionScaled = "dimension_scaled"
}
