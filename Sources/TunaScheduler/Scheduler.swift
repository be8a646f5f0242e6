import Foundation
import TunaSearch
import TunaSpec
import TunaStore
import TunaWire

/// The daemon's core: a ROUTER socket, the studies being tuned, and the workers attached.
///
/// One thread runs `run`; it is the only writer of the store. Workers ask for work (`ready`),
/// get a trial (`assign`), report epochs or folds (`progress`, answered with a prune decision)
/// and results. Heartbeats go both ways; a worker silent for `liveness` heartbeats is dropped
/// and its trial goes back to WAITING for another worker, counted as an attempt.
public final class Scheduler {
    public struct Options: Sendable {
        public var bind: String
        public var heartbeat: Double
        public var liveness: Int
        /// Stop (and shut the workers down) once every study has used its trial budget.
        public var exitWhenDone: Bool
        public var log: @Sendable (String) -> Void

        public init(bind: String = "tcp://127.0.0.1:5555", heartbeat: Double = 1, liveness: Int = 3,
                    exitWhenDone: Bool = true, log: @escaping @Sendable (String) -> Void = { _ in }) {
            self.bind = bind
            self.heartbeat = heartbeat
            self.liveness = liveness
            self.exitWhenDone = exitWhenDone
            self.log = log
        }
    }

    public let options: Options
    public let store: SQLiteTrialStore
    let context: ZMQContext
    let socket: ZMQSocket
    /// The endpoint bound (with the port chosen, when binding to `*`).
    public let endpoint: String
    var studies: [ActiveStudy] = []
    var workers: [[UInt8]: WorkerState] = [:]
    var lastHeartbeat = Date()
    /// Called after every finished trial (for progress lines).
    public var onTrialFinished: ((ActiveStudy, TrialRecord) -> Void)?
    /// When set, dispatch latencies are recorded (the daemon benchmark).
    public var dispatchLatencies: LatencyRecorder?

    /// An exclusive lock on `<database>.lock`: one scheduler writes a database at a time.
    private let lockDescriptor: Int32

    public init(store: SQLiteTrialStore, options: Options) throws {
        self.store = store
        self.options = options
        lockDescriptor = try Self.lockDatabase(store.path)
        context = try ZMQContext()
        socket = try ZMQSocket(context, .router)
        try socket.setOption(SocketOption.routerMandatory, 1)
        do {
            try socket.bind(options.bind)
        } catch {
            throw SchedulerError(description: "cannot listen on \(options.bind): \(error)")
        }
        endpoint = socket.lastEndpoint ?? options.bind
    }

    public struct SchedulerError: Error, CustomStringConvertible {
        public var description: String
    }

    deinit { close(lockDescriptor) }

    /// Takes the database's lock file, or says which process holds it. The lock goes with the
    /// process, so a crashed scheduler never leaves a stale one behind.
    static func lockDatabase(_ path: String) throws -> Int32 {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw SchedulerError(description: "cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw SchedulerError(description: "the database \(path) is in use by another scheduler (pid \(holder))")
        }
        _ = ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return descriptor
    }

    /// Adds a study: a new one is created in the store; a known one (same name) resumes, with
    /// trials left RUNNING by a crash put back to WAITING. A changed study file is refused.
    @discardableResult
    public func add(_ study: Study, trialBudget: Int? = nil) throws -> ActiveStudy {
        let budget = trialBudget ?? study.search.trials
        let record: StudyRecord
        if let existing = try store.study(named: study.name) {
            guard existing.studyHash == study.hash else {
                throw SchedulerError(description: "study '\(study.name)' exists in \(store.path) with a different study file; rename the study or use another database")
            }
            let requeued = try store.requeueRunningTrials(study: existing.id)
            if requeued > 0 { options.log("study \(study.name): \(requeued) interrupted trial(s) back in the queue") }
            try store.setStudyState(.running, study: existing.id)
            record = existing
        } else {
            record = try store.createStudy(NewStudy(
                name: study.name, studyFile: study.text, studyHash: study.hash,
                direction: study.search.direction == .minimize ? .minimize : .maximize,
                metric: study.search.metric, trialBudget: budget,
                settings: ["path": .string(Self.absolute(study.file))]))
        }
        let active = try ActiveStudy(study: study, record: record, budget: budget, store: store)
        studies.append(active)
        return active
    }

