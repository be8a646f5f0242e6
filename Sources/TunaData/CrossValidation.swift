import Foundation
import TunaTensor

/// How a data set is divided for cross-validation (the study file's `search.folds` and friends).
public struct CVSettings: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Stratified k-fold for classification, plain k-fold for regression.
        case auto
        case kfold
        case stratified
        /// Expanding window: training rows always precede validation rows.
        case timeSeries = "time_series"
    }
    public var kind: Kind
    public var folds: Int
    /// Repetitions of k-fold with different shuffles (ignored by the time-series split).
    public var repeats: Int
    public var shuffle: Bool
    public var seed: UInt64

    public init(kind: Kind = .auto, folds: Int = 5, repeats: Int = 1, shuffle: Bool = true, seed: UInt64 = 0) {
        self.kind = kind
        self.folds = folds
        self.repeats = repeats
        self.shuffle = shuffle
        self.seed = seed
    }

    /// The folds for a data set, as (repetition, fold index, rows).
    public func folds(for dataset: Dataset) throws -> [(repetition: Int, index: Int, fold: Fold)] {
        let n = dataset.rowCount
        let labels = dataset.targets.labels
        let stratify: Bool
        switch kind {
        case .timeSeries:
            return try Splits.timeSeries(count: n, splits: folds).enumerated().map { (0, $0.offset, $0.element) }
        case .auto: stratify = labels != nil
        case .kfold: stratify = false
        case .stratified:
            guard labels != nil else { throw DataError("stratified folds need a classification target") }
            stratify = true
        }
        var result: [(Int, Int, Fold)] = []
        if repeats > 1 {
            let runs = try Splits.repeatedKFold(count: n, labels: stratify ? labels : nil, folds: folds, repeats: repeats, seed: seed)
            for (r, run) in runs.enumerated() { for (f, fold) in run.enumerated() { result.append((r, f, fold)) } }
            return result
        }
        let single = try stratify
            ? Splits.stratifiedKFold(labels: labels ?? [], folds: folds, shuffle: shuffle, seed: seed, classNames: dataset.targets.classNames)
            : Splits.kFold(count: n, folds: folds, shuffle: shuffle, seed: seed)
        return single.enumerated().map { (0, $0.offset, $0.element) }
    }
}

/// Everything one fold's training needs, already preprocessed by a pipeline fitted on this
/// fold's training rows alone.
public struct FoldData: Sendable {
    public var repetition: Int
    public var fold: Int
    /// Row indices into the data set.
    public var trainRows: [Int]
    public var validationRows: [Int]
    /// `(n, width)` or `(n, inputShape...)`.
    public var trainFeatures: Tensor
    /// As the model trains on them (duplicates removed, regression targets scaled if asked).
    public var trainTargets: Targets
    public var validationFeatures: Tensor
    /// Scaled like the training targets (for a validation loss during training).
    public var validationTargets: Targets
    /// In the original units (for scoring predictions passed through `pipeline.inverseTargets`).
    public var validationTargetsOriginal: Targets
    public var pipeline: FittedPipeline
}

/// What the training closure reports for one fold.
public struct FoldResult: Sendable {
    /// Scores on the validation rows, by name (e.g. "accuracy", "val_loss").
    public var metrics: [String: Double]
    /// Epochs actually trained (early stopping), if the closure knows.
    public var epochs: Int?

    public init(metrics: [String: Double], epochs: Int? = nil) {
        self.metrics = metrics
        self.epochs = epochs
    }
}

/// One finished fold, as handed to the progress hook and kept in the result.
public struct FoldReport: Sendable, Codable, Hashable {
    public var repetition: Int
    public var fold: Int
    public var metrics: [String: Double]
    public var epochs: Int?
    /// Wall-clock seconds for the whole fold, and the part spent fitting/applying the pipeline.
    public var seconds: Double
    public var preprocessingSeconds: Double
    public var trainRows: Int
    public var validationRows: Int
}

/// The progress hook's answer: go on, or stop (the scheduler pruned the trial).
public enum CVDecision: Sendable {
    case proceed, stop
}

