import Foundation
import TunaData
import TunaNN
import TunaSearch
import TunaProtocol
import TunaSpec
import TunaTemplate
import TunaTensor

/// Trains one trial's network with k-fold cross-validation: the preprocessing is fitted inside
/// every fold, each epoch's validation score is reported (step = fold × epochs + epoch, so
/// trials are compared at the same fold and epoch), and training stops when the scheduler
/// prunes the trial.
struct NetworkTrial {
    let study: Study
    let data: DataSpec
    let plan: TrainingPlan
    let seed: UInt64

    /// The untrained network for one fold (built as an export's retraining builds it).
    static func network(for fold: FoldData, plan: TrainingPlan, seed: UInt64) throws -> Sequential {
        try plan.network(features: fold.trainFeatures, pipeline: fold.pipeline, seed: seed)
    }

    /// The score key in a model's logs for the study's metric (`loss`, `accuracy`, `mae`, ...).
    var metric: String { study.search.metric }

    func run(
        dataset: Dataset, report: @escaping @Sendable (_ step: Int, _ value: Double) -> Bool,
        reportFold: (_ fold: Int, _ value: Double, _ seconds: Double) -> Void = { _, _, _ in }
    ) throws -> (value: Double, std: Double?, folds: [Double], seconds: [Double], epochs: [Int?], metrics: [String: Double], pruned: Bool) {
        let validation = CrossValidation(
            pipeline: try study.pipeline(),
            settings: CVSettings(folds: study.search.folds, shuffle: true, seed: study.search.seed))
        var metrics = plan.metrics
        // The study's metric is logged per epoch when the engine knows it (for pruning);
        // fold-level scores such as rmse and r2 are computed after training.
        if metric != "loss", !metrics.contains(metric), (try? MetricName.make(metric, loss: plan.loss)) != nil {
            metrics.append(metric)
        }
        var pruned = false
        var lastReported: Double?
        let result = try validation.run(dataset, progress: { fold, _ in
            if let value = fold.metrics[metric] { reportFold(fold.fold, value, fold.seconds) }
            return pruned ? .stop : .proceed
        }) { fold in
            let model = try Self.network(for: fold, plan: plan, seed: seed &+ UInt64(fold.fold))
            try model.compile(optimizer: plan.optimizer, loss: plan.loss, metrics: metrics)
            let trainTargets = try targets(fold.trainTargets, classes: dataset.targets.classNames?.count)
            let validationTargets = try targets(fold.validationTargets, classes: dataset.targets.classNames?.count)
            var callbacks: [any Callback] = [EpochReporter(metric: "val_" + metric, offset: fold.fold * plan.epochs) { step, value in
                lastReported = value
                if report(step, value) { pruned = true }
                return pruned
            }]
            let earlyStopping = plan.earlyStopping?.makeCallback()
            if let earlyStopping { callbacks.append(earlyStopping) }
            let history = try model.fit(
                fold.trainFeatures, trainTargets, epochs: plan.epochs, batchSize: plan.batchSize,
                validationData: (fold.validationFeatures, validationTargets), callbacks: callbacks)
            if let reason = history.stopReason, reason.contains("loss became") {
                throw TrialFailure(description: "fold \(fold.fold + 1): \(reason)", diverged: true)
            }
            let logs = try model.evaluate(fold.validationFeatures, validationTargets, batchSize: 256)
            var scores: [String: Double] = [:]
            for name in logs.names { scores[name] = logs[name] }
            // A fold's score comes from the one set of metrics (TunaMetrics, checked against
            // scikit-learn) that `tuna evaluate` and the test score use, on one prediction pass;
            // the engine's own metrics only drive the per-epoch logs and pruning.
            let predictStart = DispatchTime.now().uptimeNanoseconds
            let outputs = try model.predict(fold.validationFeatures, batchSize: Self.inferenceBatch).scalars.map(Double.init)
            let predictNanoseconds = DispatchTime.now().uptimeNanoseconds - predictStart
            scores.merge(Self.costMetrics(model, nanoseconds: predictNanoseconds, rows: fold.validationFeatures.shape.first ?? 0)) { _, cost in cost }
            if case .classes(let truth, _) = fold.validationTargets {
                let probabilities = EvaluationReport.classProbabilities(outputs, rows: truth.count)
                let classified = EvaluationReport.classificationMetrics(truth, probabilities: probabilities)
                scores.merge(classified) { _, checked in checked }
                if let auc = classified["roc_auc"], scores["auc"] != nil { scores["auc"] = auc }
            }
            if case .values(let truth) = fold.validationTargetsOriginal {
                // Regression errors in the target's own units (grams, not standard deviations),
                // whatever scaling the pipeline applied to train on.
                scores.merge(EvaluationReport.regressionMetrics(truth, fold.pipeline.inverseTargets(outputs))) { _, checked in checked }
            }
            // The epochs whose weights the fold kept: up to the best one when early stopping
            // restored it, else all that ran. A final fit on all the data trains this long.
            let keptEpochs = earlyStopping.flatMap { callback in
                callback.restoreBestWeights && callback.stoppedEpoch != nil ? callback.bestEpoch.map { $0 + 1 } : nil
            } ?? history.epochCount
            return FoldResult(metrics: scores, epochs: keptEpochs)
        }
        let key = metric
        let folds = result.folds.compactMap { $0.metrics[key] }
        guard let value = result.mean[key] ?? (pruned ? lastReported : nil) else {
            throw TrialFailure(description: "no '\(key)' among the fold scores (\(result.folds.first?.metrics.keys.sorted().joined(separator: ", ") ?? "none"))")
        }
        return (value, result.standardDeviation[key], folds, result.folds.map(\.seconds), result.folds.map(\.epochs), result.mean, pruned)
    }