    /// Picks up every unfinished study in the database (a daemon restarting after a stop or a
    /// crash), parsing each from the text stored with it.
    public func resumeUnfinished() throws {
        for record in try store.unfinishedStudies() where !studies.contains(where: { $0.record.id == record.id }) {
            guard case .string(let path)? = record.settings["path"] else { continue }
            do {
                let study = try Study.parse(text: record.studyFile, file: path)
                try add(study, trialBudget: record.trialBudget)
            } catch {
                options.log("study \(record.name) cannot be resumed: \(error)")
            }
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Runs until every study is done (with `exitWhenDone`) or `shouldStop` returns true. On a
    /// stop, running trials go back to WAITING so that a restart resumes them.
    public func run(shouldStop: () -> Bool = { false }) throws {
        while true {
            if shouldStop() {
                try stop(reason: "the scheduler is stopping")
                return
            }
            if options.exitWhenDone && !studies.isEmpty && studies.allSatisfy(\.isSettled) {
                try stop(reason: "all studies are done")
                return
            }
            if let frames = try socket.receive(timeoutMilliseconds: 20) {
                // Everything that arrived together is written in one transaction: a SQLite
                // commit costs about as much as all the rest of a trial's bookkeeping. Replies
                // go out inside it, which is safe: a worker acts on a trial only after it is
                // assigned, and a crash before the commit requeues nothing that ran.
                try store.batch {
                    try handle(frames)
                    var drained = 0
                    while drained < 256, let more = try socket.receive(timeoutMilliseconds: 0) {
                        try handle(more)
                        drained += 1
                    }
                }
            }
            try store.batch { try housekeeping() }
        }
    }

    /// Requeues unfinished trials and, with `exitWhenDone` (the embedded `tuna run`), tells the
    /// workers to stop; a daemon's workers stay and reconnect to its next start.
    func stop(reason: String) throws {
        for (identity, worker) in workers {
            if let trial = worker.trialID { _ = try? store.requeueTrial(trial) }
            if options.exitWhenDone { send(identity, try Envelope(.shutdown, ShutdownMessage(reason: reason))) }
        }
        workers.removeAll()
        for study in studies where study.isDone {
            try store.setStudyState(.finished, study: study.record.id)
        }
    }

    // MARK: Messages

    func handle(_ frames: [[UInt8]]) throws {
        let identity: [UInt8], envelope: Envelope
        do {
            (identity, envelope) = try Envelope.routed(frames)
        } catch let mismatch as VersionMismatch {
            if let identity = frames.first {
                options.log("refused a worker: \(mismatch)")
                send(identity, Envelope(type: .refuse, body: Array(#"{"reason":"\#(mismatch.description.replacingOccurrences(of: "\"", with: "'"))"}"#.utf8)))
            }
            return
        } catch {
            options.log("dropped a message: \(error)")
            return
        }
        do {
            try dispatch(identity, envelope)
        } catch let error as MalformedMessage {
            options.log("dropped a message from \(String(decoding: identity, as: UTF8.self)): \(error)")
        }
    }

    func dispatch(_ identity: [UInt8], _ envelope: Envelope) throws {
        if envelope.type == .hello {
            let hello = try envelope.decode(HelloMessage.self)
            if let old = workers[identity], let trial = old.trialID { _ = try store.requeueTrial(trial) }
            workers[identity] = WorkerState(name: hello.worker, lastSeen: Date())
            options.log("worker \(hello.worker) (\(hello.host), pid \(hello.pid)) joined")
            send(identity, try Envelope(.welcome, WelcomeMessage(
                heartbeatMilliseconds: Int(options.heartbeat * 1000), liveness: options.liveness)))
            return
        }
        switch envelope.type {
        case .submit, .status, .stopStudy:
            send(identity, try Envelope(.reply, control(envelope)))
            return
        default:
            break
        }
        guard var worker = workers[identity] else {
            // Not known: this scheduler restarted, or declared the worker dead. Welcome it
            // afresh; the worker drops whatever trial it held (that trial was requeued) and
            // asks for work.
            let name = String(decoding: identity, as: UTF8.self)
            workers[identity] = WorkerState(name: name, lastSeen: Date())
            options.log("worker \(name) came back")
            send(identity, try Envelope(.welcome, WelcomeMessage(
                heartbeatMilliseconds: Int(options.heartbeat * 1000), liveness: options.liveness)))
            return
        }
        worker.lastSeen = Date()
        workers[identity] = worker
        switch envelope.type {
        case .ready:
            workers[identity]?.ready = true
            workers[identity]?.readySince = Date()
            try assignWork(to: identity)
        case .heartbeat:
            break
        case .needDataset:
            let request = try envelope.decode(DatasetMessage.self)
            guard let dataset = studies.lazy.compactMap(\.dataset).first(where: { $0.hash == request.hash }) else {
                options.log("\(worker.name) asked for an unknown data set \(request.hash.prefix(12))")
                return
            }
            options.log("sending the data set \(dataset.hash.prefix(12)) (\(dataset.bytes.count) bytes) to \(worker.name)")
            send(identity, try Envelope(
                .dataset, DatasetMessage(hash: dataset.hash, fileExtension: dataset.fileExtension), attachment: dataset.bytes))
        case .progress:
            let progress = try envelope.decode(ProgressMessage.self)
            guard let study = study(owning: progress.trialID, worker: worker) else { return }
            if let fold = progress.fold {
                try store.recordFoldValue(trial: progress.trialID, FoldValue(fold: fold, value: progress.value, seconds: progress.seconds))
                return
            }
            try store.recordIntermediate(trial: progress.trialID, step: progress.step, value: progress.value)
            let prune = study.report(trial: progress.trialID, step: progress.step, value: progress.value)
            send(identity, try Envelope(.decision, DecisionMessage(trialID: progress.trialID, prune: prune)))
        case .result:
            let result = try envelope.decode(ResultMessage.self)
            guard let study = study(owning: result.trialID, worker: worker) else { return }
            workers[identity]?.trialID = nil
            let folds = zip(result.foldValues.indices, result.foldValues).map { index, value in
                FoldValue(fold: index, value: value, seconds: index < result.foldSeconds.count ? result.foldSeconds[index] : nil)
            }
            let outcome: TrialOutcome = result.pruned ? .pruned(value: result.value) : .complete(value: result.value, std: result.std)
            let record = try store.finishTrial(result.trialID, outcome, folds: folds)
            try trialFinished(record, study: study)
            // A result is also a request for the next trial: one message fewer per trial.
            workers[identity]?.ready = true
            workers[identity]?.readySince = Date()
            try assignWork(to: identity)
        case .failed:
            let failure = try envelope.decode(FailedMessage.self)
            guard let study = study(owning: failure.trialID, worker: worker) else { return }
            workers[identity]?.trialID = nil
            try retryOrFail(failure.trialID, study: study, error: failure.error)
        default:
            options.log("ignored a '\(envelope.type.rawValue)' message from \(worker.name)")
        }
    }

    /// The study of a trial the worker really holds (late messages for reassigned trials are
    /// ignored: the trial belongs to someone else now).
    func study(owning trialID: Int64, worker: WorkerState) -> ActiveStudy? {
        guard worker.trialID == trialID else {
            options.log("ignored a report for trial \(trialID) that \(worker.name) does not hold")
            return nil
        }
        return studies.first { $0.running[trialID] != nil }
    }

    func retryOrFail(_ trialID: Int64, study: ActiveStudy, error: String) throws {
        let attempts = try store.trial(id: trialID)?.attempts ?? study.study.search.maxAttempts
        if attempts < study.study.search.maxAttempts {
            options.log("trial \(trialID) failed (attempt \(attempts)): \(error); retrying")
            _ = try store.requeueTrial(trialID)
            study.requeued(trialID)
        } else {
            let record = try store.finishTrial(trialID, .fail(error: error), folds: [])
            try trialFinished(record, study: study)
        }
    }

    func trialFinished(_ record: TrialRecord, study: ActiveStudy) throws {
        study.finished(record)
        if study.isDone { try store.setStudyState(.finished, study: study.record.id) }
        onTrialFinished?(study, record)
    }

    /// Answers a control client (`tuna submit`, `tuna status`, `tuna stop`).
    func control(_ envelope: Envelope) throws -> ReplyMessage {
        switch envelope.type {
        case .submit:
            let submit = try envelope.decode(SubmitMessage.self)
            let study: Study
            do {
                study = try Study.parse(text: submit.studyText, file: submit.studyFile)
            } catch {
                return ReplyMessage(ok: false, message: "\(error)")
            }
            if let active = studies.first(where: { $0.study.name == study.name }), !active.isDone, !active.stopped {
                return ReplyMessage(ok: false, message: "study \(study.name) is already running")
            }
            studies.removeAll { $0.study.name == study.name }
            do {
                let active = try add(study, trialBudget: submit.trials)
                return ReplyMessage(ok: true, message: "study \(study.name) accepted: \(active.finishedCount)/\(active.budget) trials done", studies: statuses, workers: workers.count)
            } catch {
                return ReplyMessage(ok: false, message: "\(error)")
            }
        case .stopStudy:
            let request = try envelope.decode(StopStudyMessage.self)
            guard let active = studies.first(where: { $0.study.name == request.study }) else {
                return ReplyMessage(ok: false, message: "no study '\(request.study)' in this daemon; studies: \(studies.map(\.study.name).joined(separator: ", "))")
            }
            active.stopped = true
            try store.setStudyState(.stopped, study: active.record.id)
            return ReplyMessage(ok: true, message: "study \(request.study) stopped: no new trials (\(active.runningCount) running finish)", studies: statuses, workers: workers.count)
        default:
            return ReplyMessage(ok: true, message: "\(studies.count) studies, \(workers.count) workers", studies: statuses, workers: workers.count)
        }
    }

    /// Every study's progress.
    public var statuses: [StudyStatus] {
        studies.map {
            StudyStatus(name: $0.study.name, finished: $0.finishedCount, running: $0.runningCount, budget: $0.budget,
                        best: $0.bestValue, metric: $0.study.search.metric, stopped: $0.stopped)
        }
    }

    /// Hands the idle worker the next trial of the first study with budget left.
    func assignWork(to identity: [UInt8]) throws {
        guard let worker = workers[identity], worker.ready, worker.trialID == nil else { return }
        for study in studies where !study.isDone && !study.stopped {
            let knowsStudy = worker.studiesSent.contains(study.study.hash)
            guard let assignment = try study.nextTrial(worker: worker.name, store: store, includeText: !knowsStudy) else { continue }
            workers[identity]?.ready = false
            workers[identity]?.trialID = assignment.trialID
            workers[identity]?.studiesSent.insert(study.study.hash)
            send(identity, try Envelope(.assign, assignment))
            dispatchLatencies?.record(Date().timeIntervalSince(worker.readySince))
            return
        }
    }

    /// Heartbeats out, dead workers reaped, idle workers served.
    func housekeeping() throws {
        let now = Date()
        if now.timeIntervalSince(lastHeartbeat) >= options.heartbeat {
            lastHeartbeat = now
            for identity in workers.keys { send(identity, Envelope(type: .heartbeat)) }
        }
        let limit = options.heartbeat * Double(options.liveness)
        for (identity, worker) in workers where now.timeIntervalSince(worker.lastSeen) > limit {
            workers[identity] = nil
            options.log("worker \(worker.name) went silent; dropped")
            if let trial = worker.trialID, let study = studies.first(where: { $0.running[trial] != nil }) {
                try retryOrFail(trial, study: study, error: "worker \(worker.name) went silent")
            }
        }
        for identity in workers.keys where workers[identity]?.ready == true { try assignWork(to: identity) }
    }

    func send(_ identity: [UInt8], _ envelope: Envelope) {
        do {
            if try !socket.send([identity] + envelope.frames, dontWait: true) {
                options.log("could not reach a worker; it will be dropped if it stays silent")
            }
        } catch {
            options.log("send failed: \(error)")
        }
    }

    /// The workers currently attached (for status lines).
    public var workerCount: Int { workers.count }
}

/// What the scheduler knows of one attached worker.
struct WorkerState {
    var name: String
    var lastSeen: Date
    var ready = false
    var readySince = Date()
    var trialID: Int64?
    /// Hashes of the study files this worker has been sent.
    var studiesSent: Set<String> = []
}

/// Seconds from a worker's `ready` to its `assign`, for the daemon benchmark.
public final class LatencyRecorder {
    public private(set) var samples: [Double] = []
    public init() { samples.reserveCapacity(10_000) }
    func record(_ seconds: Double) { samples.append(seconds) }

    /// The `q`-quantile (0...1) of the recorded latencies.
    public func quantile(_ q: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
