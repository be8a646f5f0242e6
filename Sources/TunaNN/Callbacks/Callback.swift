import TunaTensor

/// Values reported after a batch or an epoch, in the order Keras prints them
/// (`loss`, metrics, then `val_loss`, validation metrics).
public struct Logs: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var values: [String: Double] = [:]

    public init() {}

    public subscript(name: String) -> Double? {
        get { values[name] }
        set {
            if values[name] == nil, newValue != nil { names.append(name) }
            values[name] = newValue
            if newValue == nil { names.removeAll { $0 == name } }
        }
    }
}

/// What callbacks see of a running `fit` and how they steer it.
public final class TrainingContext {
    public unowned let model: Sequential
    public let epochs: Int
    public let stepsPerEpoch: Int
    /// Set to end training after the current epoch (or batch).
    public var stopTraining = false
    /// Why training ended early, recorded in the history.
    public var stopReason: String?
    /// The history so far.
    public internal(set) var history: History

    init(model: Sequential, epochs: Int, stepsPerEpoch: Int, history: History) {
        self.model = model
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.history = history
    }

    /// Ends training with a reason.
    public func stop(_ reason: String) {
        stopTraining = true
        if stopReason == nil { stopReason = reason }
    }
}

/// Hooks into `fit`, as Keras callbacks. Every hook has an empty default, so a callback
/// implements only what it needs. Epochs and batches count from 0.
public protocol Callback: AnyObject {
    func onTrainBegin(_ context: TrainingContext)
    func onEpochBegin(_ epoch: Int, _ context: TrainingContext)
    func onBatchEnd(_ batch: Int, logs: Logs, _ context: TrainingContext)
    func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext)
    func onTrainEnd(_ context: TrainingContext)
    /// Whether `onBatchEnd` does anything; `fit` skips per-batch log building otherwise.
    var wantsBatchLogs: Bool { get }
}

extension Callback {
    public func onTrainBegin(_ context: TrainingContext) {}
    public func onEpochBegin(_ epoch: Int, _ context: TrainingContext) {}
    public func onBatchEnd(_ batch: Int, logs: Logs, _ context: TrainingContext) {}
    public func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {}
    public func onTrainEnd(_ context: TrainingContext) {}
    public var wantsBatchLogs: Bool { false }
}

/// Whether a monitored quantity improves by going down or up.
public enum MonitorMode: String, Sendable, Codable {
    case auto, min, max

    /// Resolves `auto` as Keras does: accuracy-like names are maximised, everything else minimised.
    func resolved(for monitor: String) -> MonitorMode {
        guard self == .auto else { return self }
        let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        let maximised = ["acc", "auc", "precision", "recall", "f1"]
        return maximised.contains { name.contains($0) } ? .max : .min
    }
}

/// Tracks the best value of a monitored quantity with a minimum improvement.
struct Monitor {
    let key: String
    let mode: MonitorMode
    let minDelta: Double
    var best: Double

    init(key: String, mode: MonitorMode, minDelta: Double) {
        self.key = key
        self.mode = mode.resolved(for: key)
        self.minDelta = abs(minDelta)
        self.best = self.mode == .max ? -.infinity : .infinity
    }

    /// True (and records it) when `value` beats the best by more than `minDelta`.
    mutating func improves(_ value: Double) -> Bool {
        let better = mode == .max ? value - minDelta > best : value + minDelta < best
        if better { best = value }
        return better
    }
}
