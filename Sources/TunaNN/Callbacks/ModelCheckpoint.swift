import Foundation

/// Saves the model to `path` after an epoch: every epoch, or only when the monitored quantity
/// improved (`saveBestOnly`), as Keras's `ModelCheckpoint`. A failed save stops training with
/// the reason rather than going on without the checkpoint the user asked for.
public final class ModelCheckpoint: Callback {
    public let path: String
    public let saveBestOnly: Bool
    private var monitor: Monitor
    private let monitorKey: String
    /// Epochs (from 0) at which a file was written.
    public private(set) var savedEpochs: [Int] = []

    public init(path: String, monitor: String = "val_loss", mode: MonitorMode = .auto, saveBestOnly: Bool = true) {
        self.path = path
        self.saveBestOnly = saveBestOnly
        self.monitorKey = monitor
        self.monitor = Monitor(key: monitor, mode: mode, minDelta: 0)
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {
        if saveBestOnly {
            guard let value = logs[monitorKey], monitor.improves(value) else { return }
        }
        do {
            try context.model.save(to: path)
            savedEpochs.append(epoch)
        } catch {
            context.stop("checkpoint could not be saved to \(path): \(error)")
        }
    }
}
