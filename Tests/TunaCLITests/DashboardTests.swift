import Foundation
import Testing
import TunaStore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A study written into a real SQLite file through the store, as a scheduler would: trials
/// with 2 folds × 3 epochs of reports, trial 1 pruned, trial 2 failed, the rest complete.
/// The study stays `running`, so `add` can go on writing while a dashboard reads.
final class DashboardStudy {
    let store: SQLiteTrialStore
    let study: StudyRecord
    private(set) var count = 0

    init(db: String, name: String = "demo", trials: Int) throws {
        store = try SQLiteTrialStore(path: db)
        study = try store.createStudy(NewStudy(name: name, studyFile: "name: \(name)", studyHash: "h-\(name)", direction: .maximize, metric: "accuracy"))
        for _ in 0..<trials { try add() }
    }

    /// One more finished trial (the next number).
    func add() throws {
        let n = count
        let trial = try store.createTrial(study: study.id, params: [
            "lr": .number(0.0001 * pow(10, Double(n % 4))), "optimizer": .string(n % 2 == 0 ? "adam" : "sgd"), "units": .number(Double(8 + 3 * n)),
        ])
        try store.markRunning(trial: trial.id, worker: "worker-\(n % 2)")
        let steps = n == 1 ? 2 : 6
        for step in 0..<steps {
            try store.recordIntermediate(trial: trial.id, step: step, value: 0.5 + 0.08 * Double(step % 3) + 0.004 * Double(n % 5))
        }
        switch n {
        case 1: try store.prune(trial.id, value: 0.58)
        case 2: try store.fail(trial.id, error: "the loss became NaN at epoch 2")
        default:
            try store.finishTrial(trial.id, .complete(value: 0.7 + 0.01 * Double((n * 7) % 11), std: 0.02),
                                  folds: [FoldValue(fold: 0, value: 0.7), FoldValue(fold: 1, value: 0.7)])
        }
        count += 1
    }

    /// Trials with a value among COMPLETE ones: the marks of parallel, slices and contour.
    var completeCount: Int { count - min(count, 2) }
}

/// A `tuna dashboard` process on a free loopback port.
struct DashboardServer {
    let process: TunaProcess
    let base: URL

    init(db: String, in workspace: Workspace) throws {
        process = try TunaProcess(["dashboard", "--db", db, "--port", "0"], in: workspace.url)
        let line = try #require(process.waitForError(containing: "dashboard of", timeout: 30), "no listening line: \(process.errors)")
        #expect(line.contains("http://127.0.0.1:"), "loopback by default: \(line)")
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(line)")
        base = try #require(URL(string: "http://127.0.0.1:\(port)"))
    }

    func stop() -> Int32 {
        kill(process.process.processIdentifier, SIGTERM)
        return process.wait(timeout: 30)
    }

    /// (status, body as JSON, raw text).
    func get(_ pathAndQuery: String) async throws -> (Int, Any?, String) {
        let url = try #require(URL(string: base.absoluteString + pathAndQuery))
        let (data, response) = try await URLSession.shared.data(for: URLRequest(url: url, timeoutInterval: 30))
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, try? JSONSerialization.jsonObject(with: data), String(decoding: data, as: UTF8.self))
    }

    func object(_ pathAndQuery: String, status expected: Int = 200) async throws -> [String: Any] {
        let (status, json, text) = try await get(pathAndQuery)
        #expect(status == expected, "\(pathAndQuery): \(status) \(text.prefix(300))")
        return try #require(json as? [String: Any], "\(pathAndQuery): \(text.prefix(300))")
    }
}

