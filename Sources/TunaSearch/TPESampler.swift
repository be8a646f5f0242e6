/// Multivariate Tree-structured Parzen Estimator, after Optuna's `TPESampler(multivariate=True)`.
///
/// After `startupTrials` random suggestions, finished trials are ranked by loss (complete ones
/// first, then pruned ones by how far they got) and split: the best `γ(n) = min(⌈0.1 n⌉, 25)`
/// form the "good" set, the rest and the trials still running (the constant liar) the "bad" set. For each group of parameters, a joint Parzen
/// estimator is built on each set (older trials down-weighted as in Optuna), `eiCandidates`
/// points are drawn from the good one and the point maximising log l(x) − log g(x) is taken.
///
/// Conditional spaces: parameters are grouped by their `when:` condition (all unconditional
/// parameters form one group). Groups are sampled in dependency order, each only when active
/// given the values chosen so far, and each group's estimators use only the trials in which that
/// group was active. So `momentum` is modelled from the SGD trials alone and never from junk.
public struct TPESampler: Sampler, Codable, Hashable {
    public var seed: UInt64
    public var startupTrials: Int
    public var eiCandidates: Int
    public var priorWeight: Double
    public var considerMagicClip: Bool

    public init(
        seed: UInt64 = 0, startupTrials: Int = 10, eiCandidates: Int = 24, priorWeight: Double = 1,
        considerMagicClip: Bool = true
    ) {
        self.seed = seed
        self.startupTrials = startupTrials
        self.eiCandidates = eiCandidates
        self.priorWeight = priorWeight
        self.considerMagicClip = considerMagicClip
    }

    /// Size of the good set for n ranked trials (Optuna's default gamma).
    static func gamma(_ n: Int) -> Int { min((n + 9) / 10, 25) }

    /// Optuna's default weights: flat for the 25 newest, a linear ramp down for older ones.
    static func weights(_ n: Int) -> [Double] {
        guard n >= 25 else { return [Double](repeating: 1, count: n) }
        let ramp = n - 25
        let start = 1.0 / Double(n)
        let r: [Double] = ramp == 1 ? [start] : (0..<ramp).map { start + (1 - start) * Double($0) / Double(ramp - 1) }
        return r + [Double](repeating: 1, count: 25)
    }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        let space = context.space
        let ordered = try space.orderedParameters()
        let complete = context.history.filter(\.isUsable)
        if complete.count < max(startupTrials, 1) {
            return try RandomSampler(seed: seed).ask(context)
        }
        var rng = SearchRandom(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber) ^ 0x7E5)
        let (good, bad) = split(context)

        var values = Parameters()
        var sampledGroups = Set<String>()
        for p in ordered where space.isActive(p, given: values) {
            if case .fixed(let v) = p.domain {
                values[p.name] = v
                continue
            }
            let key = p.when?.description ?? ""
            if sampledGroups.contains(key) { continue }
            sampledGroups.insert(key)
            let members = ordered.filter { ($0.when?.description ?? "") == key && $0.domain.isSearchable }
            for (name, v) in sampleGroup(members, good: good, bad: bad, rng: &rng) { values[name] = v }
        }
        return values
    }

    /// Good and bad trials (each in trial-number order, as Optuna weights them).
    func split(_ context: SamplingContext) -> (good: [Trial], bad: [Trial]) {
        let dir = context.direction
        let complete = context.history.filter(\.isUsable).sorted {
            let a = dir.loss($0.value ?? 0), b = dir.loss($1.value ?? 0)
            return a < b || (a == b && $0.number < $1.number)
        }
        let pruned = context.history.filter { $0.state == .pruned && $0.lastStep != nil }.sorted {
            let sa = $0.lastStep ?? 0, sb = $1.lastStep ?? 0
            if sa != sb { return sa > sb }
            let a = dir.loss($0.intermediateValues[sa] ?? .infinity)
            let b = dir.loss($1.intermediateValues[sb] ?? .infinity)
            return a < b || (a == b && $0.number < $1.number)
        }
        let ranked = complete + pruned
        let nGood = Self.gamma(ranked.count)
        let good = ranked.prefix(nGood).sorted { $0.number < $1.number }
        // Constant liar (Optuna's default): trials still running count as bad, so parallel
        // workers are not all sent to the same promising spot.
        let liars = context.running.enumerated().map { index, params in
            Trial(number: Int.max / 2 + index, state: .running, params: params)
        }
        let bad = ranked.dropFirst(nGood).sorted { $0.number < $1.number } + liars
        return (Array(good), bad)
    }

    /// Joint TPE draw for one group of parameters that are active together.
    func sampleGroup(_ members: [Parameter], good: [Trial], bad: [Trial], rng: inout SearchRandom) -> [(String, ParameterValue)] {
        guard !members.isEmpty else { return [] }
        var dims: [ParzenEstimator.Dim] = []
        for p in members {
            switch p.domain {
            case .categorical(let v): dims.append(.categorical(v.count))
            default: dims.append(.numeric(p.domain.scale ?? NumericScale(FloatDomain(low: 0, high: 1))))
            }
        }
        func observations(_ trials: [Trial]) -> [[Double]] {
            trials.compactMap { t in
                var row: [Double] = []
                for (c, p) in members.enumerated() {
                    guard let v = t.params[p.name] else { return nil }
                    switch dims[c] {
                    case .numeric(let s):
                        guard let x = s.coordinate(of: v) else { return nil }
                        row.append(x)
                    case .categorical:
                        guard let i = p.domain.choiceIndex(of: v) else { return nil }
                        row.append(Double(i))
                    }
                }
                return row
            }
        }
        let goodObs = observations(good)
        let badObs = observations(bad)
        let below = ParzenEstimator(
            dims: dims, observations: goodObs, weights: Self.weights(goodObs.count), priorWeight: priorWeight,
            magicClip: considerMagicClip)
        let above = ParzenEstimator(
            dims: dims, observations: badObs, weights: Self.weights(badObs.count), priorWeight: priorWeight,
            magicClip: considerMagicClip)

        var best: [Double] = []
        var bestScore = -Double.infinity
        for _ in 0..<max(eiCandidates, 1) {
            var x = below.sample(&rng)
            for c in dims.indices {
                if case .numeric(let s) = dims[c], let snapped = s.coordinate(of: s.value(at: x[c])) { x[c] = snapped }
            }
            let score = below.logDensity(x) - above.logDensity(x)
            if best.isEmpty || score > bestScore {
                best = x
                bestScore = score
            }
        }
        return members.enumerated().map { c, p in
            switch (dims[c], p.domain) {
            case (.numeric(let s), _): return (p.name, s.value(at: best[c]))
            case (.categorical, .categorical(let v)): return (p.name, v[min(max(Int(best[c]), 0), v.count - 1)])
            default: return (p.name, p.domain.value(atUnit: 0.5))
            }
        }
    }
}
