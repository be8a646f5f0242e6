/// A trial that failed in the worker itself (no study file, no data or model, a network whose
/// loss diverged) rather than in a command objective's program (``CommandFailure``): the
/// message is stored with the trial.
public struct TrialFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(description: String) { self.description = description }
}
