import CBLAS
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

extension BayesianSampler {
    /// The most running trials the GP is told lies for. With a thousand workers every ask
    /// would factorise a matrix of a thousand fake observations more and solve against it for
    /// every candidate, O((n + running)²) a candidate: the 1,000-worker simulation got 253
    /// trials/s with workers waiting seconds. Every running trial still counts as a point not to
    /// propose again.
    static let maximumLies = 256

    /// Running trials' encoded points, at most `maximumLies` of them: those nearest `center`
    /// (the best observation, where the trust region and the incumbents' perturbations keep
    /// the acquisition) in the fitted lengthscales' metric, in their original order. A lie far
    /// from there barely changes the posterior where the next points are chosen.
    static func liesNearest(_ points: [[Double]], center: [Double], hyper: GPHyperparameters, categorical: [Bool]) -> [[Double]] {
        guard points.count > maximumLies else { return points }
        let w = hyper.inverseSquaredLengthscales
        let distances = points.map { p in
            var r2 = 0.0
            for c in 0..<min(p.count, center.count, w.count, categorical.count) {
                let diff = p[c] - center[c]
                r2 += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
            }
            return r2
        }
        let kept = points.indices.sorted { (distances[$0], $0) < (distances[$1], $1) }.prefix(maximumLies).sorted()
        return kept.map { points[$0] }
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
    let v: [Double]
    let n: Int
    var mean: [Double]
    var variance: [Double]
    /// Columns of the rank-one updates so far, one after another (m per update), so that one
    /// BLAS call subtracts all of them: the per-pick cost is two matrix–vector products.
    var updates: [Double] = []
    var updateCount = 0
    var chosen: [Bool]

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
        chosen = [Bool](repeating: false, count: m)
        // Candidate 0 is the point already proposed.
        tell(0, lie: nil)
    }

    /// Conditions on candidate `s` observed at its mean (nil) or at `lie`.
    mutating func tell(_ s: Int, lie: Double?) {
        chosen[s] = true
        let denominator = (max(variance[s], 0) + noise).squareRoot()
        guard denominator > 1e-12 else { return }
        var column = [Double](repeating: 0, count: m)
        let (d, m, n, k) = (d, m, n, updateCount)
        // Sizes are bounded by the candidate set and the model's observations (thousands).
        let (bm, bn, bk) = (Int32(clamping: m), Int32(clamping: n), Int32(clamping: k))
        candidates.withUnsafeBufferPointer { x in
            column.withUnsafeMutableBufferPointer { col in
                // Prior covariance k(c_j, c_s)…
                for j in 0..<m {
                    var r2 = 0.0
                    for c in 0..<d {
                        let diff = x[j * d + c] - x[s * d + c]
                        r2 += w[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff)
                    }
                    col[j] = signal * Matern52.value(r2)
                }
                // … minus what the observations explain (Vᵀ v_s) …
                if n > 0 {
                    v.withUnsafeBufferPointer { vs in
                        cblas_dgemv(CblasColMajor, CblasTrans, bn, bm, -1, vs.baseAddress, bn,
                                    vs.baseAddress.map { $0 + s * n }, 1, 1, col.baseAddress, 1)
                    }
                }
                // … and what the earlier picks explain (U u_s, u_s being row s of U).
                if k > 0 {
                    updates.withUnsafeBufferPointer { us in
                        cblas_dgemv(CblasColMajor, CblasNoTrans, bm, bk, -1, us.baseAddress, bm,
                                    us.baseAddress.map { $0 + s }, bm, 1, col.baseAddress, 1)
                    }
                }
                for j in 0..<m { col[j] /= denominator }
            }
        }
        for j in 0..<m { variance[j] = max(variance[j] - column[j] * column[j], 1e-12 * signal) }
        if let lie {
            let shift = (lie - mean[s]) / denominator
            for j in 0..<m { mean[j] += column[j] * shift }
        }
        updates += column
        updateCount += 1
    }

    func logEI(_ j: Int, best: Double) -> Double {
        NormalMath.logEI(mean: mean[j], sd: variance[j].squareRoot(), best: best)
    }

    /// `count` more points, each the best log EI under the model told the earlier ones.
    mutating func select(_ count: Int, best: Double, lie: Double?) -> [[Double]] {
        let picks = lie == nil ? lazyPicks(count, best: best) : scannedPicks(count, best: best, lie: lie)
        return picks.map { Array(candidates[$0 * d..<($0 + 1) * d]) }
    }

    /// Every candidate scored on every pick; the highest log EI wins, the lowest index on ties.
    mutating func scannedPicks(_ count: Int, best: Double, lie: Double?) -> [Int] {
        var best = best
        var out: [Int] = []
        for _ in 0..<count {
            var top = -1
            var topValue = -Double.infinity
            for j in 0..<m where !chosen[j] {
                let value = logEI(j, best: best)
                if value > topValue { (top, topValue) = (j, value) }
            }
            guard top >= 0 else { break }
            best = min(best, lie ?? mean[top])
            tell(top, lie: lie)
            out.append(top)
        }
        return out
    }

    /// The scan's picks with about one log EI per pick instead of one per candidate. Under the
    /// kriging believer a pick leaves every mean where it was, only shrinks variances, and only
    /// lowers the bar `best`, so no candidate's expected improvement ever rises: last round's
    /// value bounds this round's (lazy greedy, as for submodular maximisation). A candidate
    /// whose fresh value still ranks above every other bound is the scan's argmax. The constant
    /// liar moves means both ways and is scanned.
    mutating func lazyPicks(_ count: Int, best: Double) -> [Int] {
        var best = best
        var heap = BoundHeap()
        for j in 0..<m where !chosen[j] {
            let value = logEI(j, best: best)
            if value > -.infinity { heap.push(value, j) }
        }
        var out: [Int] = []
        while out.count < count, let top = heap.pop() {
            let value = logEI(top.index, best: best)
            // −∞ or NaN now: the scan would never pick it again either (values only fall).
            guard value > -.infinity else { continue }
            if let next = heap.peek, BoundHeap.ranks(next.value, next.index, above: value, top.index) {
                heap.push(value, top.index)
                continue
            }
            best = min(best, mean[top.index])
            tell(top.index, lie: nil)
            out.append(top.index)
        }
        return out
    }
}

/// A max-heap of (upper bound, candidate), highest bound first and the lowest index on ties
/// (the order the scan breaks ties in).
struct BoundHeap {
    private var items: [(value: Double, index: Int)] = []

    static func ranks(_ a: Double, _ i: Int, above b: Double, _ j: Int) -> Bool {
        a > b || (a == b && i < j)
    }

    var peek: (value: Double, index: Int)? { items.first }

    mutating func push(_ value: Double, _ index: Int) {
        items.append((value, index))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.ranks(items[child].value, items[child].index, above: items[parent].value, items[parent].index) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (value: Double, index: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < items.count, Self.ranks(items[left].value, items[left].index, above: items[best].value, items[best].index) {
                best = left
            }
            if right < items.count, Self.ranks(items[right].value, items[right].index, above: items[best].value, items[best].index) {
                best = right
            }
            guard best != parent else { return top }
            items.swapAt(parent, best)
            parent = best
        }
    }
}

/// The automatic choice batches as the sampler it chose does.
extension AutoSampler: BatchSampler {
    public func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        try choice(for: context.space).askSequence(context, count: count)
    }
}
