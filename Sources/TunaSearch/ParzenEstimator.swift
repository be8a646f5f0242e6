import TunaRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mixture of product kernels over one group of parameters, after Optuna 5's
/// `_ParzenEstimator`: one kernel per observation plus a wide prior kernel, so that no point of
/// the space ever has zero density.
///
/// Along a numeric parameter every kernel is a normal truncated to the parameter's search scale
/// (``NumericKernels``); along a categorical parameter it puts extra mass on its observation's
/// choice. A kernel's density is the product of its factors, the estimator's density the
/// weighted sum of its kernels.
struct ParzenEstimator {
    enum Dim {
        case numeric(NumericScale)
        case categorical(Int)
    }

    /// One dimension's factor of every kernel.
    enum Factor {
        case numeric(NumericKernels)
        /// `logProbabilities[k][i]`: log of the probability kernel `k` gives choice `i`.
        case categorical(logProbabilities: [[Double]])
    }

    let factors: [Factor]
    /// Log mixture weight of each kernel: the observations in the order given, then the prior.
    let logWeights: [Double]
    /// Running sums of the normalised weights, to pick a kernel with one uniform draw.
    private let cumulativeWeights: [Double]

    /// `observations[k][c]`: coordinate on the search scale, or choice index, of observation `k`
    /// in dimension `c`; `weights[k]`: its unnormalised weight (see ``TPESampler/weights(_:)``);
    /// `minimumWidth`: the narrowest a numeric kernel may be, as a fraction of its range
    /// (see ``NumericKernels/bandwidths(_:lower:upper:minimumWidth:)``).
    init(dims: [Dim], observations: [[Double]], weights: [Double], priorWeight: Double, minimumWidth: Double) {
        let n = observations.count
        let observationWeights = (0..<n).map { k in k < weights.count ? max(weights[k], 0) : 1 }
        // With nothing observed the prior is the whole estimator, whatever its weight (as in Optuna).
        var w = n == 0 ? [1] : observationWeights + [max(priorWeight, 0)]
        let total = w.reduce(0, +)
        w = total > 0 ? w.map { $0 / total } : [Double](repeating: 1 / Double(w.count), count: w.count)
        logWeights = w.map { log($0) }
        var running = 0.0
        cumulativeWeights = w.map { running += $0; return running }

        let kernels = n + 1
        factors = dims.indices.map { c in
            switch dims[c] {
            case .numeric(let scale):
                return .numeric(NumericKernels(
                    scale: scale, observations: observations.map { $0[c] }, minimumWidth: minimumWidth))
            case .categorical(let count):
                // Every observation kernel spreads the prior weight over all choices and adds 1 to
                // its own; the prior kernel is uniform.
                let fill = max(priorWeight, 0) / Double(kernels)
                let rows: [[Double]] = (0..<kernels).map { k in
                    guard k < n, count > 0 else { return [Double](repeating: -log(Double(max(count, 1))), count: count) }
                    var p = [Double](repeating: fill, count: count)
                    let observed = Int(observations[k][c])
                    if observed >= 0 && observed < count { p[observed] += 1 }
                    let sum = p.reduce(0, +)
                    return p.map { log(max($0 / sum, 1e-300)) }
                }
                return .categorical(logProbabilities: rows)
            }
        }
    }

    /// Number of kernels (observations plus the prior; the prior alone when nothing was observed).
    var kernelCount: Int { logWeights.count }

    /// `count` independent draws from the mixture, as coordinates (discrete values exactly on
    /// their grid) or choice indices.
    func sample(_ count: Int, rng: inout SeededGenerator) -> [[Double]] {
        (0..<count).map { _ in
            let u = rng.nextDouble()
            let k = min(cumulativeWeights.firstIndex { u < $0 } ?? kernelCount - 1, kernelCount - 1)
            return factors.map { factor in
                switch factor {
                case .numeric(let kernels): return kernels.sample(kernel: k, rng: &rng)
                case .categorical(let logProbabilities):
                    var r = rng.nextDouble()
                    let row = logProbabilities[k]
                    for (i, lp) in row.enumerated() {
                        r -= exp(lp)
                        if r < 0 { return Double(i) }
                    }
                    return Double(row.count - 1)
                }
            }
        }
    }

    /// Log density (log probability on the discrete and categorical dimensions) of the mixture
    /// at each point.
    func logDensities(_ points: [[Double]]) -> [Double] {
        var terms = [Double](repeating: 0, count: kernelCount)
        return points.map { x in
            for k in terms.indices { terms[k] = logWeights[k] }
            for (c, factor) in factors.enumerated() {
                switch factor {
                case .numeric(let kernels): kernels.addLogDensities(at: x[c], to: &terms)
                case .categorical(let logProbabilities):
                    let i = Int(x[c])
                    for k in terms.indices { terms[k] += logProbabilities[k][min(max(i, 0), logProbabilities[k].count - 1)] }
                }
            }
            return Self.logSumExp(terms)
        }
    }

