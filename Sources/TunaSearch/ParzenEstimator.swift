#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A multivariate Parzen estimator over a group of parameters, shaped like Optuna 5's
/// `_ParzenEstimator`: one product kernel per observation plus a prior kernel; truncated
/// normals on each numeric parameter's search scale whose width is the distance to the
/// neighbouring observations (so kernels tighten where good trials cluster), integrated over
/// each allowed value's bin for integers and stepped floats; and for categoricals a
/// distribution that puts extra mass on the observed choice.
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

    /// Per observation, the distance to its farther neighbour among the sorted observations and
    /// the range's ends (Optuna's rule; the outermost take their inner neighbour's distance
    /// rather than the distance to the end), clipped to [range / min(100, kernels + 1), range].
    static func bandwidths(_ centres: [Double], lower: Double, upper: Double, magicClip: Bool) -> [Double] {
        let n = centres.count, width = upper - lower
        guard n > 0 else { return [] }
        let order = centres.indices.sorted { centres[$0] < centres[$1] }
        var ends: [Double] = [lower]
        for index in order { ends.append(centres[index]) }
        ends.append(upper)
        var sorted = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let before: Double = ends[i + 1] - ends[i]
            let after: Double = ends[i + 2] - ends[i + 1]
            sorted[i] = max(before, after)
        }
        if ends.count >= 4 {
            sorted[0] = ends[2] - ends[1]
            sorted[n - 1] = ends[n] - ends[n - 1]
        }
        let minimum = magicClip ? width / min(100, 1 + Double(n + 1)) : width * 1e-12
        var result = [Double](repeating: 0, count: n)
        for (rank, index) in order.enumerated() { result[index] = max(min(max(sorted[rank], minimum), width), 1e-12) }
        return result
    }

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
        let bandwidths: [[Double]] = dims.indices.map { c in
            guard case .numeric(let s) = dims[c] else { return [] }
            return Self.bandwidths(observations.map { $0[c] }, lower: s.lower, upper: s.upper, magicClip: magicClip)
        }
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
                        sg[c] = bandwidths[c][k]
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
                    let mass = NormalMath.cdf((sc.upper - mu) / sigma) - NormalMath.cdf((sc.lower - mu) / sigma)
                    if let (left, right) = sc.bin(at: x[c]) {
                        // An allowed value of an integer or stepped parameter: the kernel's mass on its bin.
                        let binMass = NormalMath.cdf((right - mu) / sigma) - NormalMath.cdf((left - mu) / sigma)
                        s += log(max(binMass, 1e-300)) - log(max(mass, 1e-300))
                    } else {
                        let z = (x[c] - mu) / sigma
                        s += -0.5 * z * z - NormalMath.logSqrt2Pi - log(sigma) - log(max(mass, 1e-300))
                    }
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
