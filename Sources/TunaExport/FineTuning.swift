import Foundation
import TunaData
import TunaNN
import TunaTensor

extension ModelBundle {
    /// Continues training on new labelled rows through the stored pipeline (not refitted: the
    /// network learned on its scaling), with the named layers frozen, as Keras's transfer
    /// learning recipe does. Returns lines worth telling the person.
    public mutating func fineTune(_ table: Table, freezing frozen: [String], epochs: Int, batchSize: Int = 32,
                                  learningRate: Double? = nil) throws -> [String] {
        guard epochs >= 1 else { throw ExportError("--epochs must be at least 1") }
        guard let targetColumn = table[info.target] else {
            throw ExportError("the data have no target column '\(info.target)' to learn from")
        }
        guard let loss = model.loss, let spec = model.optimizer?.spec else {
            throw ExportError("the model file has no loss or optimizer to continue training with")
        }
        let keep: [Int] = switch targetColumn {
        case .numeric(let values): values.indices.filter { !values[$0].isNaN }
        case .categorical(let values): values.indices.filter { values[$0] != nil }
        }
        guard !keep.isEmpty else { throw ExportError("the target column '\(info.target)' has no values") }
        let rows = keep.count == table.rowCount ? table : table.selecting(rows: keep)
        let features = try info.pipeline.features(rows)
        let targets: Tensor
        if let classNames = info.classNames {
            let labels = try LabelEncoder(classes: classNames).encode(targetColumn.selecting(keep), source: table.source)
            targets = Self.targets(labels, classes: classNames.count, loss: loss)
        } else {
            guard let values = targetColumn.selecting(keep).numbers else {
                throw ExportError("the regression target '\(info.target)' holds text")
            }
            // Scaled as the search's targets were (`scale_target`), through the fitted pipeline.
            targets = info.pipeline.transform(Targets.values(values)).tensor()
        }
        try model.freeze(layersNamed: frozen)
        var optimizer = spec
        if let learningRate { optimizer.learningRate = Float(learningRate) }
        try model.compile(optimizer: optimizer, loss: loss, metrics: model.metricNames)
        let history = try model.fit(features, targets, epochs: epochs, batchSize: batchSize)
        if let reason = history.stopReason { throw ExportError("fine-tuning stopped: \(reason)") }
        let trainable = model.parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
        info.epochsSource += "; then fine-tuned \(epochs) epochs on \(keep.count) rows" + (frozen.isEmpty ? "" : " with \(frozen.joined(separator: ", ")) frozen")
        info.test = nil  // scored before fine-tuning: no longer this model's
        return [
            "fine-tuned \(epochs) epochs on \(keep.count) rows; \(trainable) of \(model.parameterCount) weights trained"
                + (frozen.isEmpty ? "" : " (\(frozen.joined(separator: ", ")) frozen)"),
            "final loss " + String(format: "%.6g", history["loss"].last ?? .nan),
        ]
    }

    /// Class indices shaped for the loss, as the search trained them.
    static func targets(_ labels: [Int], classes: Int, loss: Loss) -> Tensor {
        switch loss {
        case .categoricalCrossentropy:
            var oneHot = Tensor(zeros: [labels.count, classes])
            for (row, label) in labels.enumerated() where label < classes { oneHot[row, label] = 1 }
            return oneHot
        default:
            return Tensor(labels.map(Float.init), shape: [labels.count, 1])
        }
    }

    /// A layer's outputs for raw rows, one column per unit, as features for another model.
    public func layerFeatures(_ table: Table, layer: String) throws -> (names: [String], rows: Tensor) {
        let features = try info.pipeline.features(table)
        let outputs = try model.outputs(ofLayer: layer, for: features)
        let width = outputs.shape.count > 1 ? outputs.shape[1] : 0
        return ((0..<width).map { "\(layer)_\($0)" }, outputs)
    }
}
