import Foundation
import TunaBase
import TunaProtocol
import TunaSearch
import TunaSpec
import TunaStore
import TunaWire

/// The daemon's core: a ROUTER socket, the studies being tuned, and the workers attached.
///
/// One thread calls `step` (or `run`, which loops over it); it is the only writer of the store.
/// Workers ask for work (`ready`), get a trial (`assign`), report epochs or folds (`progress`,
/// answered with a prune decision) and results. Heartbeats go both ways; a worker silent for
/// `liveness` heartbeats is dropped and its trial goes back to WAITING for another worker,
/// counted as an attempt. No message can stop the loop: a handler's error is logged and the
/// message dropped, and after every transition the studies' in-memory queues agree with the
/// store (`consistencyProblems` checks it).
public final class Scheduler {
    public struct Options: Sendable {
        public var bind: String
        public var heartbeat: Double
        public var liveness: Int
        /// Stop (and shut the workers down) once every study has used its trial budget.
        public var exitWhenDone: Bool
        public var log: @Sendable (String) -> Void
        /// Reads a study that reached the scheduler as text (submitted, or resumed from the
        /// store) with its data set at `dataPath` (a private copy) instead of any path the text
        /// names. The default checks the file's structure only; the `tuna` command passes the
        /// full check (layers, preprocessing, data, network sizes), which needs the engine this
        /// target does not link.
        public var parseStudy: @Sendable (_ text: String, _ file: String, _ dataPath: String?) throws -> Study
        /// CURVE authentication: the daemon's key pair and the keys it admits, by role. Nil
        /// means every peer that reaches the socket may do everything (loopback only; the
        /// `tuna` command refuses other addresses without keys unless told `--insecure`).
        public var security: Security?
        /// The largest message a peer may send (a submitted data file travels in one); a larger
        /// one closes that peer's connection before it is read into memory.
        public var maxMessageBytes: Int64
        /// Whether samplers that read the history are asked on the sampler thread (the default)
        /// or on the loop's thread, as before it existed (for benchmarks that compare the two).
        public var asksOffThread = true
        /// Whether control clients may submit and stop studies (`tuna daemon`), or only ask for
        /// status (`tuna run`, whose workers may run commands of the study it was given).
        public var acceptsSubmissions: Bool

        public init(bind: String = "tcp://127.0.0.1:5555", heartbeat: Double = 1, liveness: Int = 3,
                    exitWhenDone: Bool = true, log: @escaping @Sendable (String) -> Void = { _ in },
                    parseStudy: @escaping @Sendable (String, String, String?) throws -> Study = Scheduler.parseStructure,
                    security: Security? = nil, acceptsSubmissions: Bool = true, maxMessageBytes: Int64 = 512 << 20) {
            self.bind = bind
            self.heartbeat = heartbeat
            self.liveness = liveness
            self.exitWhenDone = exitWhenDone
            self.log = log
            self.parseStudy = parseStudy
            self.security = security
            self.acceptsSubmissions = acceptsSubmissions
            self.maxMessageBytes = maxMessageBytes
        }
    }

    /// The default study reader: structure only, the data path replaced by the private copy.
    public static func parseStructure(_ text: String, _ file: String, _ dataPath: String?) throws -> Study {
        try Study.parse(text: text, file: file, dataPath: dataPath)
    }

    /// The daemon's CURVE identity and who it admits.
    public struct Security: Sendable {
        public var keyPair: CurveKeyPair
        public var allowList: Authenticator.AllowList
        public init(keyPair: CurveKeyPair, allowList: Authenticator.AllowList) {
            self.keyPair = keyPair
            self.allowList = allowList
        }
    }

    public let options: Options
    public let store: any TrialStore
    let context: ZMQContext
    let socket: ZMQSocket
    let authenticator: Authenticator?
    /// The endpoint bound (with the port chosen, when binding to `*`).
    public let endpoint: String
    var studies: [ActiveStudy] = []
    var workers: [[UInt8]: WorkerState] = [:]
    /// Messages held for one peer while its message is answered (see `collectingSends`).
    var outgoing: (identity: [UInt8], envelopes: [Envelope])?
    var lastHeartbeat = Date()
    /// Where the next hand-out starts looking among the studies (round robin).
    var nextStudy = 0
    /// Figures for Prometheus, refreshed as the loop turns.
    public let metrics = SchedulerMetrics()
    var lastMetricsRefresh = Date.distantPast
    /// Called after every finished trial (for progress lines).
    public var onTrialFinished: ((ActiveStudy, FinishedTrial) -> Void)?
    /// When set, dispatch latencies are recorded (the daemon benchmark).
    public var dispatchLatencies: LatencyRecorder?
    /// The longest turn of the loop since the last reset, in seconds: every heartbeat, result
    /// and hand-out that came in meanwhile waited that long (benchmarks read and reset it).
    public var longestTurn: TimeInterval = 0
    /// Runs the asks of samplers that read the history, made with the first such study.
    var samplerThread: SamplerThread?
    /// Numbers the studies for the sampler thread's answers (a replaced study gets a new one).
    var studySerials = 0
    /// Makes a study's sampler; nil means the one its file names. Tests put a slow or blocking
    /// sampler here.
    var makeSampler: ((Study) -> any Sampler)?

