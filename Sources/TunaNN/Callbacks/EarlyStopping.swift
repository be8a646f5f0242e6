import TunaTensor

/// Stops training when a monitored quantity has not improved for `patience` epochs, optionally
/// restoring the weights of the best epoch (Keras's `EarlyStopping`).
public final class EarlyStopping: Callback {
    public let monitorKey: String
    public let patience: Int
    public let restoreBestWeights: Bool
    public let baseline: Double?
    private var monitor: Monitor
    private var wait = 0
    private var bestWeights: [Tensor]?
    /// The epoch training stopped at, if it did.
    public private(set) var stoppedEpoch: Int?
    /// The epoch with the best monitored value.
    public private(set) var bestEpoch: Int?

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, mode: MonitorMode = .auto,
                baseline: Double? = nil, restoreBestWeights: Bool = false) {
        self.monitorKey = monitor
        self.patience = patience
        self.restoreBestWeights = restoreBestWeights
        self.baseline = baseline
        self.monitor = Monitor(key: monitor, mode: mode, minDelta: minDelta)
    }

    public func onTrainBegin(_ context: TrainingContext) {
        monitor = Monitor(key: monitorKey, mode: monitor.mode, minDelta: monitor.minDelta)
        if let baseline { monitor.best = baseline }
        wait = 0
        bestWeights = nil
        stoppedEpoch = nil
        bestEpoch = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {
        guard let value = logs[monitorKey] else { return }
        wait += 1
        if monitor.improves(value) {
            wait = 0
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = context.model.weights() }
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            context.stop("early stopping: \(monitorKey) did not improve for \(patience) epochs (best \(monitor.best) at epoch \((bestEpoch ?? 0) + 1))")
        }
    }

    public func onTrainEnd(_ context: TrainingContext) {
        if restoreBestWeights, let bestWeights, stoppedEpoch != nil {
            try? context.model.setWeights(bestWeights)
        }
    }
}
