import Foundation

/// Prints training progress in the format Keras users know:
///
///     Epoch 1/2
///     313/313 [==============================] - 0s 1ms/step - loss: 0.6934 - accuracy: 0.4964 - val_loss: 0.6930
///
/// With `verbose: 1` the bar is redrawn in place while an epoch runs when the output is a
/// terminal (at most ten times a second); the final line per epoch is always written.
/// With `verbose: 2` only the per-epoch line, without the bar.
public final class ProgressLogger: Callback {
    public let verbose: Int
    private let write: @Sendable (String) -> Void
    private let live: Bool
    private var epochStart = Date()
    private var lastDraw = Date.distantPast

    /// `write` receives whole lines (without newline) or, live, carriage-return redraws.
    public init(verbose: Int = 1, write: (@Sendable (String) -> Void)? = nil) {
        self.verbose = verbose
        self.live = write == nil && verbose == 1 && isatty(STDOUT_FILENO) == 1
        self.write = write ?? { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    public var wantsBatchLogs: Bool { live }

    public func onEpochBegin(_ epoch: Int, _ context: TrainingContext) {
        epochStart = Date()
        if verbose == 1 { write("Epoch \(epoch + 1)/\(context.epochs)") }
    }

    public func onBatchEnd(_ batch: Int, logs: Logs, _ context: TrainingContext) {
        guard live, Date().timeIntervalSince(lastDraw) > 0.1, batch + 1 < context.stepsPerEpoch else { return }
        lastDraw = Date()
        let line = Self.line(step: batch + 1, of: context.stepsPerEpoch, elapsed: Date().timeIntervalSince(epochStart), logs: logs, bar: true)
        FileHandle.standardOutput.write(Data(("\r" + line).utf8))
    }

    public func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {
        let elapsed = Date().timeIntervalSince(epochStart)
        let line = Self.line(step: context.stepsPerEpoch, of: context.stepsPerEpoch, elapsed: elapsed, logs: logs, bar: verbose == 1)
        if live { FileHandle.standardOutput.write(Data("\r".utf8)) }
        write(line)
    }

    /// One progress line, formatted as Keras formats it.
    public static func line(step: Int, of total: Int, elapsed: TimeInterval, logs: Logs, bar: Bool) -> String {
        var text = "\(step)/\(total)"
        if bar {
            let width = 30
            let done = total == 0 ? width : width * step / total
            let arrow = done < width ? ">" : ""
            let filled = String(repeating: "=", count: Swift.max(done - (arrow.isEmpty ? 0 : 1), 0))
            text += " [" + filled + arrow + String(repeating: ".", count: width - filled.count - arrow.count) + "]"
        }
        text += " - \(Int(elapsed.rounded()))s"
        if bar {
            let perStep = elapsed / Double(Swift.max(step, 1))
            if perStep >= 1 { text += " \(Int(perStep.rounded()))s/step" }
            else if perStep >= 1e-3 { text += " \(Int((perStep * 1e3).rounded()))ms/step" }
            else { text += " \(Int((perStep * 1e6).rounded()))us/step" }
        }
        for name in logs.names {
            guard let value = logs[name] else { continue }
            text += " - \(name): " + formatValue(value)
        }
        return text
    }

    /// Keras prints four decimals, or scientific notation for tiny magnitudes.
    static func formatValue(_ value: Double) -> String {
        if value == 0 || abs(value) > 1e-3 || !value.isFinite { return String(format: "%.4f", value) }
        return String(format: "%.4e", value)
    }
}