/// `tuna dashboard`'s JSON endpoints over real HTTP on a real SQLite file that is written
/// while the server runs, its refusals, and `tuna report`.
@Suite(.serialized) struct DashboardTests {
    @Test func endpointsAnswerFromTheStoreWhileItIsWritten() async throws {
        let workspace = try Workspace()
        let study = try DashboardStudy(db: workspace.db, trials: 12)
        let server = try DashboardServer(db: workspace.db, in: workspace)
        defer { #expect(server.stop() == 0, "\(server.process.errors)") }

        let (status, list, listText) = try await server.get("/api/studies")
        #expect(status == 200)
        let studies = try #require(list as? [[String: Any]], "\(listText)")
        let first = try #require(studies.first)
        #expect(studies.count == 1)
        #expect(first["name"] as? String == "demo")
        #expect(first["trials"] as? Int == 12)

        let summary = try await server.object("/api/studies/demo")
        let counts = try #require(summary["counts"] as? [String: Int])
        #expect(counts == ["COMPLETE": 10, "PRUNED": 1, "FAIL": 1, "RUNNING": 0, "WAITING": 0])
        #expect(abs((summary["best"] as? Double ?? 0) - 0.8) < 1e-9 && summary["bestTrial"] as? Int == 3, "\(summary)")

        // Sorted by value, best first; missing values (the failed trial) last.
        let page = try await server.object("/api/studies/demo/trials?sort=value&order=desc&limit=5")
        let rows = try #require(page["trials"] as? [[String: Any]])
        let values = rows.compactMap { $0["value"] as? Double }
        #expect(page["total"] as? Int == 12 && rows.count == 5 && values == values.sorted(by: >), "\(values)")
        let last = try await server.object("/api/studies/demo/trials?sort=value&order=asc&offset=11&limit=5")
        #expect((last["trials"] as? [[String: Any]])?.first?["state"] as? String == "FAIL", "\(last)")
        let pruned = try await server.object("/api/studies/demo/trials?state=pruned,FAIL")
        #expect(pruned["total"] as? Int == 2)
        let workers = try await server.object("/api/studies/demo/workers")
        let workerRows = try #require(workers["workers"] as? [[String: Any]])
        #expect(workerRows.compactMap { $0["name"] as? String } == ["worker-0", "worker-1"] && workers["live"] as? Bool == false)

        let plots = try await server.object("/api/studies/demo/plots")
        let drawn = try #require(plots["plots"] as? [[String: Any]])
        let marks = Dictionary(uniqueKeysWithValues: drawn.map { ($0["kind"] as? String ?? "", $0["marks"] as? Int ?? -1) })
        #expect(marks == ["history": 12, "importance": 0, "parallel": 10, "slices": 10, "contour": 10, "curves": 11], "\(marks)")

        // A trial written while the server runs: a new version, the new count, no restart.
        let before = summary["version"] as? String
        try study.add()
        let after = try await server.object("/api/studies/demo")
        #expect(after["version"] as? String != before && after["trials"] as? Int == 13)
        let replotted = try await server.object("/api/studies/demo/plots")
        let history = (replotted["plots"] as? [[String: Any]])?.first { $0["kind"] as? String == "history" }
        #expect(history?["marks"] as? Int == 13)

        // A running trial's reports move `progress` (not `version`) and its curve is drawn.
        let running = try study.store.createTrial(study: study.study.id, params: ["lr": .number(0.01), "optimizer": .string("adam"), "units": .number(9)])
        try study.store.markRunning(trial: running.id, worker: "worker-0")
        try study.store.recordIntermediate(trial: running.id, step: 0, value: 0.6)
        let early = try await server.object("/api/studies/demo")
        try study.store.recordIntermediate(trial: running.id, step: 1, value: 0.65)
        let later = try await server.object("/api/studies/demo")
        #expect(early["progress"] as? Int == 1 && later["progress"] as? Int == 2, "\(early) \(later)")
        #expect(early["version"] as? String == later["version"] as? String)
        let live = try await server.object("/api/studies/demo/plots")
        let curves = (live["plots"] as? [[String: Any]])?.first { $0["kind"] as? String == "curves" }
        #expect(curves?["marks"] as? Int == 13 && (curves?["svg"] as? String)?.contains("class=\"mark running\"") == true)

        // Every asset comes from this server.
        for path in ["/", "/study/demo", "/assets/dashboard.js", "/assets/dashboard.css"] {
            let (code, _, text) = try await server.get(path)
            #expect(code == 200 && !text.contains("https://") && !text.contains("http://"), "\(path)")
        }
    }

    @Test func badRequestsGetClearErrors() async throws {
        let workspace = try Workspace()
        _ = try DashboardStudy(db: workspace.db, trials: 3)
        let server = try DashboardServer(db: workspace.db, in: workspace)
        defer { #expect(server.stop() == 0, "\(server.process.errors)") }
        let cases: [(String, Int, String)] = [
            ("/api/studies/nope", 404, "no study 'nope'"),
            ("/api/studies/nope/plots", 404, "no study 'nope'"),
            ("/api/studies/demo/trials?limit=0", 400, "limit must be an integer from 1 to 500"),
            ("/api/studies/demo/trials?limit=abc", 400, "limit must be an integer"),
            ("/api/studies/demo/trials?offset=-1", 400, "offset must be an integer"),
            ("/api/studies/demo/trials?limit=99999999999999999999999", 400, "limit must be an integer"),
            ("/api/studies/demo/trials?sort=secret", 400, "cannot sort by 'secret'"),
            ("/api/studies/demo/trials?order=up", 400, "order is asc or desc"),
            ("/api/studies/demo/trials?state=DONE", 400, "unknown state 'DONE'"),
            ("/api/studies/demo/trials?path=/etc/passwd", 400, "unknown query parameter 'path'"),
            ("/api/studies/my%20study/trials", 404, "no study 'my study'"),
            ("/api/studies/\(String(repeating: "x", count: 201))", 400, "at most 200 characters"),
            ("/api/nothing", 404, "no such endpoint"),
        ]
        for (path, code, message) in cases {
            let (status, json, text) = try await server.get(path)
            #expect(status == code, "\(path): \(status) \(text)")
            let error = (json as? [String: Any])?["error"] as? String ?? ""
            #expect(error.contains(message), "\(path): \(text)")
            #expect(!text.contains(workspace.url.path), "\(path) names a host path: \(text)")
        }
    }

    @Test func reportIsOneSelfContainedFile() throws {
        let workspace = try Workspace()
        _ = try DashboardStudy(db: workspace.db, trials: 12)
        let out = workspace.url.appendingPathComponent("report.html").path
        let (status, output, errors) = try TunaProcess.run(["report", "demo", "--db", workspace.db, "--out", out], in: workspace.url)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("wrote \(out)"))
        let html = try String(contentsOfFile: out, encoding: .utf8)
        for kind in ["history", "importance", "parallel", "slices", "contour", "curves"] {
            #expect(html.contains("data-plot=\"\(kind)\""), "\(kind)")
        }
        #expect(html.contains("id=\"leaderboard\""))
        // Nothing fetched: no scripts, no links, no addresses but SVG's namespace name.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        #expect(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http") == false)

        let (missing, _, why) = try TunaProcess.run(["report", "nope", "--db", workspace.db, "--out", out], in: workspace.url)
        #expect(missing == 1 && why.contains("no study 'nope'"), "\(why)")
        let (noModel, _, whyData) = try TunaProcess.run(["report", "demo", "--db", workspace.db, "--out", out, "--data", "x.csv"], in: workspace.url)
        #expect(noModel != 0 && whyData.contains("--data needs --model"), "\(whyData)")
        let (noDB, _, whyDB) = try TunaProcess.run(["dashboard", "--db", workspace.url.appendingPathComponent("none.sqlite").path, "--port", "0"], in: workspace.url)
        #expect(noDB == 1 && whyDB.contains("no database"), "\(whyDB)")
    }
}

/// `tuna daemon --dashboard`: the same pages beside the daemon's loop, with its live workers.
@Suite struct DaemonDashboardTests {
    /// Synchronous on purpose: an awaiting test resumes only when the cooperative pool (two
    /// threads here) has a thread free, and the other suites' blocking tests held it for tens
    /// of seconds per request.
    @Test func theDaemonServesTheDashboardWithLiveWorkers() throws {
        let workspace = try Workspace()
        let study = try workspace.write("sphere.yaml", """
            name: watched
            objective: {function: sphere2}
            search: {algorithm: random, trials: 12, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """)
        let endpoint = try DaemonTests.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--dashboard", "0"], in: workspace.url)
        defer {
            kill(daemon.process.processIdentifier, SIGTERM)
            daemon.wait(timeout: 10)
        }
        let line = try #require(daemon.waitForError(containing: "dashboard at http://"), "\(daemon.errors)")
        let base = try #require(line.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(line[$0]) })
        #expect(try TunaProcess.run(["submit", study, "--to", endpoint], in: workspace.url).0 == 0)
        let worker = try TunaProcess(["worker", "--connect", endpoint, "--give-up-after", "20"], in: workspace.url)
        defer {
            kill(worker.process.processIdentifier, SIGTERM)
            worker.wait(timeout: 10)
        }
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        #expect(waiter.waitForTrials(study: "watched", count: 12) { $0.state == .complete }.count == 12)
        // The loop refreshes its list every half second: poll until the worker shows as live.
        // Under a busy test run one request can take seconds; the bound only ends a failing wait.
        var rows: [[String: Any]] = []
        var polls = 0
        let started = Date()
        let deadline = started.addingTimeInterval(60)
        while Date() < deadline {
            polls += 1
            let url = try #require(URL(string: base + "/api/studies/watched/workers"))
            let data = try Data(contentsOf: url)
            let body = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(body?["live"] as? Bool == true)
            rows = body?["workers"] as? [[String: Any]] ?? []
            if rows.contains(where: { $0["live"] as? Bool == true && $0["trials"] as? Int == 12 }) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        print("DaemonDashboardTests: live after \(polls) polls in \(Date().timeIntervalSince(started)) s")
        let status = try TunaProcess.run(["status", "--to", endpoint], in: workspace.url)
        #expect(rows.count == 1 && rows.first?["live"] as? Bool == true && rows.first?["trials"] as? Int == 12,
                "\(rows) after \(polls) polls in \(Date().timeIntervalSince(started)) s\ndaemon: \(daemon.errors)\nworker: \(worker.errors)\nstatus: \(status)")
        let plotsURL = try #require(URL(string: base + "/api/studies/watched/plots"))
        let plots = try Data(contentsOf: plotsURL)
        let history = ((try JSONSerialization.jsonObject(with: plots) as? [String: Any])?["plots"] as? [[String: Any]])?.first
        #expect(history?["kind"] as? String == "history" && history?["marks"] as? Int == 12)
    }
}

/// `tuna report --model`: an exported classifier's confusion matrix and ROC curves, on the
/// study's held-out test rows or on given rows.
@Suite struct ReportModelTests {
    @Test func theReportScoresTheExportedModel() throws {
        let workspace = try Workspace()
        let text = NetworkStudyTests.irisStudy(name: "reported", trials: 2)
            .replacingOccurrences(of: "target: target}", with: "target: target, test: 0.2}")
        let study = try workspace.write("iris.yaml", text)
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "2"], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let model = workspace.url.appendingPathComponent("iris.model").path
        let (exported, _, exportErrors) = try TunaProcess.run(["export", "reported", "--db", workspace.db, "--out", model], in: workspace.url, timeout: 120)
        try #require(exported == 0, "\(exportErrors)")

