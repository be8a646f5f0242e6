import Foundation
import TunaTensor

/// What a model predicts: one of a fixed set of classes, or a number.
public enum Task: String, Sendable, Hashable, Codable {
    case classification, regression
}

/// The prediction targets of a data set, already in the form a network trains on.
public enum Targets: Sendable, Equatable {
    /// Class indices into `names` (label-encoded).
    case classes([Int], names: [String])
    /// Real values (regression).
    case values([Double])

    /// The number of rows.
    public var count: Int {
        switch self {
        case .classes(let labels, _): labels.count
        case .values(let values): values.count
        }
    }

    /// The class indices, or nil for regression targets.
    public var labels: [Int]? {
        if case .classes(let labels, _) = self { return labels }
        return nil
    }

    /// The class names, or nil for regression targets.
    public var classNames: [String]? {
        if case .classes(_, let names) = self { return names }
        return nil
    }

    /// The targets as numbers: class indices as Double, or the values.
    public var numbers: [Double] {
        switch self {
        case .classes(let labels, _): labels.map(Double.init)
        case .values(let values): values
        }
    }

    /// The targets at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> Targets {
        switch self {
        case .classes(let labels, let names): .classes(indices.map { labels[$0] }, names: names)
        case .values(let values): .values(indices.map { values[$0] })
        }
    }

    /// A Float32 tensor: shape `[n]` of class indices (for sparse categorical losses) or
    /// `[n, 1]` of values (for a regression head with one unit).
    public func tensor() -> Tensor {
        switch self {
        case .classes(let labels, _): Tensor(labels.map(Float.init), shape: [labels.count])
        case .values(let values): Tensor(values.map(Float.init), shape: [values.count, 1])
        }
    }
}

/// Features and targets, ready for splitting and preprocessing.
///
/// The target column is label-encoded here, once, over the whole file: the set of classes is
/// part of the task, not something learnt from data, and a fold missing a rare class must still
/// produce outputs for it. Everything learnt from values (imputation, scaling, categories of
/// features) is left to the pipeline, which fits on each training part alone.
public struct Dataset: Sendable {
    /// The feature columns (the target column removed).
    public var features: Table
    public var targets: Targets
    public var task: Task
    /// The shape of one example as the network sees it (`[h, w, c]`, `[t, f]`); nil means a flat
    /// vector.
    public var inputShape: [Int]?
    /// The class names behind the label indices (classification only).
    public var labelEncoder: LabelEncoder?
    /// How many rows were dropped because their target was missing.
    public var rowsWithoutTarget: Int
    /// The row labels of an index column (`index_col`), one per row, or nil.
    public var rowLabels: [String]?

    /// The number of examples.
    public var rowCount: Int { features.rowCount }

    /// A data set from a table: `target` names the column to predict, `features` (default:
    /// every other column) the inputs. Rows whose target is missing are dropped: they can be
    /// neither trained on nor scored. `indexColumn` names a column of row labels: kept aside,
    /// never a feature.
    public init(
        table: Table, target: String, task: Task, features: [String]? = nil, inputShape: [Int]? = nil,
        indexColumn: String? = nil
    ) throws {
        let targetColumn = try table.column(named: target)
        var keep: [Int] = []
        switch targetColumn {
        case .numeric(let values): keep = values.indices.filter { !values[$0].isNaN }
        case .categorical(let values): keep = values.indices.filter { values[$0] != nil }
        }
        guard !keep.isEmpty else { throw DataError("the target column '\(target)' has no values", file: table.source) }
        let table = keep.count == table.rowCount ? table : table.selecting(rows: keep)
        let featureNames = features ?? table.names.filter { $0 != target && $0 != indexColumn }
        if featureNames.contains(target) {
            throw DataError("the target column '\(target)' is also listed as a feature", file: table.source)
        }
        if let indexColumn {
            if featureNames.contains(indexColumn) {
                throw DataError("the index column '\(indexColumn)' is also listed as a feature", file: table.source)
            }
            rowLabels = Self.labels(try table.column(named: indexColumn))
        }
        self.features = try table.selecting(columns: featureNames)
        self.task = task
        self.inputShape = inputShape
        self.rowsWithoutTarget = targetColumn.count - keep.count
        let column = try table.column(named: target)
        switch task {
        case .classification:
            let encoder = try LabelEncoder(fitting: column)
            labelEncoder = encoder
            targets = .classes(try encoder.encode(column, source: table.source), names: encoder.classes)
        case .regression:
            guard let values = column.numbers else {
                throw DataError("the regression target '\(target)' holds text; use task: classification or a numeric column", file: table.source)
            }
            labelEncoder = nil
            targets = .values(values)
        }
    }