    /// Rows per forward pass when a fold's validation rows are scored (and timed).
    static let inferenceBatch = 256

    /// What a network costs, for studies that trade it against its score: `inference_ms`, the
    /// wall-clock milliseconds per validation example of one prediction pass over the fold's
    /// validation rows in batches of ``inferenceBatch`` in the worker (its BLAS threads
    /// included): a per-example cost, comparable between trials on one machine, not a
    /// single-request latency;
    /// `parameters`, the network's weights; `model_size`, their bytes as Float32.
    static func costMetrics(_ model: Sequential, nanoseconds: UInt64, rows: Int) -> [String: Double] {
        let weights = Double(model.parameterCount)
        return [
            "inference_ms": Double(nanoseconds) / 1e6 / Double(max(rows, 1)),
            "parameters": weights,
            "model_size": 4 * weights,
        ]
    }

    /// Targets shaped for the loss (the plan's rule, shared with export).
    func targets(_ targets: Targets, classes: Int?) throws -> Tensor {
        try plan.targets(targets, classes: classes)
    }
}

/// Reports each epoch's validation score and stops the fit when told to.
final class EpochReporter: Callback {
    let metric: String
    let offset: Int
    let report: (Int, Double) -> Bool

    init(metric: String, offset: Int, report: @escaping (Int, Double) -> Bool) {
        self.metric = metric
        self.offset = offset
        self.report = report
    }

    func onEpochEnd(_ epoch: Int, logs: Logs, _ context: TrainingContext) {
        guard let value = logs[metric] else { return }
        if report(offset + epoch, value) { context.stop("pruned by the scheduler at epoch \(epoch + 1)") }
    }
}

/// Loaded data sets by path, so a worker reads each file once.
final class DatasetCache: @unchecked Sendable {
    private let lock = NSLock()
    private var datasets: [String: Dataset] = [:]

    func dataset(for spec: DataSpec) throws -> Dataset {
        let key = "\(spec.path)|\(spec.target)|\(spec.task.rawValue)"
        if let cached = lock.withLock({ datasets[key] }) { return cached }
        let dataset = try spec.loadDataset()
        lock.withLock { datasets[key] = dataset }
        return dataset
    }
}
