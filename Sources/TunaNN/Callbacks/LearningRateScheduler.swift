/// Sets the optimizer's learning rate at the start of each epoch from a function of the epoch
/// and the current rate (Keras's `LearningRateScheduler`).
public final class LearningRateScheduler: Callback {
    public let schedule: @Sendable (_ epoch: Int, _ learningRate: Float) -> Float

    public init(_ schedule: @escaping @Sendable (_ epoch: Int, _ learningRate: Float) -> Float) {
        self.schedule = schedule
    }

    public func onEpochBegin(_ epoch: Int, _ context: TrainingContext) {
        guard let optimizer = context.model.optimizer else { return }
        optimizer.learningRate = schedule(epoch, optimizer.learningRate)
    }
}

/// Divides the learning rate by `1 / factor` when a monitored quantity stops improving for
/// `patience` epochs, then waits `cooldown` epochs (Keras's `ReduceLROnPlateau`).
public final class ReduceLROnPlateau: Callback {
    public let factor: Float
    public let patience: Int
    public let cooldown: Int
    public let minLearningRate: Float
    private let monitorKey: String
    private var monitor: Monitor
    private var wait = 0
    private var cooldownLeft = 0

    public init(monitor: String = "val_loss", factor: Float = 0.1, patience: Int = 10, mode: MonitorMode = .auto,
                minDelta: Double = 1e-4, cooldown: Int = 0, minLearningRate: Float = 0) {
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
        self.monitorKey = monitor
        self.monitor = Monitor(key: monitor, mode: mode, minDelta: minDelta)
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {
        guard let value = logs[monitorKey], let optimizer = context.model.optimizer else { return }
        if cooldownLeft > 0 { cooldownLeft -= 1; wait = 0 }
        if monitor.improves(value) {
            wait = 0
        } else if cooldownLeft == 0 {
            wait += 1
            if wait >= patience {
                optimizer.learningRate = Swift.max(optimizer.learningRate * factor, minLearningRate)
                cooldownLeft = cooldown
                wait = 0
            }
        }
    }
}
