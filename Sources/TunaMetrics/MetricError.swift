/// Why a metric cannot be computed from the given labels and scores (e.g. ROC-AUC with one class
/// only); the message is shown to the user as is.
public struct MetricError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
