/// Prunes a trial whose best intermediate value so far is worse than the given percentile of
/// the complete trials' values at the same step (Optuna's `PercentilePruner`).
///
/// Checks only after `startupTrials` complete trials, from step `warmupSteps` on, once per
/// `intervalSteps`, and only when at least `minTrials` complete trials reported this step.
public struct PercentilePruner: Pruner, Codable, Hashable {
    /// 0…100; 25 keeps the best quarter.
    public var percentile: Double
    public var startupTrials: Int
    public var warmupSteps: Int
    public var intervalSteps: Int
    public var minTrials: Int

    public init(percentile: Double, startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1, minTrials: Int = 1) {
        self.percentile = percentile
        self.startupTrials = startupTrials
        self.warmupSteps = warmupSteps
        self.intervalSteps = intervalSteps
        self.minTrials = minTrials
    }

    public init(from decoder: any Decoder) throws {
        let settings = try PrunerSettings(
            decoder, pruner: "percentile", known: ["percentile", "startup_trials", "warmup_steps", "interval_steps", "min_trials"])
        self.init(
            percentile: try settings.double("percentile", default: 25, in: 0...100),
            startupTrials: try settings.int("startup_trials", default: 5), warmupSteps: try settings.int("warmup_steps", default: 0),
            intervalSteps: try settings.int("interval_steps", default: 1, minimum: 1), minTrials: try settings.int("min_trials", default: 1, minimum: 1))
    }

    public func encode(to encoder: any Encoder) throws {
        var writer = PrunerSettingsWriter(encoder)
        try writer.set("percentile", percentile)
        try writer.set("startup_trials", startupTrials)
        try writer.set("warmup_steps", warmupSteps)
        try writer.set("interval_steps", intervalSteps)
        try writer.set("min_trials", minTrials)
    }

    public func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool {
        let completed = history.filter { $0.state == .complete && $0.number != trial.number }
        if completed.isEmpty || completed.count < startupTrials { return false }
        if step < warmupSteps { return false }
        let ownSteps = trial.intermediateValues.keys.filter { $0 <= step }
        guard trial.intermediateValues[step] != nil else { return false }
        // Optuna's _is_first_in_interval_step.
        let interval = max(intervalSteps, 1)
        let nearestLowerPruningStep = (step - warmupSteps) / interval * interval + warmupSteps
        let secondLast = ownSteps.filter { $0 != step }.max() ?? -1
        if !(secondLast < nearestLowerPruningStep) { return false }

        let own = ownSteps.compactMap { trial.intermediateValues[$0] }.filter { !$0.isNaN }
        guard let best = direction == .minimize ? own.min() : own.max() else { return true }
        let others = completed.compactMap { $0.intermediateValues[step] }
        if others.count < minTrials { return false }
        let q = direction == .maximize ? 100 - percentile : percentile
        let p = nanPercentile(others, q)
        if p.isNaN { return false }
        return direction == .maximize ? best < p : best > p
    }
}

/// Prunes a trial whose best intermediate value is worse than the median of the complete
/// trials at the same step (Optuna's `MedianPruner`: the 50th percentile).
public struct MedianPruner: Pruner, Codable, Hashable {
    public var startupTrials: Int
    public var warmupSteps: Int
    public var intervalSteps: Int
    public var minTrials: Int

    public init(startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1, minTrials: Int = 1) {
        self.startupTrials = startupTrials
        self.warmupSteps = warmupSteps
        self.intervalSteps = intervalSteps
        self.minTrials = minTrials
    }

    public init(from decoder: any Decoder) throws {
        let settings = try PrunerSettings(
            decoder, pruner: "median", known: ["startup_trials", "warmup_steps", "interval_steps", "min_trials"])
        self.init(
            startupTrials: try settings.int("startup_trials", default: 5), warmupSteps: try settings.int("warmup_steps", default: 0),
            intervalSteps: try settings.int("interval_steps", default: 1, minimum: 1), minTrials: try settings.int("min_trials", default: 1, minimum: 1))
    }

    public func encode(to encoder: any Encoder) throws {
        var writer = PrunerSettingsWriter(encoder)
        try writer.set("startup_trials", startupTrials)
        try writer.set("warmup_steps", warmupSteps)
        try writer.set("interval_steps", intervalSteps)
        try writer.set("min_trials", minTrials)
    }

    public func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool {
        PercentilePruner(
            percentile: 50, startupTrials: startupTrials, warmupSteps: warmupSteps, intervalSteps: intervalSteps,
            minTrials: minTrials
        ).shouldPrune(trial, step: step, history: history, direction: direction)
    }
}
