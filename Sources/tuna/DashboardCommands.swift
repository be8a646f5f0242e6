import ArgumentParser
import Dispatch
import Foundation
import TunaDashboard
import TunaExport
import TunaPlots
import TunaScheduler
import TunaStore

/// `tuna dashboard`: the studies of a database in the browser, updated while they run.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the studies of a database as web pages (history, importance, curves, trials), updated while they run.")

    @Option(help: "The database (opened read-only; a running daemon may write it meanwhile).") var db = "tuna.sqlite"
    @Option(help: "The port (0: any free port, printed on stderr).") var port = 8080
    @Option(help: "The address to listen on. Loopback unless given: anything else shows your studies to the network.")
    var host = "127.0.0.1"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
    }

    func run() throws {
        let store = try openReader(db)
        let dashboard = Dashboard(store: store, options: DashboardOptions(host: host, port: port))
        let (host, db) = (host, db)
        try runUntilStopped { try await dashboard.run(gracefulShutdown: true) { bound in
            FileHandle.standardError.write(Data("tuna: dashboard of \(db) at http://\(host):\(bound)/\n".utf8))
        } }
    }
}

/// Runs an async server on a task while this (synchronous) command's thread waits for it.
func runUntilStopped(_ body: @escaping @Sendable () async throws -> Void) throws {
    let failure = ErrorBox()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { failure.set(error) }
        done.signal()
    }
    done.wait()
    if let error = failure.error {
        FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
}

/// Serves the dashboard beside the daemon's loop, with the daemon's live workers.
func serveDashboard(_ address: String, db: String, scheduler: Scheduler, log: @escaping @Sendable (String) -> Void) throws {
    // A bare port means loopback: the dashboard shows every study to whoever reaches it.
    let colon = address.lastIndex(of: ":")
    let portText = colon.map { address[address.index(after: $0)...] } ?? address[...]
    guard let port = Int(portText), (0...65535).contains(port) else {
        throw ValidationError("--dashboard takes PORT or HOST:PORT, such as 8080 or 127.0.0.1:8080, got '\(address)'")
    }
    let named = colon.map { String(address[..<$0]) } ?? ""
    let host = named.isEmpty ? "127.0.0.1" : named
    // A reader of its own: the scheduler's connection belongs to the scheduler's thread.
    let reader = try SQLiteTrialStore(readOnlyPath: db)
    let metrics = scheduler.metrics
    let dashboard = Dashboard(store: reader, options: DashboardOptions(host: host, port: port), liveWorkers: {
        metrics.workerList().map { DashboardWorker(name: $0.name, study: $0.study, trial: $0.trial, silentFor: $0.silentFor) }
    }, log: log)
    Task {
        do {
            try await dashboard.run(gracefulShutdown: false) { bound in log("dashboard at http://\(host):\(bound)/") }
        } catch {
            log("the dashboard stopped: \(error)")
        }
    }
}

/// `tuna report STUDY --out report.html`: the dashboard's plots in one self-contained file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML file with a study's plots, its leaderboard and, given a model, its confusion matrix and ROC curve.")

    @Argument(help: "The study's name.") var study: String
    @Option(help: "The database.") var db = "tuna.sqlite"
    @Option(help: "The HTML file to write.") var out: String
    @Option(help: "A model written by `tuna export`: its confusion matrix and ROC curve on the study's held-out test rows (or --data).")
    var model: String?
    @Option(help: "Labelled CSV rows to score the model on, instead of the study's test rows.") var data: String?
    @Option(help: "Rows of the leaderboard.") var top = 20

    func validate() throws {
        guard (1...10_000).contains(top) else { throw ValidationError("--top must be 1-10000") }
        if data != nil && model == nil { throw ValidationError("--data needs --model: it is the rows the model is scored on") }
    }

    func run() throws {
        let store = try openReader(db)
        let record = try requireStudy(store, study)
        try reportingFailure {
            let snapshot = try StudySnapshot.load(store: store, study: record)
            var quality: ModelQuality?
            if let model {
                let bundle = try ModelBundle.load(path: model)
                guard bundle.info.study == study else {
                    throw ExportError("the model \(model) was exported from study '\(bundle.info.study)', not '\(study)'")
                }
                let scored: (classNames: [String], truth: [Int], probabilities: [[Double]])
                let title: String
                if let data {
                    let (table, notes) = try bundle.readRows(path: data)
                    for line in notes { FileHandle.standardError.write(Data("tuna: \(line)\n".utf8)) }
                    scored = try bundle.classified(table)
                    title = "trial #\(bundle.info.trial) on \((data as NSString).lastPathComponent), \(scored.truth.count) rows"
                } else {
                    guard let rows = try TrialExport.testRows(store: store, study: study) else {
                        throw ExportError("study '\(study)' holds out no test rows; pass --data with labelled rows to score the model on")
                    }
                    scored = try bundle.classified(rows)
                    title = "trial #\(bundle.info.trial) on the study's \(scored.truth.count) held-out test rows"
                }
                quality = ModelQuality(title: title, classNames: scored.classNames, truth: scored.truth, probabilities: scored.probabilities)
            }
            let html = ReportPage.html(snapshot, leaderboardSize: top, model: quality)
            do {
                try html.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw ExportError("cannot write \(out): \(error.localizedDescription)")
            }
            print("wrote \(out): \(snapshot.trials.count) trials, \(StudyPlots.kinds.count + (snapshot.study.objectives == nil ? 0 : 1) + (quality == nil ? 0 : 2)) plots")
        }
    }
}
