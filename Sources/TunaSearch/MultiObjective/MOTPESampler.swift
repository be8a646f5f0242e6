/// Multi-objective TPE (Ozaki et al. 2020), the way Optuna's `TPESampler` handles several
/// objectives: trials are ordered by non-dominated rank, and the good set — the first
/// γ(n) = min(⌈0.1 n⌉, 25) of them, as for one objective — is cut inside the front that
/// straddles γ(n) by hypervolume contribution, so the good set spreads along the front instead
/// of bunching where points are dense.
///
/// The estimator machinery is the single-objective ``TPESampler`` itself: the order is handed
/// to it as a surrogate objective (the trial's position in the order), so its split takes exactly
/// this good set, and its conditional grouping, constant liar for running trials and Sobol'
/// start all carry over. Departure from Optuna: Optuna also weights the good set's kernels by
/// hypervolume contribution; here they keep TPE's age weights.
public struct MOTPESampler: MultiObjectiveSampler, Codable, Hashable {
    public var seed: UInt64
    public var startupTrials: Int
    public var eiCandidates: Int

    public init(seed: UInt64 = 0, startupTrials: Int = 10, eiCandidates: Int = 24) {
        self.seed = seed
        self.startupTrials = startupTrials
        self.eiCandidates = eiCandidates
    }

    public func ask(_ context: MultiObjectiveContext) throws -> Parameters {
        let observations = context.observations
        let position = Dictionary(uniqueKeysWithValues: Self.order(observations.map(\.losses)).enumerated().map {
            (observations[$0.element].trial.number, Double($0.offset))
        })
        // Pruned and failed trials go through as they are (TPE ranks pruned ones after the
        // complete ones); complete trials without usable values are left out.
        let history: [Trial] = context.history.compactMap { t in
            if let p = position[t.number] { return Trial(number: t.number, state: .complete, params: t.params, value: p) }
            if t.state == .complete { return nil }
            return Trial(number: t.number, state: t.state, params: t.params)
        }
        let surrogate = SamplingContext(
            space: context.space, direction: .minimize, history: history, running: context.running,
            trialNumber: context.trialNumber)
        return try TPESampler(seed: seed, startupTrials: startupTrials, eiCandidates: eiCandidates).ask(surrogate)
    }

    /// Indices of `losses` best first: by non-dominated rank; inside the front that straddles
    /// the good-set size, by hypervolume contribution (largest first, ties by index) against
    /// a reference just beyond the worst values seen (Optuna's choice of reference).
    static func order(_ losses: [[Double]]) -> [Int] {
        let nGood = TPESampler.gamma(losses.count)
        guard let m = losses.first?.count else { return [] }
        let reference = (0..<m).map { k -> Double in
            let worst = losses.map { $0[k] }.max() ?? 0
            let r = max(1.1 * worst, 0.9 * worst)
            return r == worst ? worst + 1 : r
        }
        var out: [Int] = []
        for front in Pareto.fronts(losses) {
            if out.count < nGood, out.count + front.count > nGood {
                let contribution = Hypervolume.contributions(front.map { losses[$0] }, reference: reference)
                let sorted = front.indices.sorted {
                    contribution[$0] > contribution[$1] || (contribution[$0] == contribution[$1] && front[$0] < front[$1])
                }
                out += sorted.map { front[$0] }
            } else {
                out += front
            }
        }
        return out
    }
}
