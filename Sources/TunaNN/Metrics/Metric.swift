import TunaTensor

/// A quantity accumulated over the batches of an epoch (Keras's stateful metrics).
public protocol Metric {
    /// The key in logs and history (`accuracy`, `auc`, ...); prefixed `val_` for validation.
    var name: String { get }
    /// Whether larger is better (EarlyStopping's `mode: auto` asks this).
    var higherIsBetter: Bool { get }
    mutating func reset()
    /// Adds a batch. Targets are laid out as for the loss (class indices for sparse labels).
    mutating func update(predictions: Tensor, targets: Tensor)
    /// The value over everything added since the last reset.
    func result() -> Double
}

extension Metric {
    public var higherIsBetter: Bool { true }
}

/// How an `accuracy` asked for by name is computed, following Keras: the loss decides.
public enum AccuracyKind: Sendable {
    /// One output per class, target one-hot: argmax against argmax.
    case categorical
    /// One output per class, target a class index.
    case sparseCategorical
    /// Outputs thresholded (0.5 on probabilities, 0 on logits) against 0/1 targets.
    case binary(threshold: Float)
}

/// The metrics that can be named in `compile` and in study files.
public enum MetricName {
    public static let known = [
        "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "precision", "recall", "auc", "mae", "mse", "mean_absolute_error", "mean_squared_error",
    ]

    /// A metric for `name`, resolved against the loss as Keras does for `accuracy`.
    public static func make(_ name: String, loss: Loss) throws -> any Metric {
        let threshold: Float = {
            if case .binaryCrossentropy(true) = loss { return 0 }
            if case .hinge = loss { return 0 }
            if case .squaredHinge = loss { return 0 }
            return 0.5
        }()
        switch name.lowercased() {
        case "accuracy", "acc":
            switch loss {
            case .sparseCategoricalCrossentropy: return Accuracy(kind: .sparseCategorical)
            case .categoricalCrossentropy: return Accuracy(kind: .categorical)
            default: return Accuracy(kind: .binary(threshold: threshold))
            }
        case "binary_accuracy": return Accuracy(kind: .binary(threshold: threshold), name: "binary_accuracy")
        case "categorical_accuracy": return Accuracy(kind: .categorical, name: "categorical_accuracy")
        case "sparse_categorical_accuracy": return Accuracy(kind: .sparseCategorical, name: "sparse_categorical_accuracy")
        case "precision": return ThresholdedRate(.precision, threshold: threshold)
        case "recall": return ThresholdedRate(.recall, threshold: threshold)
        case "auc": return AUC()
        case "mae", "mean_absolute_error": return MeanError(squared: false)
        case "mse", "mean_squared_error": return MeanError(squared: true)
        default: throw NNError.unknownName(kind: "metric", name: name, known: known)
        }
    }
}
