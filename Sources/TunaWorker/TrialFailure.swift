/// Why a trial of a network or function objective failed: the message is stored with the
/// trial. Command objectives have their own ``CommandFailure``, which names the program.
public struct TrialFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
}
