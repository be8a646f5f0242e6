import TunaTensor

/// One column of a table: numbers (NaN marks a missing value) or categories (nil marks one).
///
/// Two cases and no more: everything a neural network eats is a number in the end, and the
/// preprocessing steps turn categories into numbers; keeping the missing marker inside the
/// values (NaN / nil) lets imputation see exactly which cells were empty in the file.
public enum Column: Sendable, Equatable, Hashable, Codable {
    case numeric([Double])
    case categorical([String?])

    /// The number of rows.
    public var count: Int {
        switch self {
        case .numeric(let values): values.count
        case .categorical(let values): values.count
        }
    }

    /// The kind of values held.
    public var kind: ColumnKind {
        switch self {
        case .numeric: .numeric
        case .categorical: .categorical
        }
    }

    /// The numeric values, or nil for a categorical column.
    public var numbers: [Double]? {
        if case .numeric(let values) = self { return values }
        return nil
    }

    /// The categories, or nil for a numeric column.
    public var categories: [String?]? {
        if case .categorical(let values) = self { return values }
        return nil
    }

    /// The number of missing cells.
    public var missingCount: Int {
        switch self {
        case .numeric(let values): values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let values): values.reduce(0) { $0 + ($1 == nil ? 1 : 0) }
        }
    }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> Column {
        switch self {
        case .numeric(let values): .numeric(indices.map { values[$0] })
        case .categorical(let values): .categorical(indices.map { values[$0] })
        }
    }
}

/// Whether a column holds numbers or categories (declared by the user or inferred by a loader).
public enum ColumnKind: String, Sendable, Hashable, Codable {
    case numeric, categorical
}

/// A rectangular set of named columns: what the CSV loader produces and what the preprocessing
/// pipeline reads and writes.
public struct Table: Sendable, Equatable {
    /// Column names, unique, in file order.
    public private(set) var names: [String]
    /// The columns, parallel to `names`.
    public private(set) var columns: [Column]
    /// The number of rows (every column has this many).
    public private(set) var rowCount: Int
    /// Where the table came from (a path), used to prefix error messages.
    public var source: String?

    /// A table from parallel names and columns; throws when lengths differ or a name repeats.
    public init(names: [String], columns: [Column], source: String? = nil) throws {
        guard names.count == columns.count else {
            throw DataError("\(names.count) column names for \(columns.count) columns", file: source)
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw DataError("column name '\(name)' appears twice", file: source)
        }
        let rows = columns.first?.count ?? 0
        if let bad = columns.firstIndex(where: { $0.count != rows }) {
            throw DataError(
                "column '\(names[bad])' has \(columns[bad].count) rows, column '\(names[0])' has \(rows)",
                file: source)
        }
        self.names = names
        self.columns = columns
        self.rowCount = rows
        self.source = source
    }

    /// A numeric table from a `(rows, width)` tensor (wider tensors are flattened per row), with
    /// columns named `x0`, `x1`, ... so NPY data can go through the same pipeline as CSV data.
    public init(features: Tensor, source: String? = nil) {
        let rows = features.shape.first ?? 0
        let width = features.rowLength
        var columns = [[Double]](repeating: [Double](repeating: 0, count: rows), count: width)
        features.withUnsafeBufferPointer { p in
            for r in 0..<rows { for c in 0..<width { columns[c][r] = Double(p[r * width + c]) } }
        }
        self.names = (0..<width).map { "x\($0)" }
        self.columns = columns.map { Column.numeric($0) }
        self.rowCount = rows
        self.source = source
    }

    /// The number of columns.
    public var columnCount: Int { columns.count }

    /// The position of the column called `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The column called `name`, or nil.
    public subscript(name: String) -> Column? {
        index(of: name).map { columns[$0] }
    }

    /// The column called `name`; the error lists the columns that do exist.
    public func column(named name: String) throws -> Column {
        guard let column = self[name] else { throw unknownColumn(name) }
        return column
    }

    /// The "no such column" error, listing the available names (typos are the usual cause).
    func unknownColumn(_ name: String) -> DataError {
        let available = names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", ..." : "")
        return DataError("no column named '\(name)' (columns: \(available))", file: source)
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows indices: [Int]) -> Table {
        var copy = self
        copy.columns = columns.map { $0.selecting(indices) }
        copy.rowCount = indices.count
        return copy
    }

    /// The table restricted to the named columns, in the given order.
    public func selecting(columns wanted: [String]) throws -> Table {
        var picked: [Column] = []
        for name in wanted { picked.append(try column(named: name)) }
        return try Table(names: wanted, columns: picked, source: source)
    }

    /// The table without the named column.
    public func removing(column name: String) throws -> Table {
        guard let i = index(of: name) else { throw unknownColumn(name) }
        var copy = self
        copy.names.remove(at: i)
        copy.columns.remove(at: i)
        return copy
    }

    /// Replaces the column at `index` by zero or more new columns (an encoder's output).
    mutating func replace(columnAt index: Int, with newNames: [String], _ newColumns: [Column]) throws {
        var names = self.names
        var columns = self.columns
        names.replaceSubrange(index...index, with: newNames)
        columns.replaceSubrange(index...index, with: newColumns)
        let rows = rowCount
        self = try Table(names: names, columns: columns, source: source)
        rowCount = rows  // a table whose only column was replaced by nothing keeps its rows
    }

    /// Sets the values of an existing column (same row count).
    mutating func setColumn(at index: Int, _ column: Column) {
        precondition(column.count == rowCount, "internal: column length changed")
        columns[index] = column
    }

    /// The whole table as a `(rows, columns)` Float32 tensor. Every column must be numeric:
    /// a categorical column left unencoded is an error naming it and the way out.
    public func numericTensor() throws -> Tensor {
        var numeric: [[Double]] = []
        for (name, column) in zip(names, columns) {
            guard let values = column.numbers else {
                throw DataError(
                    "column '\(name)' holds categories; encode it first ({onehot: [\(name)]} or {ordinal: [\(name)]})",
                    file: source)
            }
            numeric.append(values)
        }
        let width = numeric.count
        let rows = rowCount
        var tensor = Tensor(zeros: [rows, width])
        tensor.withUnsafeMutableBufferPointer { p in
            for c in 0..<width {
                numeric[c].withUnsafeBufferPointer { column in
                    for r in 0..<rows { p[r * width + c] = Float(column[r]) }
                }
            }
        }
        return tensor
    }
}