    static func logSumExp(_ terms: [Double]) -> Double {
        let m = terms.max() ?? -.infinity
        guard m.isFinite else { return m }
        var s = 0.0
        for t in terms { s += exp(t - m) }
        return m + log(s)
    }
}

/// Every kernel's factor along one numeric parameter: a normal centred on the observation and
/// truncated to the parameter's range on its search scale (log for log parameters), plus the
/// prior's, centred on the range with the range's width.
///
/// For integers and stepped floats the factor is the normal's mass on each allowed value's bin
/// (``NumericScale/bin(of:)``) rather than a density: the bins tile the range, so a kernel is a
/// distribution on the grid itself, which is what a snapped draw from it follows.
struct NumericKernels {
    let scale: NumericScale
    let centres: [Double]
    let widths: [Double]
    /// Per kernel, log of its mass inside the range: the truncation's normaliser.
    let logMassInRange: [Double]
    /// Per kernel, the continuous density's whole normaliser: log(σ √(2π) · mass in range).
    let logDensityNormaliser: [Double]

    init(scale: NumericScale, observations: [Double], minimumWidth: Double) {
        self.scale = scale
        let lower = scale.lower, upper = scale.upper
        // A value outside the range (the range narrowed since that trial ran) counts at the
        // nearest end, so that every kernel keeps most of its mass inside.
        let observed = observations.map { min(max($0, lower), upper) }
        centres = observed + [(lower + upper) / 2]
        // On a grid, a kernel narrower than half the spacing of the allowed values would put
        // nearly all its mass on one value and freeze the parameter at the good trials' value.
        let floor = scale.step == nil ? minimumWidth : max(minimumWidth, 0.5 / Double(max(scale.count, 1)))
        widths = Self.bandwidths(observed, lower: lower, upper: upper, minimumWidth: floor) + [upper - lower]
        logMassInRange = zip(centres, widths).map { mu, sigma in
            NormalMath.logMass(from: (lower - mu) / sigma, to: (upper - mu) / sigma)
        }
        logDensityNormaliser = zip(widths, logMassInRange).map { log($0) + NormalMath.logSqrt2Pi + $1 }
    }

    /// Optuna 5's bandwidths: per observation, the distance to its farther neighbour among the
    /// sorted observations and the range's ends, except that the outermost observations take the
    /// distance to their inner neighbour (Optuna's `consider_endpoints=False`: an observation near
    /// an end should not get a wide kernel just for being near it). Clipped to at most the
    /// range's width and at least `minimumWidth` times it (the magic clip), so that a few close
    /// observations cannot collapse into spikes.
    static func bandwidths(_ centres: [Double], lower: Double, upper: Double, minimumWidth: Double) -> [Double] {
        let n = centres.count, width = upper - lower
        guard n > 0 else { return [] }
        let order = centres.indices.sorted { centres[$0] < centres[$1] }
        let points: [Double] = [lower] + order.map { centres[$0] } + [upper]
        var sorted = (1...n).map { i -> Double in
            let before: Double = points[i] - points[i - 1], after: Double = points[i + 1] - points[i]
            return max(before, after)
        }
        if n >= 2 {
            sorted[0] = points[2] - points[1]
            sorted[n - 1] = points[n] - points[n - 1]
        }
        let minimum = max(width * minimumWidth, 1e-12)
        var result = [Double](repeating: 0, count: n)
        for (rank, index) in order.enumerated() { result[index] = max(min(sorted[rank], width), minimum) }
        return result
    }

    /// A draw from kernel `k`: a truncated normal by rejection (centres lie inside the range, so
    /// at least a third of the draws land in it), snapped to the allowed value for discrete
    /// parameters.
    func sample(kernel k: Int, rng: inout SeededGenerator) -> Double {
        var t = centres[k]
        for _ in 0..<64 {
            let x = centres[k] + widths[k] * rng.nextNormal()
            if x >= scale.lower && x <= scale.upper {
                t = x
                break
            }
        }
        guard scale.step != nil else { return t }
        return scale.coordinate(of: scale.value(at: t)) ?? t
    }

    /// Adds each kernel's log density (log mass of the value's bin for discrete parameters) at
    /// coordinate `t` to `terms`.
    func addLogDensities(at t: Double, to terms: inout [Double]) {
        if let (left, right) = scale.bin(of: t) {
            for k in terms.indices {
                let mu = centres[k], inverse = 1 / widths[k]
                terms[k] += NormalMath.logMass(from: (left - mu) * inverse, to: (right - mu) * inverse) - logMassInRange[k]
            }
        } else {
            for k in terms.indices {
                let z = (t - centres[k]) / widths[k]
                terms[k] += -0.5 * z * z - logDensityNormaliser[k]
            }
        }
    }
}
