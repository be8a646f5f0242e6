import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tuna daemon --metrics`: Prometheus's text format over HTTP, checked line by line against
/// the exposition rules, with the figures of a study that ran.
@Suite struct MetricsTests {
    /// Problems with `text` as Prometheus text format 0.0.4 (empty when it is well-formed).
    static func formatProblems(_ text: String) -> [String] {
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let labels = #"\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\}"#
        let number = #"(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|\+Inf|-Inf|NaN)"#
        let sample = try? NSRegularExpression(pattern: "^(\(name))(?:\(labels))? \(number)$")
        let type = try? NSRegularExpression(pattern: "^# TYPE (\(name)) (counter|gauge|histogram|summary|untyped)$")
        var typed: Set<String> = []
        var problems: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            let range = NSRange(line.startIndex..., in: line)
            if line.hasPrefix("# HELP ") { continue }
            if let match = type?.firstMatch(in: line, range: range), let family = Range(match.range(at: 1), in: line) {
                typed.insert(String(line[family]))
                continue
            }
            guard let match = sample?.firstMatch(in: line, range: range), let metric = Range(match.range(at: 1), in: line) else {
                problems.append("not a sample: \(line)")
                continue
            }
            let family = String(line[metric]).replacingOccurrences(of: #"_(bucket|sum|count)$"#, with: "", options: .regularExpression)
            if !typed.contains(String(line[metric])) && !typed.contains(family) { problems.append("no TYPE before: \(line)") }
        }
        return problems
    }

    @Test func theDaemonServesPrometheusMetricsForAStudy() throws {
        let workspace = try Workspace()
        let study = try workspace.write("sphere.yaml", """
            name: metered
            objective: {function: sphere2}
            search: {algorithm: random, trials: 20, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """)
        let endpoint = try DaemonTests.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--metrics", "127.0.0.1:0"], in: workspace.url)
        defer {
            kill(daemon.process.processIdentifier, SIGTERM)
            daemon.wait(timeout: 10)
        }
        let line = try #require(daemon.waitForError(containing: "metrics at http://"), "\(daemon.errors)")
        let url = try #require(line.range(of: #"http://[^ ]+/metrics"#, options: .regularExpression).flatMap { URL(string: String(line[$0])) })
        #expect(try TunaProcess.run(["submit", study, "--to", endpoint], in: workspace.url).0 == 0)
        let worker = try TunaProcess(["worker", "--connect", endpoint, "--give-up-after", "20"], in: workspace.url)
        defer {
            kill(worker.process.processIdentifier, SIGTERM)
            worker.wait(timeout: 10)
        }
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        #expect(waiter.waitForTrials(study: "metered", count: 20) { $0.state == .complete }.count == 20)
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if text.contains(#"tuna_trials_finished_total{study="metered",state="complete"} 20"#) && text.contains("tuna_workers 1") { break }
            usleep(200_000)
        }
        #expect(text.contains(#"tuna_trials_finished_total{study="metered",state="complete"} 20"#), "\(text)")
        #expect(text.contains(#"tuna_trial_duration_seconds_count{study="metered"} 20"#) && text.contains("tuna_workers 1"), "\(text)")
        #expect(Self.formatProblems(text).isEmpty, "\(Self.formatProblems(text))")
        #expect(!Self.formatProblems("bad line here\n").isEmpty, "the checker itself can fail")
    }
}
