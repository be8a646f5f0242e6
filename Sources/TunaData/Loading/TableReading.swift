import Foundation
import TunaBase

/// What happens to a parsed CSV table before it becomes a data set: columns left out (ids,
/// free text), a row-label column taken aside, extra missing-value markers. pandas'
/// `read_csv(usecols=..., index_col=..., na_values=...)`, with the same meanings.
public struct TableReading: Sendable, Hashable {
    /// How the file is parsed (missing markers, declared column types).
    public var csv: CSVOptions
    /// Columns removed before anything else reads the table.
    public var drop: [String]
    /// The row-label column: never a feature, kept as `Dataset.rowLabels`.
    public var indexColumn: String?

    public init(csv: CSVOptions = CSVOptions(), drop: [String] = [], indexColumn: String? = nil) {
        self.csv = csv
        self.drop = drop
        self.indexColumn = indexColumn
    }

    /// `CSVOptions` with `extraMissing` added to the loader's own markers (pandas adds
    /// `na_values` to its defaults too, so "" and NA stay missing).
    public init(naValues extraMissing: [String], columnTypes: [String: ColumnKind], drop: [String], indexColumn: String?) {
        var csv = CSVOptions(columnTypes: columnTypes)
        csv.missingMarkers.formUnion(extraMissing)
        self.init(csv: csv, drop: drop, indexColumn: indexColumn)
    }

    /// The markers that are numbers (`-999`): the loader reads such a cell as a number before it
    /// can compare its text, so numeric columns are swept for these values afterwards.
    var numericMarkers: [Double] {
        csv.missingMarkers.compactMap { NumberParser.parse($0) }.filter { !$0.isNaN }
    }

    /// The table with the dropped columns removed and numeric missing markers turned into
    /// missing values. A named column that the file lacks is an error naming it and the file.
    public func apply(to table: Table) throws -> Table {
        let present = Set(table.names)
        for name in drop + (indexColumn.map { [$0] } ?? []) where !present.contains(name) {
            var message = "column '\(name)' (named by data.\(name == indexColumn ? "index_col" : "drop")) is not in the file"
            if let near = nearestName(to: name, in: table.names) { message += " (did you mean '\(near)'?)" }
            message += "; columns: \(table.names.prefix(20).joined(separator: ", "))\(table.names.count > 20 ? ", ..." : "")"
            throw DataError(message, file: table.source)
        }
        let dropped = Set(drop)
        var names: [String] = []
        var columns: [Column] = []
        let markers = numericMarkers
        for (name, column) in zip(table.names, table.columns) where !dropped.contains(name) {
            names.append(name)
            if !markers.isEmpty, case .numeric(var values) = column {
                for i in values.indices where markers.contains(values[i]) { values[i] = .nan }
                columns.append(.numeric(values))
            } else {
                columns.append(column)
            }
        }
        return try Table(names: names, columns: columns, source: table.source)
    }
}
