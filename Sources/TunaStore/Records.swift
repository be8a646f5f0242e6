import Foundation

/// Whether a study looks for the smallest or the largest metric value.
public enum StudyDirection: String, Sendable, Codable, CaseIterable {
    case minimize, maximize

    /// True when `a` is strictly better than `b` in this direction.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }
}

/// The life of a study: `running` and `paused` studies are resumed when the scheduler starts.
public enum StudyState: String, Sendable, Codable, CaseIterable {
    case running, paused, stopped, finished

    /// States the scheduler picks up again on start-up.
    public static let unfinished: [StudyState] = [.running, .paused]
}

/// Optuna's trial states, spelled as Optuna spells them so the tables read the same.
public enum TrialState: String, Sendable, Codable, CaseIterable {
    case waiting = "WAITING"
    case running = "RUNNING"
    case complete = "COMPLETE"
    case pruned = "PRUNED"
    case fail = "FAIL"

    /// A finished trial never changes state again.
    public var isFinished: Bool { self == .complete || self == .pruned || self == .fail }
}

/// What the scheduler knows about a study before it is stored.
public struct NewStudy: Sendable, Equatable {
    public var name: String
    /// The study file's text, kept so a resumed or exported study is self-contained.
    public var studyFile: String
    /// Hex SHA-256 (or any stable digest) of `studyFile`, computed by the caller's spec parser.
    public var studyHash: String
    public var direction: StudyDirection
    public var metric: String
    /// How many trials the study may run; nil means no limit.
    public var trialBudget: Int?
    /// Free-form scalar settings (sampler, seed, folds...) for tools that read the database.
    public var settings: [String: JSONValue]

    public init(
        name: String, studyFile: String, studyHash: String, direction: StudyDirection,
        metric: String, trialBudget: Int? = nil, settings: [String: JSONValue] = [:]
    ) {
        self.name = name
        self.studyFile = studyFile
        self.studyHash = studyHash
        self.direction = direction
        self.metric = metric
        self.trialBudget = trialBudget
        self.settings = settings
    }
}

/// A stored study.
public struct StudyRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    public var studyFile: String
    public var studyHash: String
    public var direction: StudyDirection
    public var metric: String
    public var state: StudyState
    public var trialBudget: Int?
    public var settings: [String: JSONValue]
    public var createdAt: Date
    /// Last change to the study row itself (creation or state), not to its trials.
    public var updatedAt: Date
}

extension StudyRecord {
    /// The settings that name a multi-objective study's metrics and directions, in order
    /// (comma-separated: metric names hold no comma), for readers that do not parse study files.
    public static func objectiveSettings(_ metrics: [(name: String, direction: StudyDirection)]) -> [String: JSONValue] {
        [
            "metrics": .string(metrics.map(\.name).joined(separator: ",")),
            "directions": .string(metrics.map(\.direction.rawValue).joined(separator: ",")),
        ]
    }

    /// A multi-objective study's metrics with their directions; nil for one metric.
    public var objectives: [(name: String, direction: StudyDirection)]? {
        guard case .string(let names)? = settings["metrics"], case .string(let directions)? = settings["directions"] else {
            return nil
        }
        let nameList = names.split(separator: ","), directionList = directions.split(separator: ",")
        guard nameList.count >= 2, nameList.count == directionList.count else { return nil }
        let pairs = zip(nameList, directionList).compactMap { name, direction in
            StudyDirection(rawValue: String(direction)).map { (name: String(name), direction: $0) }
        }
        return pairs.count == nameList.count ? pairs : nil
    }
}

/// A stored trial. Per-fold and intermediate values are fetched separately: most readers
/// (rankings, listings) do not need them.
public struct TrialRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var studyID: Int64
    /// Dense per-study number starting at 0, as in Optuna.
    public var number: Int
    public var state: TrialState
    public var params: [String: JSONValue]
    /// The objective (mean over folds); nil until complete, or when the objective was NaN.
    public var value: Double?
    /// Standard deviation over folds, when there were several.
    public var std: Double?
    /// How many times the trial was handed to a worker.
    public var attempts: Int
    /// Identity of the worker that ran (or runs) the latest attempt.
    public var worker: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// Seconds from the latest start to the finish.
    public var duration: Double?
    /// A multi-objective trial's value per metric, in the study's order (`value` is the
    /// first); nil for single-objective trials and unfinished ones.
    public var values: [Double]? = nil
}

/// How a trial ended.
public enum TrialOutcome: Sendable, Equatable {
    /// The objective was measured. A NaN `value` is stored as NULL and never ranks. `values`
    /// holds every metric's value of a multi-objective study (`value` is their first); a set
    /// with a non-finite member is not stored.
    case complete(value: Double, std: Double?, values: [Double]? = nil)
    /// Stopped early by the pruner; `value` is the last intermediate value, if any.
    case pruned(value: Double?)
    /// The attempt failed for good (the scheduler decides about retries before this).
    case fail(error: String)

    public var state: TrialState {
        switch self {
        case .complete: .complete
        case .pruned: .pruned
        case .fail: .fail
        }
    }
}

/// One cross-validation fold's result.
public struct FoldValue: Sendable, Equatable {
    public var fold: Int
    public var value: Double?
    /// Training time of the fold, when the worker reported it.
    public var seconds: Double?
    /// Epochs the fold's kept weights trained for, when the worker reported them.
    public var epochs: Int?

    public init(fold: Int, value: Double?, seconds: Double? = nil, epochs: Int? = nil) {
        self.fold = fold
        self.value = value
        self.seconds = seconds
        self.epochs = epochs
    }
}

/// One progress report (epoch or step) of a running trial, as the pruner sees it.
public struct IntermediateValue: Sendable, Equatable {
    public var step: Int
    public var value: Double?

    public init(step: Int, value: Double?) {
        self.step = step
        self.value = value
    }
}

/// A stored blob attached to a trial (a trained model, a plot...).
public struct Artifact: Sendable, Equatable {
    public var trialID: Int64
    public var kind: String
    public var data: Data
    public var createdAt: Date
}

/// A data file kept by its content (SHA-256, hex).
public struct StoredDataset: Sendable, Equatable {
    public var hash: String
    /// `csv`, `npz`, …: how the bytes are read.
    public var fileExtension: String
    public var bytes: Data

    public init(hash: String, fileExtension: String, bytes: Data) {
        self.hash = hash
        self.fileExtension = fileExtension
        self.bytes = bytes
    }
}
