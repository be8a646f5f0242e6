import Foundation
import TunaBase

/// Per-series z-normalisation (`{normalize: per_series}`): each row — one time series — is
/// shifted to mean 0 and scaled to standard deviation 1 over its own values, as the UCR
/// archive's series are. Nothing is learnt from other rows, so it cannot leak between folds
/// and a model applies it to new rows unchanged.
public struct RowNormalization: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        case perSeries = "per_series"
    }
    public var method: Method
    /// The columns that make up a series (default: every numeric column except one-hot
    /// indicators).
    public var columns: [String]?

    public init(_ method: Method = .perSeries, columns: [String]? = nil) {
        self.method = method
        self.columns = columns
    }

    /// The method named `word`, or an error naming the known ones (and the nearest).
    static func method(_ word: String) -> Result<Method, NormalizationNameError> {
        if let method = Method(rawValue: word) { return .success(method) }
        var message = "normalize is per_series (z-normalises each row), not '\(word)'"
        if let near = nearestName(to: word, in: Method.allCases.map(\.rawValue)) { message += " (did you mean '\(near)'?)" }
        return .failure(NormalizationNameError(message: message))
    }

    /// Z-normalises `columns` of every row of `table` in place. Missing cells are left missing
    /// and skipped by the statistics; a constant row (standard deviation 0) becomes zeros
    /// rather than NaN, as scikit-learn's scalers treat a zero spread.
    static func apply(columns: [String], to table: inout Table) throws {
        var indices: [Int] = []
        var values: [[Double]] = []
        for name in columns {
            guard let k = table.index(of: name) else {
                throw DataError("column '\(name)', which the pipeline was fitted with, is missing", file: table.source)
            }
            guard let numbers = table.columns[k].numbers else {
                throw DataError("column '\(name)' holds categories and cannot be normalised per series; encode it first", file: table.source)
            }
            indices.append(k)
            values.append(numbers)
        }
        guard !values.isEmpty else { return }
        for row in 0..<table.rowCount {
            var count = 0.0, sum = 0.0
            for column in values where !column[row].isNaN {
                count += 1
                sum += column[row]
            }
            guard count > 0 else { continue }
            let mean = sum / count
            var squares = 0.0
            for column in values where !column[row].isNaN { squares += (column[row] - mean) * (column[row] - mean) }
            let deviation = (squares / count).squareRoot()
            let scale = deviation > 0 && deviation.isFinite ? deviation : 1
            for j in values.indices where !values[j][row].isNaN { values[j][row] = (values[j][row] - mean) / scale }
        }
        for (j, k) in indices.enumerated() { table.setColumn(at: k, .numeric(values[j])) }
    }
}

/// A misspelt normalisation method (carried into a decoding error's description).
struct NormalizationNameError: Error {
    var message: String
}
