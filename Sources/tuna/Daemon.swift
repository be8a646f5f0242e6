import ArgumentParser
import Foundation
import TunaScheduler
import TunaHTTP
import TunaProtocol
import TunaSpec
import TunaTemplate
import TunaStore
import TunaTensor
import TunaWire

/// `tuna daemon`: a long-running scheduler that workers attach to and studies are submitted to.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler as a daemon: workers attach with `tuna worker`, studies arrive with `tuna submit`.")

    @Option(help: "Where to listen for workers and control commands.")
    var bind = "tcp://127.0.0.1:5555"

    @OptionGroup var scheduling: SchedulerOptions

    @OptionGroup var serverKeys: ServerKeyOptions

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464; port 0 picks one).")
    var metrics: String?

    @Option(help: "Serve the dashboard at http://HOST:PORT/ with the daemon's live workers (PORT alone: loopback; port 0 picks one).")
    var dashboard: String?

    func run() throws {
        let security = try serverKeys.security(bind: bind)
        _ = SQLiteTrialStore.keepFreedHeap()
        BLAS.setThreads(1)
        let (store, lock) = try openStore(scheduling.db)
        defer { withExtendedLifetime(lock) {} }
        let log: @Sendable (String) -> Void = { message in
            FileHandle.standardError.write(Data("\(ISO8601DateFormatter().string(from: Date())) \(message)\n".utf8))
        }
        let scheduler: Scheduler
        do {
            scheduler = try Scheduler(store: store, options: scheduling.options(bind: bind, exitWhenDone: false, log: log, security: security))
        } catch {
            FileHandle.standardError.write(Data("tuna daemon: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let metrics { try serveMetrics(metrics, scheduler: scheduler, log: log) }
        if let dashboard { try serveDashboard(dashboard, db: scheduling.db, scheduler: scheduler, log: log) }
        try scheduler.resumeUnfinished()
        log("listening at \(scheduler.endpoint)\(security == nil ? " without keys" : " (CURVE keys required)"); database \(scheduling.db); \(scheduler.statuses.count) unfinished studies resumed")
        scheduler.onTrialFinished = { study, trial in
            log("\(study.study.name): trial \(trial.number.map(String.init) ?? "?") \(trial.state.rawValue.lowercased()) \(trial.value.map { String(format: "%.6g", $0) } ?? "") (\(study.finishedCount)/\(study.budget))")
        }
        let stop = StopSignal()
        try scheduler.run(shouldStop: { stop.requested })
        log("stopped; unfinished trials are back in the queue")
    }
}

/// Serves the scheduler's figures for Prometheus on a task beside the scheduler's loop.
func serveMetrics(_ address: String, scheduler: Scheduler, log: @escaping @Sendable (String) -> Void) throws {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
        throw ValidationError("--metrics takes HOST:PORT, such as 127.0.0.1:9464, got '\(address)'")
    }
    let host = String(address[..<colon])
    let metrics = scheduler.metrics
    let endpoint = TextEndpoint(host: host.isEmpty ? "127.0.0.1" : host, port: port, path: "metrics") { metrics.render() }
    Task {
        do {
            try await endpoint.run { bound in log("metrics at http://\(endpoint.host):\(bound)/metrics") }
        } catch {
            log("the metrics endpoint stopped: \(error)")
        }
    }
}

/// Sends one control request to a daemon and waits for its reply.
func controlRequest(_ endpoint: String, _ envelope: Envelope, keys: ClientKeyOptions, timeout: Double = 5) throws -> ReplyMessage {
    let context = try ZMQContext()
    let socket = try ZMQSocket(context, .dealer)
    if let curve = try keys.load() { try socket.makeCurveClient(curve.keyPair, serverKey: curve.serverKey) }
    try socket.connect(endpoint)
    try socket.send(envelope.frames)
    guard let frames = try socket.receive(timeoutMilliseconds: Int32(timeout * 1000)) else {
        FileHandle.standardError.write(Data("tuna: no daemon answered at \(endpoint) within \(Int(timeout)) s\(keys.key == nil ? "" : " (a daemon refuses keys it has not admitted: is this key's .pub in its clients/ folder?)")\n".utf8))
        throw ExitCode(1)
    }
    let reply = try Envelope(frames: frames)
    if reply.type == .refuse {
        FileHandle.standardError.write(Data("tuna: the daemon refused: \((try? reply.decode(RefuseMessage.self))?.reason ?? "no reason given")\n".utf8))
        throw ExitCode(1)
    }
    guard reply.type == .reply else { throw ValidationError("unexpected answer '\(reply.type.rawValue)' from \(endpoint)") }
    return try reply.decode(ReplyMessage.self)
}

func printReply(_ reply: ReplyMessage) throws {
    print(reply.message)
    for study in reply.studies {
        print("  \(study.name): \(study.finished)/\(study.budget) done, \(study.running) running, best \(study.metric) \(study.best.map { String(format: "%.6g", $0) } ?? "-")\(study.stopped ? " (stopped)" : "")")
    }
    for worker in reply.workerList ?? [] {
        let task = worker.study.map { "\($0) trial \(worker.trial.map(String.init) ?? "?")" } ?? "idle"
        print("  worker \(worker.name): \(task)" + (worker.silentFor >= 2 ? String(format: ", silent %.0f s", worker.silentFor) : ""))
    }
    if !reply.ok { throw ExitCode(1) }
}

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a study to a running daemon.")
    @Argument(help: "The study file.") var study: String
    @Option(help: "The daemon's endpoint.") var to = "tcp://127.0.0.1:5555"
    @Option(help: "Override the trial budget.") var trials: Int?
    @OptionGroup var keys: ClientKeyOptions

    func run() throws {
        let parsed = try loadStudy(study)
        // The data file travels with the study, by content: the daemon reads no paths of ours.
        var dataset: DatasetMessage?, bytes: [UInt8]?
        if let data = parsed.data {
            guard let contents = FileManager.default.contents(atPath: data.path) else {
                throw ValidationError("cannot read the data file \(data.path)")
            }
            dataset = DatasetMessage(hash: sha256Hex(contents), fileExtension: URL(fileURLWithPath: data.path).pathExtension)
            bytes = Array(contents)
        }
        let message = SubmitMessage(studyText: parsed.text, studyFile: (parsed.file as NSString).lastPathComponent, trials: trials, dataset: dataset)
        try printReply(try controlRequest(to, try Envelope(.submit, message, attachment: bytes), keys: keys, timeout: 30))
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a running daemon's studies and workers.")
    @Option(help: "The daemon's endpoint.") var to = "tcp://127.0.0.1:5555"
    @OptionGroup var keys: ClientKeyOptions

    func run() throws { try printReply(try controlRequest(to, Envelope(type: .status), keys: keys)) }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop handing out trials of a study (running ones finish).")
    @Argument(help: "The study's name.") var study: String
    @Option(help: "The daemon's endpoint.") var to = "tcp://127.0.0.1:5555"
    @OptionGroup var keys: ClientKeyOptions

    func run() throws { try printReply(try controlRequest(to, try Envelope(.stopStudy, StopStudyMessage(study: study)), keys: keys)) }
}
