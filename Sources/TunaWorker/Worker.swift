import Foundation
import TunaBase
import TunaProtocol
import TunaSpec
import TunaWire

/// A worker process's loop (the Paranoid Pirate worker of the ZeroMQ guide): a DEALER that
/// says hello, asks for work, runs its trials one at a time on the runner's thread while the
/// loop keeps heartbeats flowing, and reconnects when the scheduler falls silent.
public final class Worker {
    public struct Options: Sendable {
        public var endpoint: String
        public var name: String
        /// Seconds without hearing from any scheduler before the worker gives up and exits.
        public var giveUpAfter: Double
        public var log: @Sendable (String) -> Void
        /// Checked between messages: true ends the loop (SIGTERM); the scheduler requeues the
        /// trial when the worker falls silent.
        public var shouldStop: @Sendable () -> Bool
        /// Where data sets received from the scheduler are kept, by content hash.
        public var cacheDirectory: String
        /// This worker's CURVE key pair and the daemon's public key, for a daemon that
        /// admits workers by key.
        public var curve: (keyPair: CurveKeyPair, serverKey: String)?
        /// Whether studies whose objective is a command may run here. Off by default: a study
        /// comes from whoever controls the daemon, and a command runs as this worker's user.
        public var allowCommands: Bool
        /// What command objectives run through (`tuna command-guard --`), so that none outlives
        /// its trial or this worker.
        public var commandLauncher: [String]
        /// Trials held at once (`TrialSlots`): run one at a time, the others queued.
        public var slots: Int

        public init(endpoint: String, name: String, giveUpAfter: Double = 60, log: @escaping @Sendable (String) -> Void = { _ in },
                    shouldStop: @escaping @Sendable () -> Bool = { false }, cacheDirectory: String = Worker.defaultCacheDirectory,
                    curve: (keyPair: CurveKeyPair, serverKey: String)? = nil, allowCommands: Bool = false,
                    commandLauncher: [String] = [], slots: Int = 1) {
            self.endpoint = endpoint
            self.name = name
            self.giveUpAfter = giveUpAfter
            self.log = log
            self.shouldStop = shouldStop
            self.cacheDirectory = cacheDirectory
            self.curve = curve
            self.allowCommands = allowCommands
            self.commandLauncher = commandLauncher
            self.slots = min(max(slots, TrialSlots.range.lowerBound), TrialSlots.range.upperBound)
        }
    }

