/// Asynchronous successive halving (ASHA), as Optuna's `SuccessiveHalvingPruner`.
///
/// Rung r is reached at step `minResource × η^(minEarlyStoppingRate + r)`. A trial reaching a
/// rung competes with every trial that reached it before; it continues only if it is in the top
/// 1/η of them (for fewer than η competitors: only if it is the best so far).
///
/// Optuna stores each trial's value at each rung as a system attribute when the pruner runs. This
/// version recomputes it: a trial's value at rung r is its intermediate value at the first step
/// it reported at or after the rung's step — what Optuna records when the pruner is called at
/// every report.
public struct SuccessiveHalvingPruner: Pruner, Codable, Hashable {
    /// Steps before the first rung; nil = "auto": max(last step of complete trials / 100, 1),
    /// no pruning before a trial completes.
    public var minResource: Int?
    public var reductionFactor: Int
    public var minEarlyStoppingRate: Int
    public var bootstrapCount: Int

    public init(minResource: Int? = nil, reductionFactor: Int = 4, minEarlyStoppingRate: Int = 0, bootstrapCount: Int = 0) {
        self.minResource = minResource
        self.reductionFactor = reductionFactor
        self.minEarlyStoppingRate = minEarlyStoppingRate
        self.bootstrapCount = bootstrapCount
    }

    public init(from decoder: any Decoder) throws {
        let settings = try PrunerSettings(
            decoder, pruner: "successive halving",
            known: ["min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"])
        self.init(
            minResource: try settings.optionalInt("min_resource", minimum: 1),
            reductionFactor: try settings.int("reduction_factor", default: 4, minimum: 2),
            minEarlyStoppingRate: try settings.int("min_early_stopping_rate", default: 0),
            bootstrapCount: try settings.int("bootstrap_count", default: 0))
    }

    public func encode(to encoder: any Encoder) throws {
        var writer = PrunerSettingsWriter(encoder)
        try writer.set("min_resource", minResource)
        try writer.set("reduction_factor", reductionFactor)
        try writer.set("min_early_stopping_rate", minEarlyStoppingRate)
        try writer.set("bootstrap_count", bootstrapCount)
    }

    /// Step at which rung `rung` is reached.
    func promotionStep(_ rung: Int, minResource: Int) -> Int {
        var s = max(minResource, 1)
        for _ in 0..<max(minEarlyStoppingRate + rung, 0) {
            let (next, overflow) = s.multipliedReportingOverflow(by: max(reductionFactor, 2))
            if overflow { return .max }
            s = next
        }
        return s
    }

    /// The trial's recorded value at a rung step: its value at the first reported step ≥ `at`,
    /// looking only at steps ≤ `upTo`.
    static func rungValue(_ t: Trial, at: Int, upTo: Int = .max) -> Double? {
        guard let s = t.intermediateValues.keys.filter({ $0 >= at && $0 <= upTo }).min() else { return nil }
        return t.intermediateValues[s]
    }

    static func estimateMinResource(_ history: [Trial]) -> Int? {
        let steps = history.filter { $0.state == .complete }.compactMap(\.lastStep)
        guard let last = steps.max() else { return nil }
        return max(last / 100, 1)
    }

    public func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool {
        guard let value = trial.intermediateValues[step] else { return false }
        guard let minRes = minResource ?? Self.estimateMinResource(history) else { return false }
        let others = history.filter { $0.number != trial.number }
        // Rungs completed at earlier reports (each was passed, or the trial would have stopped).
        let previous = trial.intermediateValues.keys.filter { $0 < step }.max()
        var rung = 0
        if let previous {
            while promotionStep(rung, minResource: minRes) <= previous && rung < 64 { rung += 1 }
        }
        while rung < 64 {
            let promotion = promotionStep(rung, minResource: minRes)
            if step < promotion { return false }
            if value.isNaN { return true }
            var competing = others.compactMap { Self.rungValue($0, at: promotion) }
            competing.append(value)
            if competing.count <= bootstrapCount { return true }
            if !Self.isPromotable(value, competing, reductionFactor: reductionFactor, direction: direction) { return true }
            rung += 1
        }
        return false
    }

    static func isPromotable(_ value: Double, _ competing: [Double], reductionFactor: Int, direction: Direction) -> Bool {
        var index = competing.count / max(reductionFactor, 1) - 1
        if index == -1 { index = 0 }
        let sorted = competing.sorted()
        if direction == .maximize { return value >= sorted[sorted.count - 1 - index] }
        return value <= sorted[index]
    }
}