    /// An index column's cells as text (numbers without a trailing ".0" when whole).
    static func labels(_ column: Column) -> [String] {
        switch column {
        case .categorical(let values): return values.map { $0 ?? "" }
        case .numeric(let values):
            return values.map { value in
                if value.isNaN { return "" }
                if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
                return String(value)
            }
        }
    }

    /// A data set from arrays (NPY/NPZ): `features` is `(n, ...)`, `targets` has `n` elements.
    /// The input shape defaults to the array's shape after the first axis.
    public init(features: NumpyArray, targets: NumpyArray, task: Task, inputShape: [Int]? = nil, source: String? = nil) throws {
        guard let n = features.shape.first, n > 0 else {
            throw DataError("the feature array has no rows (shape \(features.shape))", file: source)
        }
        guard targets.count == n else {
            throw DataError("\(n) feature rows but \(targets.count) targets (shape \(targets.shape))", file: source)
        }
        let sampleShape = Array(features.shape.dropFirst())
        var table = Table(features: features.tensor().reshaped([n, -1]), source: source)
        table.source = source
        let targetColumn: Column = .numeric(targets.values)
        let full = try Table(names: table.names + ["__target__"], columns: table.columns + [targetColumn], source: source)
        try self.init(
            table: full, target: "__target__", task: task, features: table.names,
            inputShape: inputShape ?? (sampleShape.count > 1 ? sampleShape : nil))
    }

    /// Loads a CSV file or an NPZ archive (chosen by extension). For NPZ, `featuresKey`
    /// names the feature array and `target` the label array.
    public static func load(
        path: String, target: String, task: Task, features: [String]? = nil, featuresKey: String? = nil,
        inputShape: [Int]? = nil, reading: TableReading = TableReading()
    ) throws -> Dataset {
        if path.lowercased().hasSuffix(".npz") {
            let arrays = try Numpy.loadNPZ(path: path)
            let names = arrays.keys.sorted().joined(separator: ", ")
            guard let key = featuresKey else {
                throw DataError("an NPZ data set needs features_key naming the feature array (arrays: \(names))", file: path)
            }
            guard let x = arrays[key] else { throw DataError("no array '\(key)' in the archive (arrays: \(names))", file: path) }
            guard let y = arrays[target] else { throw DataError("no array '\(target)' in the archive (arrays: \(names))", file: path) }
            return try Dataset(features: x, targets: y, task: task, inputShape: inputShape, source: path)
        }
        let table = try reading.apply(to: CSV.load(path: path, options: reading.csv))
        return try Dataset(
            table: table, target: target, task: task, features: features, inputShape: inputShape,
            indexColumn: reading.indexColumn)
    }

    /// The examples at `indices`, in that order.
    public func selecting(rows indices: [Int]) -> Dataset {
        var copy = self
        copy.features = features.selecting(rows: indices)
        copy.targets = targets.selecting(indices)
        copy.rowLabels = rowLabels.map { labels in indices.map { labels[$0] } }
        return copy
    }

    /// Checks that `width` feature values fill `shape` exactly.
    static func checkShape(_ shape: [Int], width: Int, source: String?) throws {
        let size = shape.reduce(1, *)
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), size == width else {
            throw DataError(
                "input shape \(shape) holds \(size) values per example, the features have \(width) columns",
                file: source)
        }
    }

    /// Reshapes a `(n, width)` feature matrix to `(n, inputShape...)` (row-major: for a wide
    /// CSV of images the columns run along the width, then the height, channels last).
    public static func reshape(_ matrix: Tensor, to inputShape: [Int]?, source: String? = nil) throws -> Tensor {
        guard let inputShape else { return matrix }
        let n = matrix.shape.first ?? 0
        try checkShape(inputShape, width: matrix.rowLength, source: source)
        return matrix.reshaped([n] + inputShape)
    }
}
