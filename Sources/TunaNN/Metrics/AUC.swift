import TunaMetrics
import TunaTensor

/// Area under the ROC curve, computed exactly from the ranks of the scores (ties counted half,
/// through the scikit-learn-checked ``ProbabilityMetrics/rocAUC(_:scores:)``) rather than by
/// Keras's 200-threshold approximation. Each output element is one binary case.
public struct AUC: Metric {
    public let name = "auc"
    private var scores: [Float] = []
    private var labels: [Bool] = []

    public init() {}

    public mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
    }

    public mutating func update(predictions: Tensor, targets: Tensor) {
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { t in
                for i in 0..<Swift.min(p.count, t.count) {
                    scores.append(p[i])
                    labels.append(t[i] > 0.5)
                }
            }
        }
    }

    public func result() -> Double {
        // With one class only there is no ROC curve; a 0 keeps the epoch's logs numeric.
        (try? ProbabilityMetrics.rocAUC(labels, scores: scores.map(Double.init))) ?? 0
    }
}
