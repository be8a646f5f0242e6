import ArgumentParser
import Foundation
import TunaScheduler
import TunaProtocol
import TunaSpec
import TunaTemplate
import TunaExport
import TunaStore
import TunaTensor
import TunaWire

/// `tuna run STUDY.yaml`: the scheduler and N local worker processes in one command, with a
/// live progress line and the leaderboard at the end. Run again on the same database, it
/// resumes where it stopped.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune a study on this machine: a scheduler and local worker processes.")

    @Argument(help: "The study file (see search-spaces/).")
    var study: String

    @Option(help: "Local worker processes (one trial each, one BLAS thread).")
    var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Override the study's trial budget.")
    var trials: Int?

    @Option(help: "Where the scheduler listens (port 0 or * picks a free port); other machines can attach workers here.")
    var bind = "tcp://127.0.0.1:*"

    @OptionGroup var scheduling: SchedulerOptions

    @Flag(help: "No progress line, only the leaderboard.")
    var quiet = false

    @OptionGroup var serverKeys: ServerKeyOptions

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must be 0 or more") }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1") }
    }

    func run() throws {
        let checked = try loadCheckedStudy(study)
        let parsed = checked.study
        var security = try serverKeys.security(bind: bind)
        // The local workers get a key of their own for this run, admitted beside the folder's.
        let localKeys = try security.map { _ in try EphemeralWorkerKey() }
        if let localKeys { security?.allowList.extra[localKeys.pair.publicKey] = .init(role: .worker, name: "local") }
        _ = SQLiteTrialStore.keepFreedHeap()
        // The scheduler's Gaussian process works on small matrices: one BLAS thread is fastest
        // and leaves the cores to the workers.
        BLAS.setThreads(1)
        let (store, lock) = try openStore(scheduling.db)
        defer { withExtendedLifetime(lock) {} }
        let progress = ProgressLine(enabled: !quiet)
        for line in checked.data?.lines ?? [] { progress.log(line) }
        let scheduler: Scheduler
        do {
            scheduler = try Scheduler(store: store, options: scheduling.options(
                bind: bind, exitWhenDone: true, log: { message in progress.log(message) }, security: security,
                acceptsSubmissions: false))
        } catch {
            FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let active = try scheduler.add(parsed, trialBudget: trials)
        progress.log("study \(parsed.name): \(active.finishedCount)/\(active.budget) trials done; scheduler at \(scheduler.endpoint); database \(scheduling.db)")
        let stop = StopSignal()
        // The study was given on this command line and the scheduler takes no submissions, so
        // its own workers may run a command objective.
        let keyArguments = try localKeys.map { try $0.arguments(serverKey: security?.keyPair.publicKey ?? "") } ?? []
        let children = try LocalWorkers(
            count: workers, endpoint: scheduler.endpoint, heartbeat: scheduling.heartbeat, extraArguments: ["--allow-commands"] + keyArguments)
        defer { children.terminate() }
        let started = Date()
        let doneAtStart = active.finishedCount
        // Redrawn from the loop on a timer, from the scheduler's own counts, so the line moves
        // while trials run and never shows a worker between two trials as idle.
        try scheduler.run(shouldStop: {
            progress.tick(
                study: active, running: scheduler.runningCount, workers: scheduler.workerCount,
                elapsed: Date().timeIntervalSince(started), doneAtStart: doneAtStart)
            return stop.requested
        })
        progress.tick(
            study: active, running: scheduler.runningCount, workers: scheduler.workerCount,
            elapsed: Date().timeIntervalSince(started), doneAtStart: doneAtStart, force: true)
        progress.finish()
        children.wait()
        if stop.requested {
            print("stopped; \(active.finishedCount)/\(active.budget) trials done. Run the same command again to resume.")
            throw ExitCode(130)
        }
        // The number papers report: the winner retrained on every training row, scored once on
        // the test rows the search never saw; kept with the trial for `tuna best`. A study with
        // several metrics has no one winner: `tuna export` takes the trial the user picks.
        if parsed.data?.test != nil, parsed.search.multiObjective == nil {
            scoreOnTestRows(store: store, study: parsed.name, log: progress.log)
        }
        try Leaderboard.print(store: store, study: parsed.name, top: 10, format: .table)
        guard let record = try store.study(named: parsed.name) else { return }
        if try store.stateCounts(study: record.id)[.complete, default: 0] == 0 {
            FileHandle.standardError.write(Data("tuna: no trial of \(parsed.name) completed; the leaderboard above says why they failed\n".utf8))
            throw ExitCode(1)
        }
        if let search = ParetoReport.multiObjective(record) {
            print("")
            try ParetoReport(store: store, record: record, search: search).print(format: .table)
        }
    }
}

/// Reads a study file, printing its errors (file:line:column) and exiting 2 when it is broken.
func loadStudy(_ path: String) throws -> Study {
    try loadCheckedStudy(path).study
}