    public init(store: any TrialStore, options: Options) throws {
        self.store = store
        self.options = options
        raiseOpenFileLimit()
        context = try ZMQContext()
        if let security = options.security {
            // The handler must listen before the server socket takes its first handshake.
            authenticator = try Authenticator(context: context, allowList: security.allowList, log: options.log)
        } else {
            authenticator = nil
        }
        socket = try ZMQSocket(context, .router)
        try socket.setOption(SocketOption.routerMandatory, 1)
        try socket.setMaximumMessageSize(options.maxMessageBytes)
        // A thousand workers started together (a Slurm array) connect within milliseconds;
        // with ZeroMQ's 100 the rest wait out TCP's one- and two-second SYN retries, silent.
        // The kernel caps it at net.core.somaxconn (4096 on current Linux).
        try socket.setOption(SocketOption.backlog, 4096)
        if let security = options.security { try socket.makeCurveServer(security.keyPair) }
        do {
            try socket.bind(options.bind)
        } catch {
            throw SchedulerError(description: "cannot listen on \(options.bind): \(error)")
        }
        endpoint = socket.lastEndpoint ?? options.bind
    }

    /// Where `privateCopy` writes, removed with the scheduler.
    var privateFolder: URL?

    deinit {
        samplerThread?.shutdown()
        authenticator?.stop()
        if let privateFolder { try? FileManager.default.removeItem(at: privateFolder) }
    }

    public struct SchedulerError: Error, CustomStringConvertible {
        public var description: String
    }

    func log(_ message: String) { options.log(message) }

    /// Adds a study given by this machine's user (`tuna run`, a daemon's own start): its data
    /// file is read from the study's path. A new study is created in the store; a known one
    /// (same name) resumes, with trials left RUNNING by a crash put back to WAITING. A changed
    /// study file, or a changed data file, is refused.
    @discardableResult
    public func add(_ study: Study, trialBudget: Int? = nil) throws -> ActiveStudy {
        try add(study, trialBudget: trialBudget, dataset: try study.data.map { try Self.readDataset($0.path) })
    }

