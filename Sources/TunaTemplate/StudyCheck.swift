import Foundation
import TunaData
import TunaNN
import TunaSpec

/// A study that passed every check, with the data's summary and the study's warnings, so
/// that `tuna validate` and `tuna run` print the same facts.
public struct CheckedStudy: Sendable {
    public var study: Study
    public var data: DataSummary?
    public var warnings: [SpecWarning]
}

/// What a study file says that only the engine and the data pipeline can check. `Study.parse`
/// reads the file's structure without them, so that the scheduler never links the network
/// engine; every process that accepts a study from a person or a peer also runs these checks,
/// so a misspelt layer or a network that cannot be built fails at load, with its line, rather
/// than as every trial's error.
extension Study {
    /// Reads a study file and runs every check (structure, preprocessing, network, data).
    public static func loadChecked(path: String) throws -> Study {
        try check(path: path).study
    }

    /// `loadChecked`, keeping what the checks learnt: the data's summary (network studies) and
    /// the warnings that do not stop a study (parameters nothing uses).
    public static func check(path: String) throws -> CheckedStudy {
        let study = try load(path: path)
        let summary = try study.checkNetwork(checkFiles: true, readsTestFile: true)
        return CheckedStudy(study: study, data: summary, warnings: study.unusedParameters() + study.samplerWarnings())
    }

    /// `parse` followed by the network checks (and the data checks when `checkFiles`).
    public static func parseChecked(text: String, file: String, checkFiles: Bool = true) throws -> Study {
        let study = try parse(text: text, file: file, checkFiles: checkFiles)
        try study.checkNetwork(checkFiles: checkFiles)
        return study
    }

    /// The network with its placeholders checked (nil for function and command objectives).
    public func modelTemplate() throws -> ModelTemplate? {
        try model.map { try ModelTemplate($0, space: search.space) }
    }

    /// The preprocessing steps as the data pipeline reads them.
    public func pipeline() throws -> Pipeline {
        try preprocess.map { try $0.decode(Pipeline.self, what: "preprocess") } ?? Pipeline()
    }

    /// Preprocessing step names, the model template (placeholders, and every layer setting at
    /// the smallest and largest value of each parameter), augmentation that needs images, the
    /// search metric against the loss, and, when the data declare their input shape, that the
    /// smallest and largest networks build within the size limits. With `checkFiles` the data
    /// file is read too (`checkData`): workers pass false, the data come by content hash.
    /// `readsTestFile` lets the check open a `data.test` file to count its rows: only for a
    /// study a person loaded from their own disk, never for one that arrived over the network,
    /// whose paths name nothing the daemon may open.
    @discardableResult
    public func checkNetwork(checkFiles: Bool = true, readsTestFile: Bool = false) throws -> DataSummary? {
        let template = try modelTemplate()
        var augmentation: [LayerSpec] = []
        if let preprocess {
            let pipeline = try pipeline()
            if let shape = data?.inputShape {
                for case .augment(let settings) in pipeline.steps {
                    do { augmentation += try settings.layerSpecs(inputShape: shape) } catch { throw preprocess.error("\(error)") }
                }
            }
        }
        guard let template, let data else { return nil }
        let plans = try template.extremePlans(space: search.space)
        try checkMetric(plans: plans, task: data.task)
        var summary: DataSummary?
        if checkFiles { summary = try checkData(data, plans: plans, readsTestFile: readsTestFile) }
        // Flat examples only: an NPZ archive's own sample shape is not a width.
        let width = summary?.inputShape == nil ? summary?.inputWidth : nil
        if let shape = data.inputShape {
            try template.checkBuilds(inputShape: shape, prefix: augmentation, space: search.space)
        } else if let width {
            // The features' width after preprocessing: enough to refuse a network whose first
            // layers alone are too large.
            for plan in plans {
                try template.checkSize(inputShape: [width], layers: plan.layers, batchSize: plan.batchSize, describe: "")
            }
        }
        return summary
    }

    /// The study's tree again, for pointing at a setting (the text is at most 1 MiB and was
    /// parsed once already, so this cannot fail or cost much).
    var root: SpecNode? { try? SpecNode.parse(yaml: text, file: file) }

