import TunaSearch

/// The bodies of the scheduler–worker messages (see TunaWire's `Envelope` for the framing).
/// They are the protocol's vocabulary, apart from the socket code, so that the scheduler and
/// the worker share them without either linking the other's engine.

/// Worker → scheduler, first message: who the worker is.
public struct HelloMessage: Codable, Sendable, Equatable {
    public var worker: String
    public var host: String
    public var pid: Int32
    /// Started with `--allow-commands`: only such workers are given command-objective trials.
    public var allowsCommands: Bool?
    /// How many trials the worker holds at once (see ``TrialSlots``); 1 when absent.
    public var slots: Int?
    public init(worker: String, host: String, pid: Int32, allowsCommands: Bool? = nil, slots: Int? = nil) {
        self.worker = worker
        self.host = host
        self.pid = pid
        self.allowsCommands = allowsCommands
        self.slots = slots
    }
}

/// How many trials a worker may hold: the one it runs and those queued behind it (credit-based
/// flow, as in the ZeroMQ guide). Why: with trials of a millisecond, a worker that asks for the
/// next trial only after reporting the last one idles for a round trip each time; holding a few
/// keeps it busy while results and assignments travel. Held trials are unavailable to other
/// workers and count as running for the samplers, so the default stays 1 (and a one-worker run
/// stays reproducible).
public enum TrialSlots {
    public static let range = 1...64

    /// The slots a hello or ready asks for; a count outside `range` is a malformed message.
    public static func checked(_ slots: Int?) throws -> Int? {
        guard let slots else { return nil }
        guard range.contains(slots) else {
            throw SlotsOutOfRange(slots: slots)
        }
        return slots
    }

    public struct SlotsOutOfRange: Error, CustomStringConvertible {
        public let slots: Int
        public var description: String { "a worker may hold \(TrialSlots.range.lowerBound) to \(TrialSlots.range.upperBound) trials, not \(slots)" }
    }
}

/// Worker → scheduler: waiting for a trial. It repeats what the worker can run, because a
/// restarted daemon meets the worker here without a hello.
public struct ReadyMessage: Codable, Sendable, Equatable {
    public var allowsCommands: Bool?
    /// Repeats the hello's slots, for the same reason.
    public var slots: Int?
    public init(allowsCommands: Bool? = nil, slots: Int? = nil) {
        self.allowsCommands = allowsCommands
        self.slots = slots
    }
}

/// Scheduler → worker: accepted, and how often to expect heartbeats.
public struct WelcomeMessage: Codable, Sendable, Equatable {
    public var heartbeatMilliseconds: Int
    public var liveness: Int
    public init(heartbeatMilliseconds: Int, liveness: Int) {
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.liveness = liveness
    }
}

/// Scheduler → worker: refused (another protocol version, or shutting down), with the reason.
public struct RefuseMessage: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// Scheduler → worker: run this trial.
public struct AssignMessage: Codable, Sendable, Equatable {
    public var trialID: Int64
    public var study: String
    public var number: Int
    public var attempt: Int
    public var params: Parameters
    /// The study file's text, sent with a worker's first trial of the study only: the worker
    /// parses it with the same code and caches it by hash.
    public var studyText: String?
    public var studyFile: String
    public var studyHash: String
    /// SHA-256 of the data file for network studies: the worker loads its cached copy, or asks
    /// for the bytes (`need_dataset`), so workers need no shared file system.
    public var datasetHash: String?

    public init(trialID: Int64, study: String, number: Int, attempt: Int, params: Parameters,
                studyText: String?, studyFile: String, studyHash: String, datasetHash: String? = nil) {
        self.trialID = trialID
        self.study = study
        self.number = number
        self.attempt = attempt
        self.params = params
        self.studyText = studyText
        self.studyFile = studyFile
        self.studyHash = studyHash
        self.datasetHash = datasetHash
    }
}

/// Worker → scheduler: send the data file with this hash. Scheduler → worker (`dataset`): the
/// same body, with the file's bytes as the attachment frame.
public struct DatasetMessage: Codable, Sendable, Equatable {
    public var hash: String
    /// The file's extension (`csv`, `npz`), so the cached copy is read the same way.
    public var fileExtension: String
    public init(hash: String, fileExtension: String) {
        self.hash = hash
        self.fileExtension = fileExtension
    }

    /// The extension lowercased when it is a few letters and digits, else nil: the receiver
    /// names a file with it, so a message must never slip a path in.
    public var safeFileExtension: String? {
        let lowered = fileExtension.lowercased()
        return lowered.count <= 8 && lowered.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? lowered : nil
    }
}

/// Worker → scheduler: an intermediate value (an epoch's score, answered with a prune
/// decision), or a finished fold's score when `fold` is set (stored as it happens).
public struct ProgressMessage: Codable, Sendable, Equatable {
    public var trialID: Int64
    public var step: Int
    public var value: Double
    public var fold: Int?
    public var seconds: Double?
    public init(trialID: Int64, step: Int, value: Double, fold: Int? = nil, seconds: Double? = nil) {
        self.trialID = trialID
        self.step = step
        self.value = value
        self.fold = fold
        self.seconds = seconds
    }
}

/// Scheduler → worker: the answer to a progress report.
public struct DecisionMessage: Codable, Sendable, Equatable {
    public var trialID: Int64
    public var prune: Bool
    public init(trialID: Int64, prune: Bool) {
        self.trialID = trialID
        self.prune = prune
    }
}

