import TunaTensor

/// Counts of thresholded predictions against 0/1 targets, element by element (as Keras's
/// `Precision` and `Recall` do for any output shape).
struct ConfusionCounts {
    var truePositives = 0.0
    var falsePositives = 0.0
    var falseNegatives = 0.0

    mutating func add(predictions: Tensor, targets: Tensor, threshold: Float) {
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { t in
                for i in 0..<Swift.min(p.count, t.count) {
                    let predicted = p[i] > threshold, actual = t[i] > 0.5
                    if predicted && actual { truePositives += 1 }
                    else if predicted { falsePositives += 1 }
                    else if actual { falseNegatives += 1 }
                }
            }
        }
    }
}

/// TP / (TP + FP); 0 when nothing was predicted positive.
public struct Precision: Metric {
    public let name = "precision"
    public let threshold: Float
    private var counts = ConfusionCounts()
    public init(threshold: Float = 0.5) { self.threshold = threshold }
    public mutating func reset() { counts = ConfusionCounts() }
    public mutating func update(predictions: Tensor, targets: Tensor) {
        counts.add(predictions: predictions, targets: targets, threshold: threshold)
    }
    public func result() -> Double {
        let denominator = counts.truePositives + counts.falsePositives
        return denominator == 0 ? 0 : counts.truePositives / denominator
    }
}

/// TP / (TP + FN); 0 when there were no positives.
public struct Recall: Metric {
    public let name = "recall"
    public let threshold: Float
    private var counts = ConfusionCounts()
    public init(threshold: Float = 0.5) { self.threshold = threshold }
    public mutating func reset() { counts = ConfusionCounts() }
    public mutating func update(predictions: Tensor, targets: Tensor) {
        counts.add(predictions: predictions, targets: targets, threshold: threshold)
    }
    public func result() -> Double {
        let denominator = counts.truePositives + counts.falseNegatives
        return denominator == 0 ? 0 : counts.truePositives / denominator
    }
}
