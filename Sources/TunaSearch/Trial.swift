/// The life cycle of a trial, as in Optuna: WAITING → RUNNING → COMPLETE | PRUNED | FAIL.
public enum TrialState: String, Sendable, Hashable, Codable, CaseIterable {
    case waiting, running, complete, pruned, fail

    /// True once the trial will not change any more.
    public var isFinished: Bool { self == .complete || self == .pruned || self == .fail }
}

/// Whether the study looks for the smallest or the largest objective value.
public enum Direction: String, Sendable, Hashable, Codable {
    case minimize, maximize

    /// The value turned into a loss (smaller is better), so that samplers only ever minimise.
    @inline(__always)
    public func loss(_ value: Double) -> Double { self == .minimize ? value : -value }

    /// True when `a` is strictly better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }
}

/// A trial as samplers and pruners see it: a snapshot, not a live handle.
public struct Trial: Sendable, Hashable, Codable {
    /// Position in the study (0, 1, 2, ...), also used by Hyperband to pick a bracket.
    public var number: Int
    public var state: TrialState
    public var params: Parameters
    /// The objective value once complete (nil otherwise).
    public var value: Double?
    /// Reported intermediate values (per epoch or per fold), by step.
    public var intermediateValues: [Int: Double]
    /// A failed trial whose objective diverged (a non-finite loss): the configuration itself is
    /// bad, so samplers count it as the worst outcome seen (see
    /// ``SamplingContext/observations``) instead of ignoring it and proposing it again.
    public var diverged: Bool

    public init(
        number: Int, state: TrialState, params: Parameters, value: Double? = nil,
        intermediateValues: [Int: Double] = [:], diverged: Bool = false
    ) {
        self.number = number
        self.state = state
        self.params = params
        self.value = value
        self.intermediateValues = intermediateValues
        self.diverged = diverged
    }

    private enum CodingKeys: String, CodingKey { case number, state, params, value, intermediateValues, diverged }

    /// Snapshots written before `diverged` existed read as not diverged.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        number = try c.decode(Int.self, forKey: .number)
        state = try c.decode(TrialState.self, forKey: .state)
        params = try c.decode(Parameters.self, forKey: .params)
        value = try c.decodeIfPresent(Double.self, forKey: .value)
        intermediateValues = try c.decodeIfPresent([Int: Double].self, forKey: .intermediateValues) ?? [:]
        diverged = try c.decodeIfPresent(Bool.self, forKey: .diverged) ?? false
    }

    /// The largest step with a reported intermediate value.
    public var lastStep: Int? { intermediateValues.keys.max() }

    /// A failed trial that diverged: model-based samplers learn from it as the worst outcome.
    public var isDivergedFailure: Bool { state == .fail && diverged }

    /// A complete trial with a finite value: what model-based samplers learn from.
    public var isUsable: Bool {
        guard state == .complete, let v = value else { return false }
        return v.isFinite
    }
}
