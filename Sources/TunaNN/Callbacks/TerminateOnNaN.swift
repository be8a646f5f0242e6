/// Stops training as soon as the loss is NaN or infinite, recording where (Keras's
/// `TerminateOnNaN`). `fit` already does this on its own; the callback is here so that Keras
/// callback lists carry over unchanged.
public final class TerminateOnNaN: Callback {
    public init() {}

    public var wantsBatchLogs: Bool { true }

    public func onBatchEnd(_ batch: Int, logs: Logs, _ context: TrainingContext) {
        if let loss = logs["loss"], !loss.isFinite {
            context.stop("loss became \(loss) at epoch \(context.history.epochCount + 1), batch \(batch + 1)")
        }
    }
}
