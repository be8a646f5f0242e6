import TunaRandom

/// A finished (or failed) trial of a multi-objective study: one value per objective.
///
/// The single-objective ``Trial`` is the one-objective case: `values == [value]`. Kept as a
/// separate type for now so that the store, the scheduler and the single-objective samplers do
/// not change while the plumbing is built (DESIGN.md, "Multi-objective").
public struct MultiObjectiveTrial: Sendable, Hashable, Codable {
    public var number: Int
    public var state: TrialState
    public var params: Parameters
    /// One value per objective, in the study's `metrics` order (nil unless complete).
    public var values: [Double]?

    public init(number: Int, state: TrialState, params: Parameters, values: [Double]? = nil) {
        self.number = number
        self.state = state
        self.params = params
        self.values = values
    }

    /// The one-objective view of a single-objective trial.
    public init(_ trial: Trial) {
        self.init(number: trial.number, state: trial.state, params: trial.params, values: trial.value.map { [$0] })
    }

    /// A complete trial whose values are all finite: what samplers learn from.
    public func isUsable(objectives: Int) -> Bool {
        guard state == .complete, let v = values, v.count == objectives else { return false }
        return v.allSatisfy(\.isFinite)
    }
}

/// What a multi-objective sampler is told when asked for the next trial's parameters: the
/// counterpart of ``SamplingContext`` with a direction per objective.
public struct MultiObjectiveContext: Sendable, Hashable, Codable {
    public var space: SearchSpace
    /// One direction per objective; their count is the number of objectives.
    public var directions: [Direction]
    /// Finished trials (any state; samplers learn from the usable ones).
    public var history: [MultiObjectiveTrial]
    /// Parameters of trials handed out but not finished, so parallel workers differ.
    public var running: [Parameters]
    /// Number of the trial being asked for: seeds the per-ask random stream and, for NSGA-II,
    /// fixes the generation the trial belongs to.
    public var trialNumber: Int

    public init(
        space: SearchSpace, directions: [Direction], history: [MultiObjectiveTrial] = [],
        running: [Parameters] = [], trialNumber: Int? = nil
    ) {
        self.space = space
        self.directions = directions
        self.history = history
        self.running = running
        self.trialNumber = trialNumber ?? (history.count + running.count)
    }

    /// The usable trials with their loss vectors (each objective turned to be minimised).
    public var observations: [(trial: MultiObjectiveTrial, losses: [Double])] {
        history.compactMap { t in
            guard t.isUsable(objectives: directions.count), let v = t.values else { return nil }
            return (t, zip(directions, v).map { $0.loss($1) })
        }
    }

    /// The single-objective context for the first objective, for samplers that ignore the
    /// others (random, or the plumbing's fallback when a study has one metric).
    public var firstObjective: SamplingContext {
        SamplingContext(
            space: space, direction: directions.first ?? .minimize,
            history: history.map {
                Trial(number: $0.number, state: $0.state, params: $0.params, value: $0.values?.first)
            },
            running: running, trialNumber: trialNumber)
    }
}

/// Proposes parameters for the next trial of a multi-objective study.
///
/// Same contract as ``Sampler``: immutable values, the suggestion a function of
/// (seed, space, directions, history, running, trial number) only.
public protocol MultiObjectiveSampler: Sendable {
    func ask(_ context: MultiObjectiveContext) throws -> Parameters
}

/// Any single-objective sampler that ignores history (random, Sobol') serves as a
/// multi-objective one; so can any sampler when the study has one objective.
public struct SingleObjectiveAdapter: MultiObjectiveSampler {
    public var base: any Sampler
    public init(_ base: any Sampler) { self.base = base }
    public func ask(_ context: MultiObjectiveContext) throws -> Parameters {
        try base.ask(context.firstObjective)
    }
}
