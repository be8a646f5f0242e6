/// Why a trial could not produce a score (reported to the scheduler as `failed`, with this text).
public struct TrialFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(description: String) { self.description = description }
}
