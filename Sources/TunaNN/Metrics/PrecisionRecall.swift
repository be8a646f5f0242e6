import TunaTensor

/// Precision (TP / (TP + FP)) or recall (TP / (TP + FN)) of thresholded predictions against 0/1
/// targets, element by element, as Keras's `Precision` and `Recall` compute them for any output
/// shape; 0 when the denominator is empty.
public struct ThresholdedRate: Metric {
    public enum Kind: String, Sendable { case precision, recall }

    public let kind: Kind
    public let threshold: Float
    private var truePositives = 0.0
    private var falsePositives = 0.0
    private var falseNegatives = 0.0

    public init(_ kind: Kind, threshold: Float = 0.5) {
        self.kind = kind
        self.threshold = threshold
    }

    public var name: String { kind.rawValue }

    public mutating func reset() {
        truePositives = 0
        falsePositives = 0
        falseNegatives = 0
    }

    public mutating func update(predictions: Tensor, targets: Tensor) {
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

    public func result() -> Double {
        let denominator = truePositives + (kind == .precision ? falsePositives : falseNegatives)
        return denominator == 0 ? 0 : truePositives / denominator
    }
}