/// Worker → scheduler: the trial's score (mean over folds), spread and per-fold details.
public struct ResultMessage: Codable, Sendable, Equatable {
    public var trialID: Int64
    public var value: Double
    public var std: Double?
    public var foldValues: [Double]
    public var foldSeconds: [Double]
    /// Epochs each fold's kept weights trained for (early stopping's best epoch when it
    /// restored it), so a final fit on all the data trains as long.
    public var foldEpochs: [Int]?
    public var metrics: [String: Double]
    public var seconds: Double
    /// True when the worker stopped early on the scheduler's prune decision.
    public var pruned: Bool
    /// One value per metric of a multi-objective study, in the study's order (`value` is the
    /// first); absent for a single-objective study, whose one value is `value`.
    public var values: [Double]?

    public init(trialID: Int64, value: Double, std: Double? = nil, foldValues: [Double] = [], foldSeconds: [Double] = [], foldEpochs: [Int]? = nil,
                metrics: [String: Double] = [:], seconds: Double, pruned: Bool = false, values: [Double]? = nil) {
        self.trialID = trialID
        self.value = value
        self.std = std
        self.foldValues = foldValues
        self.foldSeconds = foldSeconds
        self.foldEpochs = foldEpochs
        self.metrics = metrics
        self.seconds = seconds
        self.pruned = pruned
        self.values = values
    }

    /// The trial's values for a study optimising `metrics`, or why the result cannot be
    /// stored as they are: a count other than the metrics' (a worker of another study version,
    /// or a program that printed too few numbers) or a value that is not finite.
    public func objectiveValues(metrics: [String]) -> Result<[Double], ObjectiveValuesError> {
        let values = self.values ?? [value]
        guard values.count == metrics.count else {
            return .failure(ObjectiveValuesError(
                description: "the result has \(values.count) value(s) for \(metrics.count) metric(s) (\(metrics.joined(separator: ", ")))",
                diverged: false))
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            return .failure(ObjectiveValuesError(
                description: "the value of '\(metrics[index])' is not a finite number (\(values[index]))", diverged: true))
        }
        return .success(values)
    }
}

/// Why a result's values cannot be stored: the trial fails with this description.
public struct ObjectiveValuesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// A non-finite value: the configuration diverged (samplers learn it as the worst outcome).
    public var diverged: Bool

    public init(description: String, diverged: Bool) {
        self.description = description
        self.diverged = diverged
    }
}

/// Worker → scheduler: the trial could not be run (the error is stored with it).
public struct FailedMessage: Codable, Sendable, Equatable {
    public var trialID: Int64
    public var error: String
    /// True when the failure came from the worker's surroundings (a data set that could not be
    /// fetched or stored), so another attempt may succeed. A configuration that diverges or a
    /// program that exits with an error fails the same way every time: it is not retried.
    public var retryable: Bool?
    /// True when the objective diverged (a non-finite loss or value): the configuration is bad,
    /// and the sampler learns it as the worst outcome (the stored error starts with
    /// ``divergedPrefix``, which is how the flag survives a restart).
    public var diverged: Bool?
    public init(trialID: Int64, error: String, retryable: Bool? = nil, diverged: Bool? = nil) {
        self.trialID = trialID
        self.error = error
        self.retryable = retryable
        self.diverged = diverged
    }

    /// How a diverged trial's stored error begins.
    public static let divergedPrefix = "diverged: "

    /// Whether a stored error is that of a diverged trial.
    public static func isDiverged(error: String?) -> Bool { error?.hasPrefix(divergedPrefix) ?? false }
}

/// Scheduler → worker: stop after the current message.
public struct ShutdownMessage: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// Control client → daemon: tune this study (the file's text and absolute path).
public struct SubmitMessage: Codable, Sendable, Equatable {
    public var studyText: String
    /// The study file's name on the client, for messages only: the daemon never opens it.
    public var studyFile: String
    public var trials: Int?
    /// The study's data file, whose bytes travel as the message's attachment (checked against
    /// this hash): the daemon never reads a path that a message names.
    public var dataset: DatasetMessage?
    public init(studyText: String, studyFile: String, trials: Int? = nil, dataset: DatasetMessage? = nil) {
        self.studyText = studyText
        self.studyFile = studyFile
        self.trials = trials
        self.dataset = dataset
    }
}

/// Control client → daemon: stop handing out trials of a study.
public struct StopStudyMessage: Codable, Sendable, Equatable {
    public var study: String
    public init(study: String) { self.study = study }
}

/// Daemon → control client: the outcome of a request, in words and figures.
public struct ReplyMessage: Codable, Sendable, Equatable {
    public var ok: Bool
    public var message: String
    public var studies: [StudyStatus]
    public var workers: Int
    /// Each attached worker and what it runs (status replies).
    public var workerList: [WorkerStatus]?
    public init(ok: Bool, message: String, studies: [StudyStatus] = [], workers: Int = 0, workerList: [WorkerStatus]? = nil) {
        self.ok = ok
        self.message = message
        self.studies = studies
        self.workers = workers
        self.workerList = workerList
    }
}

/// One attached worker as the daemon sees it.
public struct WorkerStatus: Codable, Sendable, Equatable {
    public var name: String
    /// The study and trial number it runs, if any.
    public var study: String?
    public var trial: Int?
    /// Seconds since it last said anything.
    public var silentFor: Double
    public init(name: String, study: String? = nil, trial: Int? = nil, silentFor: Double) {
        self.name = name
        self.study = study
        self.trial = trial
        self.silentFor = silentFor
    }
}

/// One study's progress as the daemon reports it.
public struct StudyStatus: Codable, Sendable, Equatable {
    public var name: String
    public var finished: Int
    public var running: Int
    public var budget: Int
    public var best: Double?
    public var metric: String
    public var stopped: Bool
    public init(name: String, finished: Int, running: Int, budget: Int, best: Double?, metric: String, stopped: Bool) {
        self.name = name
        self.finished = finished
        self.running = running
        self.budget = budget
        self.best = best
        self.metric = metric
        self.stopped = stopped
    }
}
