import Foundation

/// What a study's data look like once loaded: one value computed in one place, so that
/// `tuna validate` and `tuna run` print the same block and a test can compare it.
public struct DataSummary: Sendable, Equatable {
    /// Rows of one class, in class-index order.
    public struct ClassCount: Sendable, Equatable {
        public var name: String
        public var rows: Int

        public init(name: String, rows: Int) {
            self.name = name
            self.rows = rows
        }
    }

    public var file: String
    public var target: String
    public var task: Task
    /// Rows with a target (what the search and the test part share).
    public var rows: Int
    public var rowsWithoutTarget: Int
    /// The feature columns as read, and which of them hold categories.
    public var featureColumns: [String]
    public var categoricalColumns: [String]
    /// Missing feature cells (before imputation).
    public var missingCells: Int
    /// Columns left out by `data.drop`, and the row-label column.
    public var droppedColumns: [String]
    public var indexColumn: String?
    /// Classification: rows per class. Regression: the target's mean and standard deviation.
    public var classCounts: [ClassCount]
    public var targetMean: Double?
    public var targetStandardDeviation: Double?
    /// Held-out test rows (nil without `data.test`), and the rows left for the search.
    public var testRows: Int?
    public var searchRows: Int
    /// Values per example after preprocessing, and the shape the network sees.
    public var inputWidth: Int?
    public var inputShape: [Int]?

    public init(
        file: String, target: String, dataset: Dataset, droppedColumns: [String], indexColumn: String?,
        testRows: Int?, searchRows: Int, inputWidth: Int?
    ) {
        self.file = file
        self.target = target
        task = dataset.task
        rows = dataset.rowCount
        rowsWithoutTarget = dataset.rowsWithoutTarget
        featureColumns = dataset.features.names
        categoricalColumns = zip(dataset.features.names, dataset.features.columns).filter { $0.1.kind == .categorical }.map(\.0)
        missingCells = dataset.features.columns.reduce(0) { $0 + $1.missingCount }
        self.droppedColumns = droppedColumns
        self.indexColumn = indexColumn
        switch dataset.targets {
        case .classes(let labels, let names):
            var counts = [Int](repeating: 0, count: names.count)
            for label in labels where counts.indices.contains(label) { counts[label] += 1 }
            classCounts = zip(names, counts).map { ClassCount(name: $0.0, rows: $0.1) }
        case .values(let values):
            classCounts = []
            targetMean = Statistics.mean(values)
            targetStandardDeviation = Statistics.standardDeviation(values)
        }
        self.testRows = testRows
        self.searchRows = searchRows
        self.inputWidth = inputWidth
        inputShape = dataset.inputShape
    }

    /// The block both commands print, one `  label  text` line per fact, lists cut at 12 names.
    public var lines: [String] {
        func list(_ names: [String]) -> String {
            names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", ... (\(names.count) in all)" : "")
        }
        func number(_ x: Double) -> String { String(format: "%.6g", x) }
        var lines = ["  data       \(file): \(rows) rows, \(featureColumns.count) feature columns (\(categoricalColumns.count) categorical), target '\(target)' (\(task.rawValue))"]
        if !droppedColumns.isEmpty { lines.append("  dropped    \(list(droppedColumns)) (data.drop)") }
        if let indexColumn { lines.append("  index      \(indexColumn) (row labels, not a feature)") }
        if !categoricalColumns.isEmpty { lines.append("  categories \(list(categoricalColumns))") }
        var missing: [String] = []
        if rowsWithoutTarget > 0 { missing.append("\(rowsWithoutTarget) row\(rowsWithoutTarget == 1 ? "" : "s") without a target dropped") }
        if missingCells > 0 { missing.append("\(missingCells) missing feature cell\(missingCells == 1 ? "" : "s")") }
        if !missing.isEmpty { lines.append("  missing    \(missing.joined(separator: "; "))") }
        if !classCounts.isEmpty {
            let shown = classCounts.prefix(20).map { "\($0.name) \($0.rows)" }.joined(separator: ", ")
            lines.append("  classes    \(classCounts.count): \(shown)\(classCounts.count > 20 ? ", ..." : "")")
        } else if let mean = targetMean {
            lines.append("  target     mean \(number(mean)), std \(number(targetStandardDeviation ?? 0))")
        }
        if let testRows { lines.append("  test       \(testRows) rows held out; \(searchRows) rows for the search") }
        if let inputWidth {
            let shape = inputShape.map { " as \($0)" } ?? ""
            lines.append("  input      \(inputWidth) values per example after preprocessing\(shape)")
        }
        return lines
    }
}
