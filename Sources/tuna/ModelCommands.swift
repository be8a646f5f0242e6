import ArgumentParser
import Foundation
import TunaData
import TunaExport
import TunaMetrics
import TunaONNX
import TunaTensor

/// Runs a model command's body; any error is one line on stderr and exit code 1, since these
/// commands end in scripts that test the status.
func reportingFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// The two arguments `predict` and `evaluate` share: a model and the rows to run it on.
struct ModelAndRows: ParsableArguments {
    @Argument(help: "The model file written by `tuna export`.") var model: String
    @Argument(help: "A CSV with the model's input columns (others are ignored; evaluate also reads the target column).") var data: String

    /// Notes about the rows (ignored columns) go to stderr, so that standard output stays the
    /// predictions or the report.
    func load() throws -> (ModelBundle, Table) {
        let bundle = try ModelBundle.load(path: model)
        let (table, notes) = try bundle.readRows(path: data)
        for line in notes { FileHandle.standardError.write(Data("tuna: \(line)\n".utf8)) }
        return (bundle, table)
    }
}

/// `tuna export STUDY --out MODEL`: the chosen trial retrained on all the data, in one file.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retrain a trial (default: the best) on all the study's data and write one model file.")

    @Argument(help: "The study's name.") var study: String
    @Option(help: "The trial's number (default: the best completed trial; required when the study has several metrics).") var trial: Int?
    @Option(help: "The database.") var db = "tuna.sqlite"
    @Option(help: "The model file to write (safetensors with the pipeline in its metadata).") var out: String
    @Option(help: "Also write the network with its numeric preprocessing as ONNX here.") var onnx: String?

    func run() throws {
        let store = try openReader(db)
        try reportingFailure {
            let (bundle, notes) = try TrialExport.retrain(store: store, study: study, trial: trial)
            for line in notes { print(line) }
            // Converted before anything is written, so a refusal leaves no half an export.
            let onnxData = try onnx.map { _ in try bundle.onnx() }
            try bundle.write(to: out)
            print("wrote \(out)")
            if let onnx, let onnxData {
                try ONNXExport.write(onnxData, to: onnx)
                print("wrote \(onnx) (input '\(ONNXExport.inputName)': \(bundle.info.pipeline.inputColumns.joined(separator: ", ")))")
            }
        }
    }
}

enum PredictionFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, json
}