    /// The metrics a network trial reports per fold, given the loss: `loss`, the metrics the
    /// engine logs under the same name, and the scores computed after training from the
    /// fold's predictions (TunaMetrics' classification or regression set; see
    /// Sources/TunaWorker/NetworkTrial.swift). Any other name fails every trial.
    static func reportedMetrics(loss: Loss, task: DataSpec.Task) -> [String] {
        var names = ["loss"]
        for name in MetricName.known {
            if let metric = try? MetricName.make(name, loss: loss), metric.name == name { names.append(name) }
        }
        if task == .regression {
            names += ["mae", "mse", "rmse", "r2"]
        } else {
            names += ["accuracy", "balanced_accuracy", "log_loss", "roc_auc"]
                + ["precision", "recall", "f1"].flatMap { metric in ["macro", "micro", "weighted"].map { "\(metric)_\($0)" } }
        }
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    /// What every network trial reports beside its scores: its cost (see NetworkTrial's
    /// `costMetrics`), for studies that trade accuracy against size or speed.
    static let costMetrics = ["inference_ms", "parameters", "model_size"]

    func checkMetric(plans: [TrainingPlan], task: DataSpec.Task) throws {
        for plan in plans {
            let known = Self.reportedMetrics(loss: plan.loss, task: task) + Self.costMetrics
            guard let metric = search.objectives.map(\.name).first(where: { !known.contains($0) }) else { continue }
            var at = root?["search"]?["metric"] ?? root?["search"] ?? root
            var what = "search.metric"
            if case .sequence(let items, _)? = root?["search"]?["metrics"] {
                at = items.first { ($0.text ?? $0["name"]?.text) == metric } ?? at
                what = "metric"
            }
            var message = "\(what) '\(metric)' is not reported for loss \(plan.loss.name) on a \(task.rawValue) task"
            if let near = nearestName(to: metric, in: known) { message += " (did you mean '\(near)'?)" }
            message += "; known: \(known.joined(separator: ", "))"
            throw at?.error(message) ?? SpecError(message, at: nil, file: file)
        }
    }

    /// Why the last Dense layer cannot produce what the loss compares with the targets, or nil.
    /// `classes` is nil for regression. Layers after it that keep the width (activation,
    /// dropout) are looked through; any other last layer is left to the engine.
    static func outputProblem(_ plan: TrainingPlan, classes: Int?) -> String? {
        var activation: Activation?
        var units: Int?
        for layer in plan.layers.reversed() {
            switch layer {
            case .activation(let a): if activation == nil { activation = a }
            case .dropout: continue
            case .dense(let config):
                units = config.units
                if activation == nil { activation = config.activation }
            default: break
            }
            if units != nil { break }
            if case .activation = layer { continue }
            return nil
        }
        guard let units else { return nil }
        let lossName = plan.loss.name
        guard let classes else {
            if units != 1 { return "the output layer has \(units) units; a regression target needs 1 (loss \(lossName))" }
            return nil
        }
        switch plan.loss {
        case .sparseCategoricalCrossentropy:
            if units < classes { return "the output layer has \(units) units for \(classes) classes; \(lossName) needs one per class" }
        case .categoricalCrossentropy:
            if units != classes { return "the output layer has \(units) units for \(classes) classes; \(lossName) needs exactly one per class" }
        case .binaryCrossentropy:
            if classes > 2 { return "\(lossName) needs 2 classes, the target has \(classes); use sparse_categorical_crossentropy" }
            if units != 1 { return "the output layer has \(units) units; \(lossName) needs 1" }
        default:
            break
        }
        if case .softmax? = activation, units != classes {
            return "the output layer is a softmax over \(units) units for \(classes) classes"
        }
        return nil
    }

    /// The column names in a CSV file's first line (at most 1 MiB of it), or nil when the file
    /// cannot be read; quoted names may hold commas.
    static func csvHeader(path: String) -> [String]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty else { return nil }
        let line = chunk.prefix { $0 != 0x0A }
        guard let text = String(data: Data(line), encoding: .utf8) else { return nil }
        var names: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
            } else if character == "," && !quoted {
                names.append(current)
                current = ""
            } else if character != "\r" {
                current.append(character)
            }
        }
        names.append(current)
        return names.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
