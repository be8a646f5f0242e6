import TunaRandom

/// A batch from one hyperparameter fit: the fit is the dominant cost of an ask (restarts ×
/// L-BFGS iterations × O(n³)), and between the points of one batch the data do not change —
/// only the fake observations of the points already proposed do. So the batch builds the model
/// once (`BayesianSampler.model`, as `ask` does, with the same random stream) and maximises it
/// for its first point, which is therefore exactly `ask(context)`'s. The others are chosen
/// greedily from a fixed candidate set (Sobol' points in the ask's trust region and
/// perturbations of the incumbents, as the optimiser starts from) under the model told each earlier point's lie: the posterior is updated in closed form
/// (a rank-one update per point, O(candidates × observations)), where asking again would refit,
/// refactor and re-optimise — about 70 ms a point at 300 observations on a loaded machine,
/// against well under a millisecond. The price: later points are not refined by L-BFGS.
/// During the Sobol' start-up every point is `ask`'s, one by one (cheap).
extension BayesianSampler: BatchSampler {
    public func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        let space = context.space
        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber))
        guard count > 1, let model = try model(context, rng: &rng) else { return try sequence(context, count: count) }
        let ordered = try space.orderedParameters()
        let first = model.maximize(rng: &rng)
        var proposals = [model.encoding.decode(first, space: space, ordered: ordered)]
        var greedy = GreedyBatch(
            gp: model.gp, encoding: model.encoding, first: first, incumbents: model.incumbents,
            global: model.globalCandidates, region: model.region, rng: &rng)
        for f in greedy.select(count - 1, best: model.best, lie: model.lie) {
            proposals.append(model.encoding.decode(f, space: space, ordered: ordered))
        }
        return proposals
    }

    /// `count` single asks, each with the ones before it running.
    private func sequence(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        var context = context
        var proposals: [Parameters] = []
        for _ in 0..<max(count, 0) {
            let params = try ask(context)
            proposals.append(params)
            context.running.append(params)
            context.trialNumber += 1
        }
        return proposals
    }
}

/// Greedy batch selection over a candidate set: posterior means and variances of every
/// candidate under the GP, updated as each chosen point is told its lie (kriging believer:
/// the mean stays, the variance shrinks near the point; constant liar: the mean moves too).
struct GreedyBatch {
    let m: Int
    let d: Int
    let candidates: [Double]
    let noise: Double
    let signal: Double
    let w: [Double]
    let categorical: [Bool]
    /// L⁻¹ k(X, c) for every candidate, column-major (n per candidate).
    var v: [Double]
    let n: Int
    var mean: [Double]
    var variance: [Double]
    /// Columns of the rank-one updates so far, candidate-major.
    var updates: [[Double]] = []
    var chosen: Set<Int> = []

    /// Candidates: Sobol' points inside `region` (the ask's trust region, the whole box without
    /// one) and perturbations of the incumbents.
    init(
        gp: GaussianProcess, encoding: FeatureEncoding, first: [Double], incumbents: [[Double]], global: Int,
        region: (lower: [Double], upper: [Double])?, rng: inout SeededGenerator
    ) {
        d = encoding.dimensions
        var points: [Double] = first
        let sobol = SobolSequence(dimensions: d, scrambled: true, seed: rng.next())
        for i in 0..<global {
            var u = sobol.point(i)
            if let region {
                for c in 0..<d where !encoding.categoricalMask[c] { u[c] = region.lower[c] + u[c] * (region.upper[c] - region.lower[c]) }
            }
            points += encoding.fromUnit(u)
        }
        for center in incumbents {
            for j in 0..<32 {
                let scale = j % 2 == 0 ? 0.02 : 0.1
                var u = center
                for c in 0..<d where !encoding.categoricalMask[c] { u[c] = min(max(u[c] + scale * rng.nextNormal(), 0), 1) }
                points += encoding.snap(u)
            }
        }
        let d = self.d, m = points.count / max(d, 1), n = gp.n
        let w = gp.hyper.inverseSquaredLengthscales, signal = gp.hyper.signalVariance, categorical = gp.categorical
        var kStar = [Double](repeating: 0, count: n * m)
        for j in 0..<m {
            for i in 0..<n {
                var r2 = 0.0
                for c in 0..<d {
                    let diff = points[j * d + c] - gp.x[i * d + c]
                    r2 += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
                }
                kStar[j * n + i] = signal * Matern52.value(r2)
            }
        }
        var means = [Double](repeating: 0, count: m)
        for j in 0..<m {
            for i in 0..<n { means[j] += kStar[j * n + i] * gp.alpha[i] }
        }
        gp.cholesky.solveLower(matrix: &kStar, columns: m)
        var variances = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var q = 0.0
            for i in 0..<n { q += kStar[j * n + i] * kStar[j * n + i] }
            variances[j] = max(signal - q, 1e-12 * signal)
        }
        candidates = points
        self.m = m
        self.n = n
        noise = gp.hyper.noiseVariance
        self.signal = signal
        self.w = w
        self.categorical = categorical
        mean = means
        variance = variances
        v = kStar
        // Candidate 0 is the point already proposed.
        tell(0, lie: nil)
    }

    /// Prior covariance of two candidates.
    func kernel(_ a: Int, _ b: Int) -> Double {
        var r2 = 0.0
        for c in 0..<d {
            let diff = candidates[a * d + c] - candidates[b * d + c]
            r2 += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
        }
        return signal * Matern52.value(r2)
    }

    /// Conditions on candidate `s` observed at its mean (nil) or at `lie`.
    mutating func tell(_ s: Int, lie: Double?) {
        chosen.insert(s)
        let denominator = (max(variance[s], 0) + noise).squareRoot()
        guard denominator > 1e-12 else { return }
        var column = [Double](repeating: 0, count: m)
        for j in 0..<m {
            var cov = kernel(j, s)
            for i in 0..<n { cov -= v[j * n + i] * v[s * n + i] }
            for update in updates { cov -= update[j] * update[s] }
            column[j] = cov / denominator
        }
        let shift = lie.map { ($0 - mean[s]) / denominator } ?? 0
        for j in 0..<m {
            variance[j] = max(variance[j] - column[j] * column[j], 1e-12 * signal)
            mean[j] += column[j] * shift
        }
        updates.append(column)
    }

    /// `count` more points, each the best log EI under the model told the earlier ones.
    mutating func select(_ count: Int, best: Double, lie: Double?) -> [[Double]] {
        var best = best
        var out: [[Double]] = []
        for _ in 0..<count {
            var top = -1
            var topValue = -Double.infinity
            for j in 0..<m where !chosen.contains(j) {
                let value = NormalMath.logEI(mean: mean[j], sd: variance[j].squareRoot(), best: best)
                if value > topValue { (top, topValue) = (j, value) }
            }
            guard top >= 0 else { break }
            best = min(best, lie ?? mean[top])
            tell(top, lie: lie)
            out.append(Array(candidates[top * d..<(top + 1) * d]))
        }
        return out
    }
}

/// The automatic choice batches as the sampler it chose does.
extension AutoSampler: BatchSampler {
    public func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        try choice(for: context.space).askSequence(context, count: count)
    }
}
