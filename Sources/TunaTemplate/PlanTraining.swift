import Foundation
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
            features: features, featuresKey: featuresKey, inputShape: inputShape, reading: tableReading)
    }

    /// The study's reading options in the loader's terms.
    public var tableReading: TableReading {
        TableReading(
            naValues: reading.naValues,
            columnTypes: reading.columnTypes.mapValues { $0 == .numeric ? ColumnKind.numeric : .categorical },
            drop: reading.drop, indexColumn: reading.indexColumn)
    }
}

extension DataSpec {
    /// The rows the search may see, and the held-out test rows when they come from the same
    /// file. The split is a pure function of the data and the study's seed, so every worker,
    /// the export and the test score draw the same rows; workers train and validate on `train`
    /// only.
    public func holdOut(_ dataset: Dataset, seed: UInt64) throws -> (train: Dataset, test: Dataset?) {
        guard case .fraction(let fraction) = test else { return (dataset, nil) }
        let (train, _, test) = try Splits.trainValidationTest(
            count: dataset.rowCount, labels: dataset.targets.labels, fractions: (1 - fraction, 0, fraction),
            seed: seed ^ 0x7E57_5EED)
        guard !test.isEmpty, !train.isEmpty else {
            throw DataError("a test fraction of \(fraction) leaves no rows on one side of \(dataset.rowCount)")
        }
        return (dataset.selecting(rows: train.sorted()), dataset.selecting(rows: test.sorted()))
    }

    /// The test rows a study declares: its held-out part, or its test file read like the data.
    public func testDataset(after split: (train: Dataset, test: Dataset?)) throws -> Dataset? {
        if let held = split.test { return held }
        guard case .file(let testPath) = test else { return nil }
        guard FileManager.default.fileExists(atPath: testPath) else {
            throw DataError("the test file \(testPath) does not exist here")
        }
        return try loadDataset(path: testPath)
    }
}