/// `loadStudy` with the data's summary; warnings (file:line:column) go to stderr at once,
/// whatever `--quiet` says, since they are about the study rather than the run's progress.
func loadCheckedStudy(_ path: String) throws -> CheckedStudy {
    do {
        let checked = try Study.check(path: path)
        for warning in checked.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
        return checked
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(2)
    }
}

/// Opens (creating) the database for the scheduler that will write it, with the lock that keeps
/// a second scheduler out, or explains why it cannot and exits 1.
func openStore(_ path: String) throws -> (store: SQLiteTrialStore, lock: WriterLock) {
    do {
        let lock = try WriterLock(database: path)
        return (try SQLiteTrialStore(path: path), lock)
    } catch {
        FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// How the `tuna` command reads studies that reach a scheduler: with every check, engine included.
let parseCheckedStudy: @Sendable (String, String, String?) throws -> Study = { text, file, dataPath in
    guard let dataPath else { return try Study.parseChecked(text: text, file: file) }
    let study = try Study.parse(text: text, file: file, dataPath: dataPath)
    try study.checkNetwork()
    return study
}

/// SIGINT and SIGTERM ask the loop to stop cleanly instead of killing the process.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.flag = true } }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool { lock.withLock { flag } }
}

/// A key pair for `tuna run`'s own workers, in a private temporary folder removed at exit.
final class EphemeralWorkerKey {
    let pair: CurveKeyPair
    let folder: String

    init() throws {
        pair = try CurveKeyPair.generate()
        folder = NSTemporaryDirectory() + "tuna-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try CurveKey.write(pair, to: folder + "/local")
    }

    /// The worker flags, with the daemon's public key written beside the pair.
    func arguments(serverKey: String) throws -> [String] {
        let serverFile = folder + "/daemon.pub"
        try "public-key = \"\(serverKey)\"\n".write(toFile: serverFile, atomically: true, encoding: .utf8)
        return ["--key", folder + "/local.key", "--server-key", serverFile]
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }
}

/// Worker processes started from this executable (`tuna worker --connect ...`).
final class LocalWorkers {
    private var processes: [Process] = []

    init(count: Int, endpoint: String, heartbeat: Double, extraArguments: [String] = []) throws {
        let executable = try OwnExecutable.url()
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["worker", "--connect", endpoint, "--name", "local-\(index + 1)", "--give-up-after", "10"] + extraArguments
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_NUM_THREADS"] = "1"
            process.environment = environment
            try process.run()
            processes.append(process)
        }
    }

    func wait() {
        let deadline = Date().addingTimeInterval(5)
        for process in processes {
            while process.isRunning && Date() < deadline { usleep(10_000) }
        }
        terminate()
    }

    func terminate() {
        for process in processes where process.isRunning { process.terminate() }
    }
}

/// The live line: done/total, running, best so far, elapsed, ETA. Redrawn in place on a
/// terminal; one line per trial otherwise.
final class ProgressLine: @unchecked Sendable {
    let enabled: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    private var lastDraw = Date.distantPast
    private var lastDone = -1

    /// Redraws at most twice a second on a terminal (and at least once a second while anything
    /// runs); as plain lines, once per second when trials finished. The ETA is this run's rate
    /// (trials finished since it started), so a resumed study is not credited with old trials.
    func tick(study: ActiveStudy, running: Int, workers: Int, elapsed: Double, doneAtStart: Int, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        let done = study.finishedCount
        let since = now.timeIntervalSince(lastDraw)
        let due = terminal ? since >= (done != lastDone ? 0.5 : 1) : (done != lastDone && since >= 1)
        guard force || due else { return }
        lastDraw = now
        lastDone = done
        let total = study.budget
        let thisRun = done - doneAtStart
        let eta = thisRun > 0 ? elapsed / Double(thisRun) * Double(max(total - done, 0)) : .nan
        let best = study.bestValue.map { String(format: "%.6g", $0) } ?? "-"
        let line = String(
            format: "[%@] %d/%d trials, %d running, %d workers, best %@ %@, %@ elapsed, ETA %@",
            study.study.name, done, total, running, workers, study.study.search.metric, best,
            Self.duration(elapsed), eta.isFinite ? Self.duration(eta) : "-")
        write(line)
    }

    func log(_ message: String) {
        guard enabled else { return }
        lock.withLock {
            if drawn && terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            drawn = false
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
    }

    private func write(_ line: String) {
        lock.withLock {
            if terminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                drawn = true
            } else {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }

    func finish() {
        lock.withLock {
            if drawn && terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            drawn = false
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : (s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s")
    }
}

/// Retrains the best trial and stores its test score; a failure is said, not fatal (the
/// search's results stand on their own).
func scoreOnTestRows(store: SQLiteTrialStore, study: String, log: (String) -> Void) {
    do {
        let (bundle, _) = try TrialExport.retrain(store: store, study: study)
        guard let score = bundle.info.test, let record = try store.study(named: study),
              let trial = try store.trial(study: record.id, number: bundle.info.trial) else { return }
        try store.putArtifact(trial: trial.id, kind: testScoreArtifact, data: try JSONEncoder().encode(score))
    } catch {
        log("the test score could not be computed: \(error)")
    }
}