    /// `$XDG_CACHE_HOME/tuna/datasets`, or `~/.cache/tuna/datasets`.
    public static var defaultCacheDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return base + "/tuna/datasets"
    }

    /// A data set already in the cache, by hash.
    func cachedDataset(_ hash: String) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: options.cacheDirectory) else { return nil }
        return names.first { $0.hasPrefix(hash + ".") && !$0.hasSuffix(".partial") }.map { options.cacheDirectory + "/" + $0 }
    }

    /// Stores received bytes after checking they hash to what was asked for.
    func storeDataset(_ message: DatasetMessage, bytes: [UInt8]) throws -> String {
        let actual = sha256Hex(Data(bytes))
        guard actual == message.hash else {
            throw WorkerError(description: "the data set received hashes to \(actual.prefix(12)), not \(message.hash.prefix(12))")
        }
        // The name is built from the checked hash and an extension of a few letters, so a
        // message can never name a path outside the cache.
        guard let fileExtension = message.safeFileExtension else {
            throw WorkerError(description: "the data set's file extension '\(message.fileExtension.prefix(16))' is not a short alphanumeric one")
        }
        try FileManager.default.createDirectory(atPath: options.cacheDirectory, withIntermediateDirectories: true)
        let path = options.cacheDirectory + "/" + actual + "." + (fileExtension.isEmpty ? "data" : fileExtension)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    /// Why the loop ended without an error.
    public enum Ending: Equatable, Sendable { case shutdown(String), stopped }

    public struct WorkerError: Error, CustomStringConvertible {
        public var description: String
    }

    let options: Options
    let context: ZMQContext
    private lazy var executor = TrialExecutor(allowCommands: options.allowCommands, commandLauncher: options.commandLauncher)
    private let studies = StudyCache()
    /// Wakes the loop at once when a trial has a message for the scheduler, instead of at its
    /// next poll timeout.
    private let wakeup: LoopWakeup
    /// Runs the held trials one after another. Why one long-lived thread and not a thread per
    /// trial: with trials of a millisecond, creating and reaping a thread cost more than the
    /// trial.
    private let runner = SerialThread(name: "tuna-trials")

    public init(_ options: Options) throws {
        self.options = options
        self.context = try ZMQContext()
        wakeup = try LoopWakeup()
    }

    deinit {
        runner.stop()
    }

    public func run() throws -> Ending {
        var socket = try connect()
        var heartbeat = 1.0, liveness = 3
        var welcomed = false
        var lastHeard = Date(), lastSent = Date()
        /// Trials handed to the runner, in order: the one it runs, then those queued behind.
        var jobs: [TrialJob] = []
        /// The next trial, waiting for its data set.
        var pending: AssignMessage?
        /// Trials held behind the pending one, in the order given.
        var queued: [AssignMessage] = []
        var silentSince = Date()
        let hello = HelloMessage(
            worker: options.name, host: ProcessInfo.processInfo.hostName, pid: getpid(), allowsCommands: options.allowCommands,
            slots: options.slots == 1 ? nil : options.slots)
        let readyMessage = try Envelope(.ready, ReadyMessage(allowsCommands: options.allowCommands, slots: hello.slots))
        defer { abandonAll() }

        func abandonAll() {
            for job in jobs { job.abandon() }
            jobs.removeAll()
            pending = nil
            queued.removeAll()
        }
        func send(_ envelopes: [Envelope]) throws {
            guard let first = envelopes.first else { return }
            // Hello and heartbeats never wait: with no connection (a daemon that refused this
            // worker's key, a cut link) a blocking send would hang the loop past giving up.
            // Reports do wait, so a result is not lost to a moment without a connection.
            let fireAndForget = envelopes.count == 1 && (first.type == .hello || first.type == .heartbeat)
            if try socket.send(Envelope.batch(envelopes), dontWait: fireAndForget) { lastSent = Date() }
        }
        func send(_ envelope: Envelope) throws { try send([envelope]) }
        /// Hands the held trials to the runner in order, stopping at one whose data set the
        /// cache lacks (asked for; the trials behind it wait for it).
        func startQueued() throws {
            while pending == nil, !queued.isEmpty {
                let assignment = queued.removeFirst()
                if let hash = assignment.datasetHash, cachedDataset(hash) == nil {
                    pending = assignment
                    try send(try Envelope(.needDataset, DatasetMessage(hash: hash, fileExtension: "")))
                } else {
                    jobs.append(start(assignment, dataPath: assignment.datasetHash.flatMap(cachedDataset)))
                }
            }
        }
        try send(try Envelope(.hello, hello))

        while true {
            if options.shouldStop() { return .stopped }
            let ready = try poll([socket], fds: [wakeup.readEnd], timeoutMilliseconds: Int32(max(1, min(heartbeat, 0.25) * 1000)))
            if ready.count > 1 && ready[1] { wakeup.clear() }
            while let frames = try socket.receive(timeoutMilliseconds: 0) {
                lastHeard = Date()
                silentSince = lastHeard
                let envelopes: [Envelope]
                do {
                    envelopes = try Envelope.messages(frames: frames)
                } catch {
                    options.log("dropped a message: \(error)")
                    continue
                }
                // Each message of a batch on its own: one that does not parse must not take the
                // trials assigned beside it down with it.
                for envelope in envelopes {
                    do {
                        switch envelope.type {
                        case .welcome:
                            let welcome = try envelope.decode(WelcomeMessage.self)
                            heartbeat = min(max(0.05, Double(welcome.heartbeatMilliseconds) / 1000), 60)
                            liveness = min(max(1, welcome.liveness), 100)
                            options.log(welcomed ? "welcomed again by \(options.endpoint)" : "connected to \(options.endpoint)")
                            welcomed = true
                            // Reconnected mid-trial: the scheduler has requeued what we held.
                            abandonAll()
                            try send(readyMessage)
                        case .refuse:
                            throw WorkerError(description: "the scheduler refused this worker: \(try envelope.decode(RefuseMessage.self).reason)")
                        case .assign:
                            let assignment = try envelope.decode(AssignMessage.self)
                            if queued.count + jobs.count + (pending == nil ? 0 : 1) >= options.slots {
                                try send(try Envelope(.failed, FailedMessage(trialID: assignment.trialID, error: "worker \(options.name) is busy")))
                            } else {
                                queued.append(assignment)
                                try startQueued()
                            }
                        case .dataset:
                            let message = try envelope.decode(DatasetMessage.self)
                            if let waiting = pending, waiting.datasetHash == message.hash {
                                pending = nil
                                do {
                                    let path = try storeDataset(message, bytes: envelope.attachment ?? [])
                                    options.log("cached data set \(message.hash.prefix(12)) at \(path)")
                                    jobs.append(start(waiting, dataPath: path))
                                } catch {
                                    try send([try Envelope(.failed, FailedMessage(trialID: waiting.trialID, error: "\(error)", retryable: true)), readyMessage])
                                }
                                try startQueued()
                            }
                        case .decision:
                            let decision = try envelope.decode(DecisionMessage.self)
                            if decision.prune, let job = jobs.first(where: { $0.trialID == decision.trialID }) { job.requestPrune() }
                        case .shutdown:
                            return .shutdown(try envelope.decode(ShutdownMessage.self).reason)
                        case .heartbeat:
                            break
                        default:
                            options.log("ignored a '\(envelope.type.rawValue)' message")
                        }
                    } catch let error as WorkerError {
                        throw error
                    } catch {
                        options.log("dropped a '\(envelope.type.rawValue)' message: \(error)")
                    }
                }
            }
            // Everything the trials have to say since the last turn leaves in one message.
            var reports: [Envelope] = []
            while let job = jobs.first {
                reports += job.drainOutbox()
                guard job.isFinished else { break }
                // A result counts as `ready` at the scheduler; a failure asks explicitly.
                if job.failed { reports.append(readyMessage) }
                jobs.removeFirst()
            }
            for job in jobs.dropFirst() { reports += job.drainOutbox() }
            for start in stride(from: 0, to: reports.count, by: Envelope.batchLimit) {
                try send(Array(reports[start..<min(start + Envelope.batchLimit, reports.count)]))
            }
            if Date().timeIntervalSince(lastSent) >= heartbeat { try send(Envelope(type: .heartbeat)) }
            let silence = Date().timeIntervalSince(lastHeard)
            if Date().timeIntervalSince(silentSince) > options.giveUpAfter {
                throw WorkerError(description: welcomed
                    ? "lost the scheduler at \(options.endpoint): nothing heard for \(Int(options.giveUpAfter)) s"
                    : "no scheduler answered at \(options.endpoint) within \(Int(options.giveUpAfter)) s")
            }
            if silence > heartbeat * Double(liveness) {
                // Paranoid Pirate: a new socket (fresh identity), hello again.
                options.log("no word from the scheduler for \(String(format: "%.1f", silence)) s; reconnecting")
                socket.close()
                socket = try connect()
                lastHeard = Date()
                try send(try Envelope(.hello, hello))
            }
        }
    }

    private func connect() throws -> ZMQSocket {
        let socket = try ZMQSocket(context, .dealer)
        try socket.setIdentity(Array("\(options.name)-\(UInt32.random(in: 0...UInt32.max))".utf8))
        if let curve = options.curve { try socket.makeCurveClient(curve.keyPair, serverKey: curve.serverKey) }
        try socket.connect(options.endpoint)
        return socket
    }

    /// Queues the trial on the runner's thread; messages for the scheduler queue up in the job.
    private func start(_ assignment: AssignMessage, dataPath: String?) -> TrialJob {
        let job = TrialJob(trialID: assignment.trialID, wakeup: wakeup)
        let executor = executor, studies = studies
        runner.enqueue {
            // Dropped while it waited (the scheduler requeued it): not run.
            if job.isAbandoned {
                job.finish(nil)
                return
            }
            do {
                let study = try studies.study(for: assignment)
                let result = try executor.run(assignment, study: study, dataPath: dataPath, report: { step, value in
                    job.post(try? Envelope(.progress, ProgressMessage(trialID: assignment.trialID, step: step, value: value)))
                    return job.pruneRequested
                }, reportFold: { fold, value, seconds in
                    job.post(try? Envelope(.progress, ProgressMessage(
                        trialID: assignment.trialID, step: fold, value: value, fold: fold, seconds: seconds)))
                })
                // A diverged run's NaN is an outcome to report, not a number to send: JSON has no
                // NaN, and a result that cannot be encoded would leave the trial running forever.
                guard result.value.isFinite else {
                    throw TrialFailure(description: "the objective's value is not a finite number (\(result.value))", diverged: true)
                }
                if case .failure(let problem) = result.objectiveValues(metrics: study.search.objectives.map(\.name)) {
                    throw TrialFailure(description: problem.description, diverged: problem.diverged)
                }
                do {
                    job.finish(try Envelope(.result, result))
                } catch {
                    throw TrialFailure(description: "the result cannot be encoded: \(error)")
                }
            } catch {
                let diverged = (error as? TrialFailure)?.diverged == true
                let failure = FailedMessage(
                    trialID: assignment.trialID, error: String("\(error)".prefix(4000)), diverged: diverged ? true : nil)
                job.finish(try? Envelope(.failed, failure), failed: true)
            }
        }
        return job
    }
}

