#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A multivariate Parzen estimator over a group of parameters, shaped like Optuna's
/// (`_ParzenEstimator` with `multivariate=True`): one product kernel per observation plus a
/// prior kernel; truncated normals on each numeric parameter's search scale, and for
/// categoricals a distribution that puts extra mass on the observed choice.
struct ParzenEstimator {
    enum Dim {
        case numeric(NumericScale)
        case categorical(Int)
    }

    let dims: [Dim]
    /// Normalised mixture weights, one per kernel (observations first, the prior last).
    let logWeights: [Double]
    /// Kernel centres per dimension (numeric coordinate or choice index).
    let mus: [[Double]]
    /// Bandwidths per numeric dimension (same for every observation kernel, wider for the prior).
    let sigmas: [[Double]]
    /// Per kernel, per categorical dimension: log probabilities of each choice.
    let categoricalLogProbs: [[[Double]]]

    /// `observations[k][c]`: numeric coordinate or choice index of observation k in dimension c,
    /// `weights[k]`: its unnormalised weight.
    init(dims: [Dim], observations: [[Double]], weights: [Double], priorWeight: Double, magicClip: Bool) {
        self.dims = dims
        let n = observations.count
        let d = dims.count
        var w = weights + [priorWeight]
        let total = w.reduce(0, +)
        w = w.map { $0 / max(total, 1e-300) }
        logWeights = w.map { log(max($0, 1e-300)) }

        var mus: [[Double]] = []
        var sigmas: [[Double]] = []
        var cat: [[[Double]]] = []
        for k in 0...n {
            var mu = [Double](repeating: 0, count: d)
            var sg = [Double](repeating: 1, count: d)
            var probs: [[Double]] = []
            for c in 0..<d {
                switch dims[c] {
                case .numeric(let s):
                    let width = s.upper - s.lower
                    if k == n {
                        mu[c] = (s.lower + s.upper) / 2
                        sg[c] = width
                    } else {
                        mu[c] = observations[k][c]
                        var sigma = 0.2 * pow(Double(max(n, 1)), -1.0 / Double(d + 4)) * width
                        let minimum = magicClip ? width / min(100.0, 1.0 + Double(n + 1)) : width * 1e-6
                        sigma = min(max(sigma, minimum), width)
                        sg[c] = max(sigma, 1e-12)
                    }
                    probs.append([])
                case .categorical(let count):
                    let fill = priorWeight / Double(n + 1)
                    var p = [Double](repeating: fill, count: count)
                    if k < n {
                        let i = Int(observations[k][c])
                        if i >= 0 && i < count { p[i] += 1 }
                    }
                    let sum = p.reduce(0, +)
                    probs.append(p.map { log(max($0 / sum, 1e-300)) })
                    mu[c] = k < n ? observations[k][c] : -1
                }
            }
            mus.append(mu)
            sigmas.append(sg)
            cat.append(probs)
        }
        self.mus = mus
        self.sigmas = sigmas
        self.categoricalLogProbs = cat
    }

    /// One draw from the mixture (numeric coordinates unsnapped; callers snap to allowed values).
    func sample(_ rng: inout SearchRandom) -> [Double] {
        var u = rng.uniform()
        var k = logWeights.count - 1
        for (i, lw) in logWeights.enumerated() {
            u -= exp(lw)
            if u <= 0 { k = i; break }
        }
        return dims.indices.map { c in
            switch dims[c] {
            case .numeric(let s):
                for _ in 0..<100 {
                    let x = mus[k][c] + sigmas[k][c] * rng.normal()
                    if x >= s.lower && x <= s.upper { return x }
                }
                return s.lower + rng.uniform() * (s.upper - s.lower)
            case .categorical(let count):
                var r = rng.uniform()
                for i in 0..<count {
                    r -= exp(categoricalLogProbs[k][c][i])
                    if r <= 0 { return Double(i) }
                }
                return Double(count - 1)
            }
        }
    }

    /// Log density of the mixture at `x`.
    func logDensity(_ x: [Double]) -> Double {
        var terms = [Double](repeating: 0, count: logWeights.count)
        for k in 0..<logWeights.count {
            var s = logWeights[k]
            for c in dims.indices {
                switch dims[c] {
                case .numeric(let sc):
                    let sigma = sigmas[k][c], mu = mus[k][c]
                    let z = (x[c] - mu) / sigma
                    let mass = NormalMath.cdf((sc.upper - mu) / sigma) - NormalMath.cdf((sc.lower - mu) / sigma)
                    s += -0.5 * z * z - NormalMath.logSqrt2Pi - log(sigma) - log(max(mass, 1e-300))
                case .categorical(let count):
                    let i = min(max(Int(x[c]), 0), count - 1)
                    s += categoricalLogProbs[k][c][i]
                }
            }
            terms[k] = s
        }
        let m = terms.max() ?? -.infinity
        guard m.isFinite else { return m }
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }
}
