import TunaRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Multivariate Tree-structured Parzen Estimator, after Optuna 5's default `TPESampler`.
///
/// After `startupTrials` scrambled Sobol' points, finished trials are ranked by loss (complete ones
/// first, then pruned ones by how far they got) and split: the best `γ(n) = min(⌈0.1 n⌉, 25)`
/// form the good set, the rest and the trials still running (the constant liar) the bad set.
/// For each group of parameters a joint Parzen estimator is built on each set (older trials
/// down-weighted as in Optuna), `eiCandidates` points are drawn from the good one, l, and the
/// one maximising log l(x) − log g(x) is taken.
///
/// Two departures from Optuna: the start is a space-filling design (as the Bayesian sampler's)
/// where Optuna draws at random, so the first split already sees the whole space; and both
/// estimators share the floor on kernel widths, taken from all the trials behind them
/// (``minimumWidth(observations:)``), where Optuna gives each its own.
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

    /// The narrowest a numeric kernel may be, as a fraction of its parameter's range, when
    /// `observations` trials inform the two estimators together: Optuna's magic clip,
    /// 1 / min(100, n + 2), or no floor when `considerMagicClip` is off.
    ///
    /// Optuna counts each estimator's own trials, so the good one, never more than 25 trials,
    /// cannot resolve anything finer than 1/27 of a range (early, with 2 or 3 good trials, a
    /// quarter of it) while the bad one it is divided by goes down to 1/100. With one floor from
    /// all trials, l and g resolve the same scale, and l(x)/g(x) can single out a small region
    /// once the good trials there are close together: the neighbour distances still set the
    /// widths, the floor only stops them shrinking below what the whole study has sampled.
    func minimumWidth(observations: Int) -> Double {
        considerMagicClip ? 1 / min(100, Double(observations + 2)) : 0
    }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        let space = context.space
        let ordered = try space.orderedParameters()
        let (good, bad) = split(context)
        if good.count + bad.count < max(startupTrials, 1) {
            return try SobolSampler(seed: seed).ask(context)
        }
        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber) ^ 0x7E5)
        // Constant liar (Optuna's default): trials still running count as bad, so parallel
        // workers are not all sent to the same promising spot.
        let goodParams = good.map(\.params), badParams = bad.map(\.params) + context.running
        let feasibility = Feasibility(
            diverged: context.history.filter(\.isDivergedFailure).map(\.params),
            finished: context.history.filter { $0.isUsable || $0.state == .pruned }.map(\.params))

        var values = Parameters()
        var sampledGroups = Set<String>()
        for p in ordered where space.isActive(p, given: values) {
            if case .fixed(let v) = p.domain {
                values[p.name] = v
                continue
            }
            let key = p.when?.description ?? ""
            guard sampledGroups.insert(key).inserted else { continue }
            let members = ordered.filter { ($0.when?.description ?? "") == key && $0.domain.isSearchable }
            values.merge(sampleGroup(members, good: goodParams, bad: badParams, feasibility: feasibility, rng: &rng)) { $1 }
        }
        return values
    }

    /// Good and bad finished trials, each in trial-number order (as Optuna weights them).
    ///
    /// Complete trials rank by loss; pruned ones after them, those that got further first, then
    /// by their last intermediate value; pruned trials that reported nothing rank last; diverged
    /// failures are always bad.
    func split(_ context: SamplingContext) -> (good: [Trial], bad: [Trial]) {
        let dir = context.direction
        let complete = context.history.filter(\.isUsable).sorted {
            let a = dir.loss($0.value ?? 0), b = dir.loss($1.value ?? 0)
            return a < b || (a == b && $0.number < $1.number)
        }
        func prunedRank(_ t: Trial) -> (step: Int, loss: Double) {
            guard let step = t.lastStep else { return (Int.min, .infinity) }
            let loss = dir.loss(t.intermediateValues[step] ?? .nan)
            return (step, loss.isNaN ? .infinity : loss)
        }
        let pruned = context.history.filter { $0.state == .pruned }.sorted {
            let a = prunedRank($0), b = prunedRank($1)
            if a.step != b.step { return a.step > b.step }
            return a.loss < b.loss || (a.loss == b.loss && $0.number < $1.number)
        }
        let ranked = complete + pruned
        let nGood = Self.gamma(ranked.count)
        let good = ranked.prefix(nGood).sorted { $0.number < $1.number }
        // Diverged failures are the worst outcomes: always bad, so g(x) is high where they
        // were and l(x)/g(x) steers away from them.
        let diverged = context.history.filter(\.isDivergedFailure)
        let bad = (ranked.dropFirst(nGood) + diverged).sorted { $0.number < $1.number }
        return (good, bad)
    }

    /// Joint TPE draw for one group of parameters that are active together: `eiCandidates`
    /// draws from the good trials' estimator l, the one with the largest log l(x) − log g(x).
    func sampleGroup(
        _ members: [Parameter], good: [Parameters], bad: [Parameters], feasibility: Feasibility = Feasibility(),
        rng: inout SeededGenerator
    ) -> Parameters {
        var values = Parameters()
        var modelled: [(parameter: Parameter, dim: ParzenEstimator.Dim)] = []
        for p in members {
            if case .categorical(let choices) = p.domain {
                modelled.append((p, .categorical(choices.count)))
            } else if let scale = p.domain.scale {
                if scale.upper > scale.lower {
                    modelled.append((p, .numeric(scale)))
                } else {
                    values[p.name] = scale.value(at: scale.lower)  // a single allowed value
                }
            }
        }
        guard !modelled.isEmpty else { return values }

        /// A trial's coordinates, or nil when one of the group's parameters is missing or invalid.
        func row(_ params: Parameters) -> [Double]? {
            var row: [Double] = []
            row.reserveCapacity(modelled.count)
            for (p, dim) in modelled {
                guard let v = params[p.name] else { return nil }
                switch dim {
                case .numeric(let s):
                    guard let x = s.coordinate(of: v), x.isFinite else { return nil }
                    row.append(x)
                case .categorical:
                    guard let i = p.domain.choiceIndex(of: v) else { return nil }
                    row.append(Double(i))
                }
            }
            return row
        }
        let dims = modelled.map(\.dim)
        let goodRows = good.compactMap(row), badRows = bad.compactMap(row)
        let floor = minimumWidth(observations: goodRows.count + badRows.count)
        let below = ParzenEstimator(
            dims: dims, observations: goodRows, weights: Self.weights(goodRows.count), priorWeight: priorWeight,
            minimumWidth: floor)
        // Diverged trials are already in the bad set once; their extra weight there raises g(x)
        // over the region that diverged (see `Feasibility`).
        let divergedRows = feasibility.diverged.compactMap(row)
        let above = ParzenEstimator(
            dims: dims, observations: badRows + divergedRows,
            weights: Self.weights(badRows.count)
                + [Double](repeating: Feasibility.extraBadWeight, count: divergedRows.count),
            priorWeight: priorWeight, minimumWidth: floor)
        let candidates = below.sample(max(eiCandidates, 1), rng: &rng)
        var scores = zip(below.logDensities(candidates), above.logDensities(candidates)).map { $0 - $1 }
        if !divergedRows.isEmpty {
            let finishedRows = feasibility.finished.compactMap(row)
            for (i, p) in feasibility.logProbabilityOfConverging(
                at: candidates, dims: dims, diverged: divergedRows, finished: finishedRows, priorWeight: priorWeight,
                minimumWidth: floor
            ).enumerated() {
                scores[i] += p
            }
        }
        var best = 0
        for i in scores.indices where scores[i] > scores[best] || scores[best].isNaN { best = i }

        for (c, (p, dim)) in modelled.enumerated() {
            let x = candidates[best][c]
            switch (dim, p.domain) {
            case (.numeric(let s), _): values[p.name] = s.value(at: x)
            case (.categorical, .categorical(let choices)): values[p.name] = choices[min(max(Int(x), 0), choices.count - 1)]
            case (.categorical, _): break
            }
        }
        return values
    }

    /// What TPE knows about configurations that diverged, beside the good/bad split.
    ///
    /// In the bad set alone a diverged trial is one kernel among ~90% of the study: g(x) barely
    /// rises over the region that diverged, and TPE went back there about as often as uniform
    /// sampling (issue #14: 28% of the proposals after the 15th trial in DivergedTrialTests'
    /// problem over 20 seeds, uniform 30%). Two changes: as c-TPE (Watanabe & Hutter 2023)
    /// does for constraints, the score log l(x) − log g(x) gets a second ratio that only the
    /// failures shape, log P(no divergence | x), from one Parzen estimator on the diverged
    /// trials and one on those that finished, weighted by their counts (Bayes' rule with the
    /// estimators as class densities) — 23% alone (10 seeds): with few failures their kernels
    /// are wide and the classifier is vague at the edge; and each diverged trial weighs
    /// `extraBadWeight` more in g — 23% alone at 3 (10 seeds), 14% at 20 (20 seeds). Together
    /// (weight 3): 13% over 20 seeds, with the same best loss found (median 0.097 against
    /// 0.095). Without diverged trials neither applies, so TPE is unchanged on every study that
    /// has none.
    struct Feasibility {
        static let extraBadWeight = 3.0
        var diverged: [Parameters] = []
        var finished: [Parameters] = []

        func logProbabilityOfConverging(
            at candidates: [[Double]], dims: [ParzenEstimator.Dim], diverged: [[Double]], finished: [[Double]],
            priorWeight: Double, minimumWidth: Double
        ) -> [Double] {
            func estimator(_ rows: [[Double]]) -> ParzenEstimator {
                ParzenEstimator(
                    dims: dims, observations: rows, weights: [Double](repeating: 1, count: rows.count),
                    priorWeight: priorWeight, minimumWidth: minimumWidth)
            }
            let bad = estimator(diverged).logDensities(candidates)
            let ok = estimator(finished).logDensities(candidates)
            let logBad = log(Double(diverged.count)), logOk = log(Double(max(finished.count, 1)))
            return zip(ok, bad).map { o, b in
                let a = o + logOk, c = b + logBad
                return a - ParzenEstimator.logSumExp([a, c])
            }
        }
    }
}