/// Per-fold reports with the mean and population standard deviation of every metric that
/// every completed fold reported.
public struct CrossValidationResult: Sendable, Codable, Hashable {
    public var folds: [FoldReport]
    public var mean: [String: Double]
    public var standardDeviation: [String: Double]
    /// True when the progress hook stopped the run before the last fold.
    public var stoppedEarly: Bool
    public var seconds: Double

    init(folds: [FoldReport], stoppedEarly: Bool, seconds: Double) {
        self.folds = folds
        self.stoppedEarly = stoppedEarly
        self.seconds = seconds
        var mean: [String: Double] = [:]
        var deviation: [String: Double] = [:]
        let names = folds.first.map { Set($0.metrics.keys) } ?? []
        for name in names {
            let values = folds.compactMap { $0.metrics[name] }
            guard values.count == folds.count else { continue }
            mean[name] = Statistics.mean(values)
            deviation[name] = Statistics.standardDeviation(values)
        }
        self.mean = mean
        self.standardDeviation = deviation
    }
}

/// Runs k-fold cross-validation of any training procedure: the network is a closure, so this
/// layer knows nothing about models (TunaData must not depend on TunaNN).
public struct CrossValidation: Sendable {
    public var pipeline: Pipeline
    public var settings: CVSettings

    public init(pipeline: Pipeline = Pipeline(), settings: CVSettings = CVSettings()) {
        self.pipeline = pipeline
        self.settings = settings
    }

    /// For every fold: fits the pipeline on the training rows, transforms both parts, calls
    /// `trainAndScore`, times it, and calls `progress` with the fold's report and the result so
    /// far. `progress` returning `.stop` ends the run after that fold (pruning).
    public func run(
        _ dataset: Dataset,
        progress: (FoldReport, CrossValidationResult) -> CVDecision = { _, _ in .proceed },
        trainAndScore: (FoldData) throws -> FoldResult
    ) throws -> CrossValidationResult {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        var reports: [FoldReport] = []
        let plan = try settings.folds(for: dataset)
        for (position, item) in plan.enumerated() {
            let foldStart = DispatchTime.now().uptimeNanoseconds
            let data = try prepare(dataset, fold: item.fold, repetition: item.repetition, index: item.index)
            let preprocessing = elapsed(since: foldStart)
            let result = try trainAndScore(data)
            reports.append(FoldReport(
                repetition: item.repetition, fold: item.index, metrics: result.metrics, epochs: result.epochs,
                seconds: elapsed(since: foldStart), preprocessingSeconds: preprocessing,
                trainRows: data.trainRows.count, validationRows: data.validationRows.count))
            let isLast = position == plan.count - 1
            let soFar = CrossValidationResult(folds: reports, stoppedEarly: false, seconds: elapsed(since: start))
            if progress(reports[reports.count - 1], soFar) == .stop && !isLast {
                return CrossValidationResult(folds: reports, stoppedEarly: true, seconds: elapsed(since: start))
            }
        }
        return CrossValidationResult(folds: reports, stoppedEarly: false, seconds: elapsed(since: start))
    }

    /// Fits the pipeline on the fold's training rows only and transforms both parts.
    public func prepare(_ dataset: Dataset, fold: Fold, repetition: Int = 0, index: Int = 0) throws -> FoldData {
        let training = dataset.selecting(rows: fold.train)
        let validation = dataset.selecting(rows: fold.test)
        let (fitted, transformed) = try pipeline.fit(training)
        let trainFeatures = try FittedPipeline.tensor(from: transformed.features, inputShape: fitted.inputShape)
        let validationFeatures = try fitted.features(validation.features)
        return FoldData(
            repetition: repetition, fold: index, trainRows: fold.train, validationRows: fold.test,
            trainFeatures: trainFeatures, trainTargets: transformed.targets,
            validationFeatures: validationFeatures, validationTargets: fitted.transform(validation.targets),
            validationTargetsOriginal: validation.targets, pipeline: fitted)
    }
}