/// `tuna predict MODEL data.csv`: one prediction per input row.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Predict raw rows with an exported model.")

    @OptionGroup var input: ModelAndRows
    @Flag(help: "Add each class's probability.") var proba = false
    @Option(help: "Write the predictions here instead of standard output.") var out: String?
    @Option(help: "csv or json.") var format: PredictionFormat = .csv
    @Option(help: "Write this layer's outputs (one column per unit) instead of predictions: features for another model.")
    var layer: String?

    func run() throws {
        try reportingFailure {
            let (bundle, table) = try input.load()
            if let layer {
                let (names, rows) = try bundle.layerFeatures(table, layer: layer)
                try emit(features(names, rows))
                return
            }
            let predictions = try bundle.predict(table)
            try emit(format == .json ? try json(predictions) : csv(predictions, target: bundle.info.target))
        }
    }

    func emit(_ text: String) throws {
        if let out {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } else {
            print(text, terminator: "")
        }
    }

    /// A layer's outputs as CSV or JSON rows.
    func features(_ names: [String], _ rows: Tensor) throws -> String {
        let width = names.count
        let values = rows.scalars
        let count = width == 0 ? 0 : values.count / width
        if format == .json {
            let objects = (0..<count).map { row in Array(values[(row * width)..<((row + 1) * width)].map(Double.init)) }
            return String(decoding: try JSONSerialization.data(withJSONObject: objects), as: UTF8.self) + "\n"
        }
        var lines = [names.map(Leaderboard.csvField).joined(separator: ",")]
        for row in 0..<count {
            lines.append(values[(row * width)..<((row + 1) * width)].map { String($0) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func csv(_ predictions: Predictions, target: String) -> String {
        let classes = proba ? predictions.classNames ?? [] : []
        var lines = [(["prediction"] + classes.map { "p_" + $0 }).map(Leaderboard.csvField).joined(separator: ",")]
        let count = predictions.classNames == nil ? predictions.values.count : predictions.labels.count
        for i in 0..<count {
            let cells = [predictions.text(i)] + classes.indices.map { String(predictions.probabilities[i][$0]) }
            lines.append(cells.map(Leaderboard.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func json(_ predictions: Predictions) throws -> String {
        var rows: [[String: Any]] = []
        if let classNames = predictions.classNames {
            for i in predictions.labels.indices {
                var row: [String: Any] = ["row": i + 1, "prediction": predictions.text(i)]
                if proba {
                    row["probabilities"] = Dictionary(uniqueKeysWithValues: zip(classNames, predictions.probabilities[i]))
                }
                rows.append(row)
            }
        } else {
            rows = predictions.values.enumerated().map { ["row": $0.offset + 1, "prediction": $0.element] }
        }
        let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `tuna evaluate MODEL data.csv`: the model scored on labelled rows.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score an exported model on labelled rows.")

    @OptionGroup var input: ModelAndRows
    @Option(help: "text or json.") var format: ReportFormat = .text
    @Option(help: "How many of the worst-predicted rows to list.") var worst = 10

    func run() throws {
        try reportingFailure {
            let (bundle, table) = try input.load()
            let evaluation = try bundle.evaluate(table, worst: max(worst, 0))
            if format == .json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
            } else {
                print(text(evaluation, bundle: bundle))
            }
        }
    }

    func text(_ evaluation: Evaluation, bundle: ModelBundle) -> String {
        let info = bundle.info
        var lines = ["model: study \(info.study), trial #\(info.trial); \(evaluation.rows) rows"
            + (evaluation.rowsWithoutTarget > 0 ? " (\(evaluation.rowsWithoutTarget) without a target left out)" : "")]
        let order = ["accuracy", "balanced_accuracy", "f1_macro", "log_loss", "roc_auc", "r2", "mae", "rmse", "mse"]
        for name in order { if let value = evaluation.metrics[name] { lines.append("\(name): " + String(format: "%.6g", value)) } }
        if let classes = evaluation.classes, let matrix = evaluation.confusionMatrix {
            lines.append("")
            lines.append("class  precision  recall  f1  support")
            for c in classes {
                lines.append("\(c.name)  " + String(format: "%.4f  %.4f  %.4f  ", c.precision, c.recall, c.f1) + String(c.support))
            }
            lines.append("")
            lines.append("confusion matrix (rows: true, columns: predicted; " + classes.map(\.name).joined(separator: ", ") + ")")
            for (c, row) in zip(classes, matrix) { lines.append("\(c.name): " + row.map(String.init).joined(separator: " ")) }
        }
        if let mistakes = evaluation.worstClassified {
            lines.append("")
            lines.append(mistakes.isEmpty ? "no misclassified rows" : "worst-classified rows:\n" + EvaluationReport.describe(mistakes))
        }
        if let misses = evaluation.worstPredicted, !misses.isEmpty {
            lines.append("")
            lines.append("worst-predicted rows:\n   row  true  predicted  |error|")
            for m in misses { lines.append(String(format: "%6d  %.6g  %.6g  %.6g", m.row, m.truth, m.predicted, m.absoluteError)) }
        }
        return lines.joined(separator: "\n")
    }
}

/// `tuna finetune MODEL data.csv --out NEW`: more training on new labelled rows, some layers
/// frozen, through the model's own preprocessing.
struct FineTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune", abstract: "Continue training an exported model on new rows, with layers frozen by name.")

    @OptionGroup var input: ModelAndRows
    @Option(parsing: .upToNextOption, help: "Layers whose weights stay as they are, by name (dense, dense_1, lstm, …; a wrong name gets the list).")
    var freeze: [String] = []
    @Option(help: "Epochs of further training.") var epochs = 5
    @Option(help: "Rows per batch.") var batchSize = 32
    @Option(help: "The optimizer's learning rate (default: the model's).") var learningRate: Double?
    @Option(help: "The model file to write.") var out: String

    func run() throws {
        try reportingFailure {
            var (bundle, table) = try input.load()
            for line in try bundle.fineTune(table, freezing: freeze, epochs: epochs, batchSize: batchSize, learningRate: learningRate) {
                print(line)
            }
            try bundle.write(to: out)
            print("wrote \(out)")
        }
    }
}