/// The state shared between the worker loop and a trial thread.
final class TrialJob: @unchecked Sendable {
    let trialID: Int64
    private let lock = NSLock()
    private var outbox: [Envelope] = []
    private var finished = false
    private var prune = false
    private var abandoned = false
    private var didFail = false

    private let wakeup: LoopWakeup

    init(trialID: Int64, wakeup: LoopWakeup) {
        self.trialID = trialID
        self.wakeup = wakeup
    }

    func post(_ envelope: Envelope?) {
        guard let envelope else { return }
        lock.withLock { if !abandoned { outbox.append(envelope) } }
        wake()
    }

    func finish(_ envelope: Envelope?, failed: Bool = false) {
        lock.withLock {
            if let envelope, !abandoned { outbox.append(envelope) }
            finished = true
            didFail = failed || envelope == nil
        }
        wake()
    }

    /// The trial ended in a failure (the scheduler then expects an explicit `ready`).
    var failed: Bool { lock.withLock { didFail } }

    private func wake() { wakeup.signal() }

    func drainOutbox() -> [Envelope] {
        lock.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    var isFinished: Bool { lock.withLock { finished && outbox.isEmpty } }
    var pruneRequested: Bool { lock.withLock { prune || abandoned } }
    func requestPrune() { lock.withLock { prune = true } }
    /// The scheduler no longer expects this trial: its messages are dropped.
    func abandon() { lock.withLock { abandoned = true } }
    var isAbandoned: Bool { lock.withLock { abandoned } }
}