    /// A local data file as the store keeps it.
    static func readDataset(_ path: String) throws -> StoredDataset {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw SchedulerError(description: "cannot read the data file \(path)")
        }
        return StoredDataset(hash: sha256Hex(bytes), fileExtension: URL(fileURLWithPath: path).pathExtension.lowercased(), bytes: bytes)
    }

    /// Adds a study whose data file came as bytes (kept in the store, so a restarted daemon
    /// serves them without the client and never reads a path a message named).
    @discardableResult
    func add(_ study: Study, trialBudget: Int?, dataset: StoredDataset?) throws -> ActiveStudy {
        let budget = trialBudget ?? study.search.trials
        let record: StudyRecord
        if let existing = try store.study(named: study.name) {
            guard existing.studyHash == study.hash else {
                throw SchedulerError(description: "study '\(study.name)' exists in the database with a different study file; rename the study or use another database")
            }
            if case .string(let recorded)? = existing.settings["dataset"], let dataset, dataset.hash != recorded {
                throw SchedulerError(description: "study '\(study.name)' was started on another version of its data file (SHA-256 \(recorded.prefix(12)), now \(dataset.hash.prefix(12))); rename the study or use another database")
            }
            if let dataset { try store.putDataset(dataset) }
            let requeued = try store.requeueRunningTrials(study: existing.id)
            if requeued > 0 { log("study \(study.name): \(requeued) interrupted trial(s) back in the queue") }
            try store.setStudyState(.running, study: existing.id)
            record = existing
        } else {
            if let dataset { try store.putDataset(dataset) }
            var settings: [String: JSONValue] = ["path": .string(Self.absolute(study.file))]
            if let dataset { settings["dataset"] = .string(dataset.hash) }
            if study.search.multiObjective != nil {
                // For readers without the study parser (the dashboard's Pareto plot).
                settings.merge(StudyRecord.objectiveSettings(study.search.objectives.map {
                    (name: $0.name, direction: $0.direction == .minimize ? .minimize : .maximize)
                })) { _, metric in metric }
            }
            record = try store.createStudy(NewStudy(
                name: study.name, studyFile: study.text, studyHash: study.hash,
                direction: study.search.direction == .minimize ? .minimize : .maximize,
                metric: study.search.metric, trialBudget: budget, settings: settings))
        }
        studySerials += 1
        let active = try ActiveStudy(
            study: study, record: record, budget: budget, store: store, dataset: dataset,
            sampler: makeSampler?(study), serial: studySerials, asksOffThread: options.asksOffThread)
        if active.proposals != nil && samplerThread == nil { samplerThread = try SamplerThread() }
        studies.append(active)
        return active
    }

    /// Picks up every unfinished study in the database (a daemon restarting after a stop or a
    /// crash), parsing each from the text stored with it and serving its data from the store.
    public func resumeUnfinished() throws {
        for record in try store.unfinishedStudies() where !studies.contains(where: { $0.record.id == record.id }) {
            guard case .string(let path)? = record.settings["path"] else { continue }
            do {
                var dataset: StoredDataset?
                if case .string(let hash)? = record.settings["dataset"] {
                    guard let stored = try store.dataset(hash: hash) else {
                        throw SchedulerError(description: "its data set \(hash.prefix(12)) is not in the database")
                    }
                    dataset = stored
                }
                let study = try options.parseStudy(record.studyFile, path, try dataset.map(privateCopy))
                if study.data != nil && dataset == nil {
                    throw SchedulerError(description: "it was stored without its data set (a database from an older Tuna); submit it again")
                }
                try add(study, trialBudget: record.trialBudget, dataset: dataset)
            } catch {
                log("study \(record.name) cannot be resumed: \(error)")
            }
        }
    }

    /// A data set's bytes as a file only this process reads, named by its checked hash, for
    /// the study checks that load data (the target column, the classes).
    func privateCopy(_ dataset: StoredDataset) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-scheduler-\(getpid())-\(ObjectIdentifier(self).hashValue)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        privateFolder = folder
        let file = folder.appendingPathComponent(dataset.hash + "." + (dataset.fileExtension.isEmpty ? "data" : dataset.fileExtension))
        if !FileManager.default.fileExists(atPath: file.path) { try dataset.bytes.write(to: file, options: .atomic) }
        return file.path
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// True when `exitWhenDone` holds and every study is settled: `run` would stop now.
    public var isFinished: Bool {
        options.exitWhenDone && !studies.isEmpty && studies.allSatisfy(\.isSettled)
    }

    /// Runs until every study is done (with `exitWhenDone`) or `shouldStop` returns true. On a
    /// stop, running trials go back to WAITING so that a restart resumes them.
    public func run(shouldStop: () -> Bool = { false }) throws {
        while true {
            if shouldStop() {
                try stop(reason: "the scheduler is stopping")
                return
            }
            if isFinished {
                try stop(reason: "all studies are done")
                return
            }
            try step(timeoutMilliseconds: 20)
        }
    }

    /// How long one transaction may stay open gathering messages (see `step`).
    static let commitWindow = 0.002

    /// One turn of the loop: waits up to `timeoutMilliseconds` for messages, handles what
    /// arrived, then sends heartbeats, reaps silent workers and serves idle ones. Tests drive
    /// the scheduler with it, one turn at a time.
    public func step(timeoutMilliseconds: Int32) throws {
        let wakeFds = samplerThread.map { [$0.wakeup.readEnd] } ?? []
        let ready = try poll([socket], fds: wakeFds, timeoutMilliseconds: timeoutMilliseconds)
        let turnStarted = Date()
        defer { longestTurn = max(longestTurn, Date().timeIntervalSince(turnStarted)) }
        if ready.count > 1 && ready[1] { takeProposals() }
        if ready[0], let message = try socket.receiveWithUser(timeoutMilliseconds: 0) {
            // Everything that arrived together is written in one transaction: a SQLite
            // commit costs about as much as all the rest of a trial's bookkeeping. Replies
            // go out inside it, which is safe: a worker acts on a trial only after it is
            // assigned, and a crash before the commit requeues nothing that ran.
            //
            // The transaction stays open for up to `commitWindow` while messages keep coming:
            // with workers that each hold one short trial, results arrive one at a time, and a
            // commit per result would cost more than everything else the loop does for it.
            // Answers are not held back by it, only the commit.
            try store.batch {
                handle(message.frames, user: message.user)
                let opened = Date()
                var handled = 1
                // Under a steady stream the turn still ends after a few milliseconds, so that
                // heartbeats, reaping and the sampler's proposals wait no longer.
                while handled < 1024, Date().timeIntervalSince(opened) < 4 * Self.commitWindow {
                    if let more = try socket.receiveWithUser(timeoutMilliseconds: 0) {
                        handle(more.frames, user: more.user)
                        handled += 1
                        continue
                    }
                    let remaining = Self.commitWindow - Date().timeIntervalSince(opened)
                    guard remaining > 0 else { break }
                    // Proposals from the sampler end the wait: workers may be waiting for them.
                    let woken = try poll([socket], fds: wakeFds, timeoutMilliseconds: Int32((remaining * 1000).rounded(.up)))
                    guard woken[0], !woken.dropFirst().contains(true) else { break }
                }
            }
        }
        try store.batch { try housekeeping() }
        if Date().timeIntervalSince(lastMetricsRefresh) >= 0.5 {
            lastMetricsRefresh = Date()
            metrics.refresh(studies: studies, workers: workers.count, workerList: workerStatuses)
        }
    }

    /// Requeues unfinished trials and, with `exitWhenDone` (the embedded `tuna run`), tells the
    /// workers to stop; a daemon's workers stay and reconnect to its next start.
    func stop(reason: String) throws {
        for (identity, worker) in workers {
            for trial in worker.held { _ = try? store.requeueTrial(trial) }
            if options.exitWhenDone { send(identity, try Envelope(.shutdown, ShutdownMessage(reason: reason))) }
        }
        workers.removeAll()
        for study in studies where study.isDone {
            try store.setStudyState(.finished, study: study.record.id)
        }
        // Whole in its main file: copying the database after a clean stop copies the study.
        try store.checkpoint()
    }

    /// Every study's progress.
    public var statuses: [StudyStatus] {
        studies.map {
            StudyStatus(name: $0.study.name, finished: $0.finishedCount, running: $0.runningCount, budget: $0.budget,
                        best: $0.bestValue, metric: $0.study.search.metric, stopped: $0.stopped)
        }
    }

    /// The workers currently attached (for status lines).
    public var workerCount: Int { workers.count }

    /// Each worker with the trial it runs, by name.
    public var workerStatuses: [WorkerStatus] {
        let now = Date()
        return workers.values.map { worker in
            let running = worker.held.first
            let study = running.flatMap { id in studies.first { $0.running[id] != nil } }
            return WorkerStatus(
                name: worker.name, study: study?.study.name, trial: running.flatMap { study?.running[$0]?.number },
                silentFor: now.timeIntervalSince(worker.lastSeen))
        }.sorted { $0.name < $1.name }
    }

    /// Trials the workers are running now, over every study.
    public var runningCount: Int { studies.reduce(0) { $0 + $1.runningCount } }

    /// Where the in-memory picture and the store disagree (empty when they agree): every
    /// RUNNING trial in the store is running in its study and held by exactly one worker,
    /// every WAITING one is queued once, and nothing else is.
    public func consistencyProblems() throws -> [String] {
        var problems: [String] = []
        let held = Dictionary(grouping: workers.values.flatMap(\.held), by: { $0 })
        for (trial, holders) in held where holders.count > 1 {
            problems.append("trial \(trial) is held by \(holders.count) workers")
        }
        for study in studies {
            let running = Set(try store.trials(study: study.record.id, state: .running).map(\.id))
            let waiting = try store.trials(study: study.record.id, state: .waiting).map(\.id)
            if running != Set(study.running.keys) {
                problems.append("\(study.study.name): store RUNNING \(running.sorted()), scheduler running \(study.running.keys.sorted())")
            }
            if Set(waiting) != Set(study.waiting) || study.waiting.count != Set(study.waiting).count {
                problems.append("\(study.study.name): store WAITING \(waiting.sorted()), scheduler queue \(study.waiting)")
            }
            for trial in running where held[trial] == nil {
                problems.append("\(study.study.name): trial \(trial) is RUNNING but no worker holds it")
            }
        }
        return problems
    }
}

/// Seconds from a worker's `ready` to its `assign`, for the daemon benchmark.
public final class LatencyRecorder {
    public private(set) var samples: [Double] = []
    public init() { samples.reserveCapacity(10_000) }
    public func record(_ seconds: Double) { samples.append(seconds) }

    /// The `q`-quantile (0...1) of the recorded latencies.
    public func quantile(_ q: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
