import Foundation
import TunaData
import TunaSearch
import TunaProtocol
import TunaSpec
import TunaTemplate

/// Runs one assigned trial to its result, whatever the objective. Called on the worker's trial
/// thread; `report` sends intermediate values and returns true when the scheduler asked to prune.
public struct TrialExecutor: Sendable {
    private let datasets = DatasetCache()
    /// Command objectives run only where the worker was started with `--allow-commands`.
    private let allowCommands: Bool
    /// What command objectives run through (see `CommandRunner.launcher`).
    private let commandLauncher: [String]

    public init(allowCommands: Bool = false, commandLauncher: [String] = []) {
        self.allowCommands = allowCommands
        self.commandLauncher = commandLauncher
    }

    /// `dataPath` replaces the study's data file (a copy received by content hash).
    public func run(
        _ assignment: AssignMessage, study: Study, dataPath: String? = nil,
        report: @escaping @Sendable (_ step: Int, _ value: Double) -> Bool,
        reportFold: ((_ fold: Int, _ value: Double, _ seconds: Double) -> Void)? = nil
    ) throws -> ResultMessage {
        let start = Date()
        switch study.objective {
        case .function(let name):
            let function = try BenchmarkFunctions.named(name)
            let value = try function.evaluate(assignment.params)
            return ResultMessage(trialID: assignment.trialID, value: value, seconds: Date().timeIntervalSince(start))
        case .command(let objective):
            guard allowCommands else {
                throw TrialFailure(description: "this worker does not run command objectives (\(objective.arguments.first ?? "")); start it with --allow-commands to let studies run programs as its user")
            }
            let folder = URL(fileURLWithPath: study.file).deletingLastPathComponent().path
            let runner = CommandRunner(objective: objective, workingDirectory: folder.isEmpty ? "." : folder, launcher: commandLauncher)
            let outcome = try runner.run(params: assignment.params, metric: study.search.metric)
            let values = try Self.objectiveValues(study, from: outcome.metrics, source: "the last output line of \(objective.arguments.first ?? "the command")")
            return ResultMessage(
                trialID: assignment.trialID, value: values?.first ?? outcome.value, metrics: outcome.metrics,
                seconds: outcome.seconds, values: values)
        case .network:
            guard var data = study.data, let template = try study.modelTemplate() else {
                throw TrialFailure(description: "study \(study.name) has no data or model")
            }
            // Data come by content hash only: a path in the study text names a file on the
            // machine that wrote it, and a worker reads nothing a message names.
            guard let dataPath else {
                throw TrialFailure(description: "no data set came with this trial; workers read data only by content hash")
            }
            data.path = dataPath
            let plan = try template.resolve(assignment.params)
            let trial = NetworkTrial(study: study, data: data, plan: plan, seed: study.search.seed &+ UInt64(assignment.number))
            // The search never sees the held-out test rows.
            let searchRows = try data.holdOut(try datasets.dataset(for: data), seed: study.search.seed).train
            let outcome = try trial.run(dataset: searchRows, report: report) { fold, value, seconds in
                reportFold?(fold, value, seconds)
            }
            let values = try Self.objectiveValues(study, from: outcome.metrics, source: "the fold scores")
            return ResultMessage(
                trialID: assignment.trialID, value: outcome.value, std: outcome.std, foldValues: outcome.folds,
                foldSeconds: outcome.seconds, foldEpochs: outcome.epochs.contains(nil) ? nil : outcome.epochs.compactMap { $0 },
                metrics: outcome.metrics, seconds: Date().timeIntervalSince(start),
                pruned: outcome.pruned, values: values)
        }
    }

    /// A multi-objective study's values, one per metric, read by name from what the trial
    /// reported (nil for a single-objective study). A trial that reports some of the metrics
    /// but not all fails, naming the missing ones: a half-measured trial cannot be placed on
    /// the front, and a silent default would put it somewhere it does not belong.
    static func objectiveValues(_ study: Study, from metrics: [String: Double], source: String) throws -> [Double]? {
        guard study.search.multiObjective != nil else { return nil }
        let names = study.search.objectives.map(\.name)
        let missing = names.filter { metrics[$0] == nil }
        guard missing.isEmpty else {
            throw TrialFailure(description: "missing \(missing.map { "'\($0)'" }.joined(separator: ", ")) in \(source) (the study's metrics: \(names.joined(separator: ", ")); found: \(metrics.keys.sorted().joined(separator: ", ")))")
        }
        return names.compactMap { metrics[$0] }
    }
}

/// Parsed studies by content hash, so a worker parses each study once.
final class StudyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var studies: [String: Study] = [:]

    func study(for assignment: AssignMessage) throws -> Study {
        if let cached = lock.withLock({ studies[assignment.studyHash] }) { return cached }
        guard let text = assignment.studyText else {
            throw TrialFailure(description: "the scheduler sent no study file for study \(assignment.study) (hash \(assignment.studyHash.prefix(12)))")
        }
        let study = try Study.parse(text: text, file: assignment.studyFile, checkFiles: false)
        lock.withLock { studies[assignment.studyHash] = study }
        return study
    }
}
