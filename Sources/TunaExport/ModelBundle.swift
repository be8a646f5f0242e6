import Foundation
import TunaData
import TunaNN
import TunaStore

/// Why an export, a prediction or an evaluation cannot go on; the message is for a person.
public struct ExportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// One feature column the model reads, with the kind it had in the training data.
public struct InputColumn: Sendable, Hashable, Codable {
    public var name: String
    public var kind: ColumnKind
}

/// Everything an exported model carries besides the network: what rows it reads and how they
/// are transformed, what it predicts, and where it came from. It travels as JSON under one key
/// of the safetensors `__metadata__`, so the file stays one file any safetensors reader opens.
public struct BundleInfo: Sendable, Hashable, Codable {
    public static let currentFormatVersion = 1
    public var formatVersion: Int
    public var study: String
    public var trial: Int
    public var task: TunaData.Task
    /// The target column's name (evaluation reads the truth from it).
    public var target: String
    /// Class names by output index (classification only).
    public var classNames: [String]?
    public var inputColumns: [InputColumn]
    /// Imputation, scaling, encodings and dropped columns, fitted on all training rows.
    public var pipeline: FittedPipeline
    /// The trial's parameters, as the store keeps them (numbers, text, booleans).
    public var params: [String: JSONValue]
    /// The study's metric and the trial's cross-validated mean and standard deviation of it.
    public var metric: String
    public var cvValue: Double?
    public var cvStd: Double?
    /// Epochs trained on all the data, and how that count was chosen.
    public var epochs: Int
    public var epochsSource: String
    public var trainingRows: Int
    public var seed: UInt64
    /// The score on the study's held-out test rows, when it declares them.
    public var test: TestScore?
    /// The study's `na_values`: new rows are read with the same missing-value markers (absent
    /// in bundles written before the option existed).
    public var missingValues: [String]?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", study, trial, task, target, classNames = "class_names"
        case inputColumns = "input_columns", pipeline, params, metric, cvValue = "cv_value", cvStd = "cv_std"
        case epochs, epochsSource = "epochs_source", trainingRows = "training_rows", seed, test
        case missingValues = "missing_values"
    }
}

/// A model scored on test rows the search never saw: the study's metric (nil when the metric is
/// not one an evaluation reports, such as `loss`), and every metric the evaluation has.
public struct TestScore: Sendable, Hashable, Codable {
    public var metric: String
    public var value: Double?
    public var rows: Int
    public var metrics: [String: Double]

    public init(metric: String, value: Double?, rows: Int, metrics: [String: Double]) {
        self.metric = metric
        self.value = value
        self.rows = rows
        self.metrics = metrics
    }

    /// One line for people: `test accuracy 0.9667 on 30 rows`.
    public var summary: String {
        let shown = value.map { "\(metric) " + String(format: "%.6g", $0) }
            ?? metrics.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.4g", $0.value) }.joined(separator: ", ")
        return "test \(shown) on \(rows) rows"
    }
}

/// A trained network with its preprocessing: what `tuna export` writes and `tuna predict`
/// reads. The file is ModelFile's safetensors layout; the bundle's description is one more
/// metadata entry beside the architecture.
public struct ModelBundle {
    static let metadataKey = "tuna_bundle"

    public var model: Sequential
    public var info: BundleInfo

    public init(model: Sequential, info: BundleInfo) {
        self.model = model
        self.info = info
    }

    /// The file's bytes. Keys are sorted, so the same model and description give the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(info), as: UTF8.self)
        return try ModelFile.encode(model, metadata: [Self.metadataKey: json])
    }

    public func write(to path: String) throws {
        do {
            try encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch let error as ExportError {
            throw error
        } catch {
            throw ExportError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// A bundle from a file's bytes; a plain model file (no bundle entry) is refused by name,
    /// since it cannot transform raw rows.
    public static func decode(_ data: Data, source: String) throws -> ModelBundle {
        let metadata = try ModelFile.metadata(data, source: source)
        guard let json = metadata[metadataKey] else {
            throw ExportError("\(source) is a model file without preprocessing or class names (not written by `tuna export`)")
        }
        let info: BundleInfo
        do {
            info = try JSONDecoder().decode(BundleInfo.self, from: Data(json.utf8))
        } catch {
            throw ExportError("\(source): the bundle description does not parse: \(error)")
        }
        guard info.formatVersion <= BundleInfo.currentFormatVersion else {
            throw ExportError("\(source): bundle format \(info.formatVersion) is newer than this Tuna understands (\(BundleInfo.currentFormatVersion))")
        }
        return ModelBundle(model: try ModelFile.decode(data, source: source), info: info)
    }

    public static func load(path: String) throws -> ModelBundle {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError("cannot read the model file \(path)")
        }
        return try decode(data, source: path)
    }
}
