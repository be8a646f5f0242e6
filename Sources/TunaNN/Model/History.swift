/// Per-epoch logs of a `fit`, and why it ended early if it did.
public struct History: Sendable, Equatable {
    /// One entry per completed epoch.
    public private(set) var epochs: [Logs] = []
    /// Why training ended before the last epoch (early stopping, NaN loss, a failed checkpoint).
    public var stopReason: String?

    public init() {}

    public var epochCount: Int { epochs.count }

    mutating func append(_ logs: Logs) { epochs.append(logs) }

    /// The series of one quantity (`loss`, `val_accuracy`, ...), one value per epoch.
    public subscript(key: String) -> [Double] {
        epochs.compactMap { $0[key] }
    }

    /// The names logged, in order.
    public var keys: [String] { epochs.first?.names ?? [] }
}
