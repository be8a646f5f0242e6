import Foundation
import TunaData
import TunaExport
import TunaStore

/// A request the server refuses, with the HTTP status and the message for the client.
public struct RequestError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

/// The body of `POST /predict`: `{"rows": [{"column": value, ...}, ...]}`. An object rather
/// than a bare array so that options can be added later without breaking clients.
struct RowsRequest: Decodable {
    var rows: [[String: JSONValue]]

    /// Decodes a body; every failure is a 400 that says where the body went wrong.
    static func decode(_ data: Data) throws -> RowsRequest {
        do {
            return try JSONDecoder().decode(RowsRequest.self, from: data)
        } catch let error as DecodingError {
            throw RequestError(400, describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        let expected = #"expected {"rows": [{"column": value, ...}, ...]}"#
        switch error {
        case .keyNotFound(let key, _): return "the body has no \"\(key.stringValue)\": \(expected)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription) (\(expected); values are numbers, strings or null)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the body is not valid JSON"
                : "\(path(context.codingPath)): values are numbers, strings or null"
        @unknown default: return "the body does not decode: \(expected)"
        }
    }
}

extension BundleInfo {
    /// The rows as the table `ModelBundle.predict` reads, as strict as an API should be: every
    /// input column present in every row, no column the model does not read (the target column
    /// excepted, so training rows can be sent as they are), numbers for numeric columns and
    /// strings for categorical ones. `null` is a missing value, as is a string the CSV reader
    /// takes for one ("", "NA", ...), so that the same rows predict the same as `tuna predict`.
    func table(_ rows: [[String: JSONValue]]) throws -> Table {
        guard !rows.isEmpty else { throw RequestError(400, "\"rows\" is empty") }
        let names = Set(inputColumns.map(\.name))
        let markers = CSVOptions().missingMarkers.union(missingValues ?? [])
        // The study's numeric markers (`na_values: [-999]`) are missing values in requests too.
        let numericMarkers = Set((missingValues ?? []).compactMap { Double($0) })
        var numbers = [[Double]](repeating: [], count: inputColumns.count)
        var categories = [[String?]](repeating: [], count: inputColumns.count)
        for (r, row) in rows.enumerated() {
            let missing = inputColumns.map(\.name).filter { row[$0] == nil }
            if !missing.isEmpty {
                throw RequestError(400, "rows[\(r)] lacks \(Self.list(missing)) (the model reads: \(inputColumns.map(\.name).joined(separator: ", ")))")
            }
            let extra = row.keys.filter { !names.contains($0) && $0 != target }.sorted()
            if !extra.isEmpty {
                throw RequestError(400, "rows[\(r)] has \(Self.list(extra)) that the model does not read (it reads: \(inputColumns.map(\.name).joined(separator: ", ")))")
            }
            for (c, column) in inputColumns.enumerated() {
                let value = row[column.name] ?? .null
                switch (column.kind, value) {
                case (.numeric, .number(let x)): numbers[c].append(numericMarkers.contains(x) ? .nan : x)
                case (.numeric, .null): numbers[c].append(.nan)
                case (.categorical, .string(let text)): categories[c].append(markers.contains(text) ? nil : text)
                case (.categorical, .null): categories[c].append(nil)
                default:
                    let wanted = column.kind == .numeric ? "a number" : "a string"
                    throw RequestError(400, "rows[\(r)].\(column.name) is \(Self.kind(value)); the column is \(column.kind.rawValue): send \(wanted) or null")
                }
            }
        }
        let columns = inputColumns.indices.map { c in
            inputColumns[c].kind == .numeric ? Column.numeric(numbers[c]) : Column.categorical(categories[c])
        }
        return try Table(names: inputColumns.map(\.name), columns: columns, source: "request")
    }

    static func list(_ names: [String]) -> String {
        "the column\(names.count == 1 ? "" : "s") " + names.map { "'\($0)'" }.joined(separator: ", ")
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .number: "a number"
        case .string: "a string"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// One row's answer: a class name with each class's probability, or a value.
struct RowPrediction: Encodable {
    enum Value: Encodable {
        case label(String), number(Double)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .label(let name): try container.encode(name)
            case .number(let value): try container.encode(value)
            }
        }
    }

    var prediction: Value
    var probabilities: [String: Double]?
}

struct PredictResponse: Encodable {
    var predictions: [RowPrediction]

    init(_ predictions: Predictions) {
        if let classNames = predictions.classNames {
            self.predictions = predictions.labels.indices.map { i in
                RowPrediction(
                    prediction: .label(predictions.text(i)),
                    probabilities: Dictionary(zip(classNames, predictions.probabilities[i]), uniquingKeysWith: { first, _ in first }))
            }
        } else {
            self.predictions = predictions.values.map { RowPrediction(prediction: .number($0)) }
        }
    }
}

/// `GET /model`: the bundle's description as the file carries it, less the fitted pipeline
/// (the server's business, and large for wide one-hot data). Taken from `BundleInfo`'s own
/// encoding so that a field added there is served without a change here.
func modelDescription(_ info: BundleInfo) throws -> Data {
    guard var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(info)) as? [String: Any] else {
        throw ExportError("the bundle description does not encode as a JSON object")
    }
    object["pipeline"] = nil
    return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
}