        let out = workspace.url.appendingPathComponent("report.html").path
        for extra in [[], ["--data", NetworkStudyTests.irisPath]] {
            let (code, said, why) = try TunaProcess.run(["report", "reported", "--db", workspace.db, "--out", out, "--model", model] + extra, in: workspace.url, timeout: 60)
            #expect(code == 0, "\(why)")
            #expect(said.contains("8 plots"), "\(said)")
            let html = try String(contentsOfFile: out, encoding: .utf8)
            #expect(html.contains("data-plot=\"confusion\" data-marks=\"9\"") && html.contains("data-plot=\"roc\" data-marks=\"3\""))
            // The cells' counts add up to the rows scored: 30 held out, or all 150.
            let confusion = try #require(html.components(separatedBy: "data-plot=\"confusion\"").last?.components(separatedBy: "</svg>").first)
            let counts = try NSRegularExpression(pattern: #"<text[^>]*>([0-9]+)</text>"#)
                .matches(in: confusion, range: NSRange(confusion.startIndex..., in: confusion))
                .compactMap { Range($0.range(at: 1), in: confusion).flatMap { Int(confusion[$0]) } }
            #expect(counts.reduce(0, +) == (extra.isEmpty ? 30 : 150), "\(counts)")
            #expect(html.contains("AUC 0."), "each ROC curve names its area")
        }
    }
}
