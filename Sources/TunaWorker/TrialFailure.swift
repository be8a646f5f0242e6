/// A trial that failed in the worker itself (no study file, no data or model, a network whose
/// loss diverged) rather than in a command objective's program (``CommandFailure``): the
/// message is stored with the trial.
public struct TrialFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    /// The objective diverged (a NaN or infinite loss): reported so the sampler avoids the region.
    public var diverged: Bool
    public init(description: String, diverged: Bool = false) {
        self.description = description
        self.diverged = diverged
    }
}
