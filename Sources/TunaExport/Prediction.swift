import Foundation
import TunaData
import TunaNN
import TunaTensor

/// A model's answers for a table of rows, in the rows' order.
public struct Predictions: Sendable {
    /// Class names by index (classification), or nil (regression).
    public var classNames: [String]?
    /// The predicted class index per row (classification).
    public var labels: [Int]
    /// Per row, the probability of each class (classification).
    public var probabilities: [[Double]]
    /// The predicted value per row, in the target's own units (regression).
    public var values: [Double]

    /// The prediction of row `i` as text: a class name or a number.
    public func text(_ i: Int) -> String {
        if let classNames { return classNames.indices.contains(labels[i]) ? classNames[labels[i]] : String(labels[i]) }
        return String(values[i])
    }
}

extension ModelBundle {
    /// Reads a CSV of raw rows for this model. Missing input columns are refused, all named at
    /// once; extra columns (the target among them) are ignored and listed in the notes, so a
    /// training file can be scored as it is. A column is read as the kind it had in training
    /// (a numeric column that happens to hold only blanks stays numeric).
    public func readRows(path: String) throws -> (table: Table, notes: [String]) {
        func load(_ types: [String: ColumnKind]) throws -> Table {
            let reading = TableReading(naValues: info.missingValues ?? [], columnTypes: types, drop: [], indexColumn: nil)
            return try reading.apply(to: CSV.load(path: path, options: reading.csv))
        }
        var table = try load([:])
        let wanted = info.inputColumns.map(\.name)
        let missing = wanted.filter { table.index(of: $0) == nil }
        guard missing.isEmpty else {
            throw ExportError("\(path) lacks the column\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0)'" }.joined(separator: ", ")) that the model reads (it reads: \(wanted.joined(separator: ", ")))")
        }
        let mismatched = info.inputColumns.filter { column in table[column.name].map { $0.kind != column.kind } ?? false }
        if !mismatched.isEmpty {
            var types: [String: ColumnKind] = [:]
            for column in mismatched { types[column.name] = column.kind }
            table = try load(types)
        }
        var notes: [String] = []
        let extra = table.names.filter { !wanted.contains($0) && $0 != info.target }
        if !extra.isEmpty {
            notes.append("ignored column\(extra.count == 1 ? "" : "s") the model does not read: \(extra.joined(separator: ", "))")
        }
        return (table, notes)
    }

    /// Runs the stored pipeline and the network on raw rows.
    public func predict(_ table: Table) throws -> Predictions {
        let features = try info.pipeline.features(table)
        let output = try model.predict(features, batchSize: 256)
        let n = output.shape.first ?? 0
        let scalars = output.scalars.map(Double.init)
        guard let classNames = info.classNames else {
            return Predictions(classNames: nil, labels: [], probabilities: [], values: info.pipeline.inverseTargets(scalars))
        }
        let probabilities = EvaluationReport.classProbabilities(scalars, rows: n)
        let labels = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        return Predictions(classNames: classNames, labels: labels, probabilities: probabilities, values: [])
    }
}
