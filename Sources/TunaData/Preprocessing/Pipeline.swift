import Foundation
import TunaTensor

/// An ordered list of preprocessing steps, not yet fitted: what a study file declares.
///
/// `fit` learns every step's parameters from a training part only; the resulting
/// `FittedPipeline` is then applied, unchanged, to the validation or test part. Doing it once
/// per fold is what keeps statistics of held-out rows (their mean, their categories) out of
/// training, which would otherwise inflate cross-validation scores.
public struct Pipeline: Sendable, Hashable, Codable {
    public var steps: [PreprocessStep]

    public init(_ steps: [PreprocessStep] = []) { self.steps = steps }

    public init(from decoder: Decoder) throws {
        steps = try decoder.singleValueContainer().decode([PreprocessStep].self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(steps)
    }

    /// Decodes a pipeline from the JSON form of a study file's `preprocess:` list.
    public static func decode(json: String) throws -> Pipeline {
        do {
            return try JSONDecoder().decode(Pipeline.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw DataError("preprocess: \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return (path.isEmpty ? "" : path + ": ") + context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }

    /// Fits the steps on the training part and returns the fitted pipeline together with the
    /// transformed training part (duplicates removed, targets scaled if asked).
    public func fit(_ training: Dataset) throws -> (FittedPipeline, Dataset) {
        var table = training.features
        var targets = training.targets
        var fitted: [FittedStep] = []
        var indicators = Set<String>()
        var targetScaler: FittedStep.Affine?
        var augmentation: Augmentation?
        for step in steps {
            switch step {
            case .dropDuplicates:
                let keep = Self.firstOccurrences(table, targets)
                if keep.count < table.rowCount {
                    table = table.selecting(rows: keep)
                    targets = targets.selecting(keep)
                }
                fitted.append(.dropDuplicates)
                continue
            case .scaleTarget(let settings):
                guard case .values(let values) = targets else {
                    throw DataError("scale_target is for regression targets; class labels are not scaled", file: table.source)
                }
                let (offset, scale, shift) = FittedStep.affineParameters(settings, values)
                let scaler = FittedStep.Affine(columns: ["target"], offsets: [offset], scales: [scale], shifts: [shift])
                targets = .values(values.map { scaler.forward($0, 0) })
                targetScaler = scaler
                continue
            case .augment(let settings):
                augmentation = settings
                continue
            default:
                break
            }
            guard let step = try FittedStep.fit(step, on: table, indicators: indicators) else { continue }
            let before = Set(table.names)
            try step.apply(to: &table)
            if case .oneHot = step { indicators.formUnion(Set(table.names).subtracting(before)) }
            fitted.append(step)
        }
        let pipeline = FittedPipeline(
            steps: fitted, inputColumns: training.features.names, outputColumns: table.names,
            targetScaler: targetScaler, labelEncoder: training.labelEncoder, augmentation: augmentation,
            inputShape: training.inputShape)
        var transformed = training
        transformed.features = table
        transformed.targets = targets
        return (pipeline, transformed)
    }

    /// The indices of the first occurrence of every distinct (features, target) row.
    static func firstOccurrences(_ table: Table, _ targets: Targets) -> [Int] {
        struct RowKey: Hashable {
            var numbers: [UInt64]
            var texts: [String?]
        }
        let target = targets.numbers
        var seen = Set<RowKey>()
        var keep: [Int] = []
        for row in 0..<table.rowCount {
            var key = RowKey(numbers: [], texts: [])
            for column in table.columns {
                switch column {
                case .numeric(let values): key.numbers.append(values[row].isNaN ? UInt64.max : (values[row] + 0).bitPattern)
                case .categorical(let values): key.texts.append(values[row])
                }
            }
            key.numbers.append(target[row].bitPattern)
            if seen.insert(key).inserted { keep.append(row) }
        }
        return keep
    }
}

/// A pipeline whose every parameter has been learnt from one training part. Codable: it is saved
/// next to an exported model, so predictions on new files go through the same transformation.
public struct FittedPipeline: Sendable, Hashable, Codable {
    public var steps: [FittedStep]
    /// The feature columns the pipeline expects, in order.
    public var inputColumns: [String]
    /// The columns it produces (the network's inputs), in order.
    public var outputColumns: [String]
    /// The regression target's scaler, when the targets were scaled.
    public var targetScaler: FittedStep.Affine?
    /// The class names of a classification target.
    public var labelEncoder: LabelEncoder?
    /// Augmentation settings for the network's training batches.
    public var augmentation: Augmentation?
    /// The per-example shape the features are reshaped to.
    public var inputShape: [Int]?

    /// The number of feature values per example after preprocessing.
    public var outputWidth: Int { outputColumns.count }

    /// Transforms feature columns (no rows are removed).
    public func transform(_ features: Table) throws -> Table {
        var table = try features.selecting(columns: inputColumns)
        for step in steps { try step.apply(to: &table) }
        return table
    }

    /// Transforms features into the network's input tensor: `(n, width)` or `(n, inputShape...)`.
    /// Every value must be a finite number by then; a leftover missing value names its column.
    public func features(_ table: Table) throws -> Tensor {
        try Self.tensor(from: transform(table), inputShape: inputShape)
    }

    /// The finished numeric tensor of an already transformed table (what a fold, or a final
    /// retraining on all rows, trains on).
    public static func tensor(from table: Table, inputShape: [Int]?) throws -> Tensor {
        for (name, column) in zip(table.names, table.columns) {
            if let values = column.numbers, let row = values.firstIndex(where: { !$0.isFinite }) {
                let what = values[row].isNaN ? "a missing value" : "the value \(values[row])"
                throw DataError(
                    "column '\(name)' still has \(what) after preprocessing (row \(row + 1)); add {impute: ...} to preprocess",
                    file: table.source)
            }
        }
        return try Dataset.reshape(table.numericTensor(), to: inputShape, source: table.source)
    }

    /// Targets as the model is trained on them (regression targets scaled when asked).
    public func transform(_ targets: Targets) -> Targets {
        guard let scaler = targetScaler, case .values(let values) = targets else { return targets }
        return .values(values.map { scaler.forward($0, 0) })
    }

    /// Maps regression predictions back to the target's own units.
    public func inverseTargets(_ predictions: [Double]) -> [Double] {
        guard let scaler = targetScaler else { return predictions }
        return predictions.map { scaler.inverse($0, 0) }
    }

    /// Transforms a whole data set: features tensor and (scaled) targets.
    public func apply(_ dataset: Dataset) throws -> (features: Tensor, targets: Targets) {
        (try features(dataset.features), transform(dataset.targets))
    }
}
