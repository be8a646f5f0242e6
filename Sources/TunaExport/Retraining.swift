import Foundation
import TunaData
import TunaNN
import TunaSearch
import TunaSpec
import TunaStore
import TunaTemplate

/// Retrains one trial's configuration on all of its study's data, the way its folds were
/// trained (same network, pipeline and seed rule), and describes the result as a bundle.
public enum TrialExport {
    /// The bundle and lines worth telling the person (which trial, how many epochs and why).
    public static func retrain(store: any TrialStore, study name: String, trial number: Int? = nil) throws -> (bundle: ModelBundle, notes: [String]) {
        guard let record = try store.study(named: name) else {
            let known = try store.studies().map(\.name)
            throw ExportError("no study '\(name)' in the database; studies: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        let file: String
        if case .string(let path)? = record.settings["path"] { file = path } else { file = name + ".yaml" }
        // The stored text is what the trials ran, even if the file on disk changed since.
        let study = try Study.parseChecked(text: record.studyFile, file: file, checkFiles: false)
        switch study.objective {
        case .network: break
        case .function(let function):
            throw ExportError("study '\(name)' scores the function '\(function)': it has no network to export")
        case .command(let command):
            throw ExportError("study '\(name)' scores a command (\(command.arguments.first ?? "")): Tuna never saw its model, so it cannot export one")
        }
        guard let data = study.data, let template = try study.modelTemplate() else {
            throw ExportError("study '\(name)' has no data or model section")
        }
        let trial = try chooseTrial(store: store, record: record, number: number)
        let params = try parameters(trial.params)
        let plan = try template.resolve(params)
        // The held-out test rows stay out of the retraining as they stayed out of the search.
        let split = try data.holdOut(try loadDataset(store: store, record: record, data: data), seed: study.search.seed)
        let dataset = split.train

        var notes = ["trial #\(trial.number) of \(name): cross-validated \(record.metric) \(trial.value.map { String(format: "%.6g", $0) } ?? "-")"
            + (trial.std.map { String(format: " ± %.3g", $0) } ?? "")]
        // With early stopping, train as long as the folds' kept weights did (their mean, as
        // the usual recipe retrains for the best epoch); trials from before the store kept
        // fold epochs fall back to the configured count, and say so.
        var epochs = plan.epochs
        let epochsSource: String
        let foldEpochs = try store.foldValues(trial: trial.id).compactMap(\.epochs)
        if plan.earlyStopping == nil {
            epochsSource = "configured"
        } else if !foldEpochs.isEmpty {
            epochs = max(1, Int((Double(foldEpochs.reduce(0, +)) / Double(foldEpochs.count)).rounded()))
            epochsSource = "the mean epoch early stopping kept across \(foldEpochs.count) folds (\(foldEpochs.map(String.init).joined(separator: ", ")))"
        } else {
            epochsSource = "configured; the folds' early-stopping epochs were not recorded"
        }
        notes.append("training on all \(dataset.rowCount) training rows for \(epochs) epochs (\(epochsSource))")

        let (pipeline, transformed) = try study.pipeline().fit(dataset)
        let trainFeatures = try FittedPipeline.tensor(from: transformed.features, inputShape: pipeline.inputShape)
        // The trial's seed, as the worker derives it; folds add their index, the final fit none.
        let seed = study.search.seed &+ UInt64(trial.number)
        let model = try plan.network(features: trainFeatures, pipeline: pipeline, seed: seed)
        try model.compile(optimizer: plan.optimizer, loss: plan.loss, metrics: plan.metrics)
        let classes = dataset.targets.classNames?.count
        let history = try model.fit(
            trainFeatures, try plan.targets(transformed.targets, classes: classes), epochs: epochs, batchSize: plan.batchSize)
        if let reason = history.stopReason {
            throw ExportError("retraining trial #\(trial.number) stopped: \(reason)")
        }
        let columns = zip(dataset.features.names, dataset.features.columns).map { InputColumn(name: $0.0, kind: $0.1.kind) }
        let info = BundleInfo(
            formatVersion: BundleInfo.currentFormatVersion, study: name, trial: trial.number, task: dataset.task,
            target: data.target, classNames: dataset.targets.classNames, inputColumns: columns, pipeline: pipeline,
            params: trial.params, metric: record.metric, cvValue: trial.value,
            cvStd: trial.std, epochs: epochs, epochsSource: epochsSource, trainingRows: transformed.rowCount, seed: seed)
        var bundle = ModelBundle(model: model, info: info)
        if !data.reading.naValues.isEmpty { bundle.info.missingValues = data.reading.naValues }
        if let testRows = try data.testDataset(after: split) {
            let score = try bundle.testScore(testRows, metric: record.metric)
            bundle.info.test = score
            notes.append(score.summary)
        }
        return (bundle, notes)
    }

    /// The asked-for trial, which must be complete, or the best complete one.
    static func chooseTrial(store: any TrialStore, record: StudyRecord, number: Int?) throws -> TrialRecord {
        guard let number else {
            // Several metrics have no single best trial (as Optuna's `best_trial` refuses them):
            // the first metric's best would quietly drop the others, so the user picks from the front.
            if let objectives = record.objectives {
                let metrics = objectives.map { "\($0.direction.rawValue) \($0.name)" }.joined(separator: ", ")
                throw ExportError("study '\(record.name)' has several metrics (\(metrics)) and no single best trial: "
                    + "choose one of its Pareto front (`tuna best \(record.name)`) with --trial N")
            }
            guard let best = try store.bestTrial(study: record.id) else {
                throw ExportError("study '\(record.name)' has no completed trial to export")
            }
            return best
        }
        guard let trial = try store.trial(study: record.id, number: number) else {
            throw ExportError("study '\(record.name)' has no trial #\(number)")
        }
        guard trial.state == .complete else {
            let why = trial.error.map { ": \($0)" } ?? ""
            throw ExportError("trial #\(number) of '\(record.name)' is \(trial.state.rawValue)\(why); only a COMPLETE trial can be exported")
        }
        return trial
    }

    /// The store's JSON scalars as the template's parameter values. Through Codable, so an
    /// int parameter's `3.0` comes back as the integer 3 the template expects.
    static func parameters(_ json: [String: JSONValue]) throws -> Parameters {
        try JSONDecoder().decode(Parameters.self, from: JSONEncoder().encode(json.filter { $0.value != .null }))
    }

    /// The study's data: the bytes the database keeps by hash (submitted and local runs alike),
    /// or else the file at the study's path.
    static func loadDataset(store: any TrialStore, record: StudyRecord, data: DataSpec) throws -> Dataset {
        guard case .string(let hash)? = record.settings["dataset"] else {
            guard FileManager.default.fileExists(atPath: data.path) else {
                throw ExportError("the study's data are not in the database and \(data.path) does not exist")
            }
            return try data.loadDataset()
        }
        guard let stored = try store.dataset(hash: hash) else {
            throw ExportError("the study's data set \(hash.prefix(12)) is not in the database")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-export-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(hash + "." + (stored.fileExtension.isEmpty ? "csv" : stored.fileExtension))
        try stored.bytes.write(to: file)
        return try data.loadDataset(path: file.path)
    }
}
