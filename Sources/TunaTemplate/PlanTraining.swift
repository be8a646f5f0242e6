import TunaData
import TunaNN
import TunaSpec
import TunaTensor

/// What a cross-validation fold and a final retraining on all the data build the same way, so
/// that an exported model is the network its trial scored, not a look-alike.
extension TrainingPlan {
    /// The untrained network for features already through `pipeline`. Its input shape is the
    /// preprocessed features' (one-hot columns widen a table), not the data file's, and the
    /// study's `augment` step becomes training-only layers in front of it.
    public func network(features: Tensor, pipeline: FittedPipeline, seed: UInt64) throws -> Sequential {
        let inputShape = Array(features.shape.dropFirst())
        let augmentation = try pipeline.augmentation?.layerSpecs(inputShape: inputShape) ?? []
        return try Sequential(inputShape: inputShape, layers: augmentation + layers, seed: seed)
    }

    /// Targets shaped for the loss: class indices, one-hot rows, or a column of values.
    public func targets(_ targets: Targets, classes: Int?) throws -> Tensor {
        switch (targets, loss) {
        case (.classes(let labels, _), .categoricalCrossentropy):
            let width = classes ?? ((labels.max() ?? 0) + 1)
            var oneHot = Tensor(zeros: [labels.count, width])
            for (row, label) in labels.enumerated() where label < width { oneHot[row, label] = 1 }
            return oneHot
        case (.classes(let labels, _), .binaryCrossentropy), (.classes(let labels, _), .hinge), (.classes(let labels, _), .squaredHinge):
            return Tensor(labels.map(Float.init), shape: [labels.count, 1])
        default:
            return targets.tensor()
        }
    }
}

extension DataSpec {
    /// The data set this section describes, read from `path` (the study's own, or a copy
    /// received or stored by content hash).
    public func loadDataset(path: String? = nil) throws -> Dataset {
        try Dataset.load(
            path: path ?? self.path, target: target, task: task == .classification ? .classification : .regression,
            features: features, featuresKey: featuresKey, inputShape: inputShape)
    }
}
