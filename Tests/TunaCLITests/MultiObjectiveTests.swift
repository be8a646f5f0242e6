import Foundation
import Testing
import TunaSearch
import TunaStore

/// Multi-objective studies end to end: the real `tuna` executable, real worker processes
/// running a real program, ZeroMQ on 127.0.0.1 and the SQLite file.
@Suite(.serialized) struct MultiObjectiveTests {
    /// ZDT1 in two variables: f1 = x, f2 = g (1 − √(x / g)) with g = 1 + y, both minimised. The
    /// front is y = 0; the program prints both as `name=value` pairs with every digit.
    static let program = """
        sleep "$3"
        awk -v x="$1" -v y="$2" 'BEGIN { g = 1 + y; printf "f1=%.17g f2=%.17g\\n", x, g * (1 - sqrt(x / g)) }'
        """

    static func study(_ name: String, algorithm: String, trials: Int, seconds: Double = 0, metrics: String = "[{name: f1, direction: minimize}, {name: f2, direction: minimize}]") -> String {
        """
        name: \(name)
        objective: {command: [sh, zdt1.sh, "{x}", "{y}", "\(seconds)"], timeout: 30}
        search:
          algorithm: \(algorithm)
          metrics: \(metrics)
          reference_point: [1.1, 2.2]
          trials: \(trials)
          seed: 5
          parameters: {x: {float: [0, 1]}, y: {float: [0, 1]}}
        """
    }

    static func expected(_ trial: TrialRecord) -> [Double]? {
        guard case .number(let x)? = trial.params["x"], case .number(let y)? = trial.params["y"] else { return nil }
        let g = 1 + y
        return [x, g * (1 - (x / g).squareRoot())]
    }

    /// The trials no other complete trial dominates, by brute force.
    static func nonDominated(_ trials: [TrialRecord]) -> Set<Int> {
        let points = trials.compactMap { t in t.values.map { (t.number, $0) } }
        return Set(points.filter { p in
            !points.contains { q in
                zip(q.1, p.1).allSatisfy { $0 <= $1 } && zip(q.1, p.1).contains { $0 < $1 }
            }
        }.map(\.0))
    }

    @Test func aTwoMetricCommandStudyStoresBothValuesAndBestPrintsTheFront() throws {
        let workspace = try Workspace()
        _ = try workspace.write("zdt1.sh", Self.program)
        let study = try workspace.write("zdt1.yaml", Self.study("e2e-zdt1", algorithm: "nsga2\n  population_size: 6", trials: 24))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        #expect(status == 0, "\(errors)")

        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "e2e-zdt1"))
        let trials = try store.trials(study: record.id, states: nil)
        #expect(trials.count == 24 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.state, $0.error) })")
        for trial in trials {
            let values = try #require(trial.values, "trial \(trial.number) has both values")
            let expected = try #require(Self.expected(trial))
            #expect(values.count == 2 && zip(values, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(values) vs \(expected)")
            #expect(trial.value == values[0], "value keeps the first metric")
        }

        let (jsonStatus, json, jsonErrors) = try TunaProcess.run(["best", "e2e-zdt1", "--db", workspace.db, "--format", "json"], in: workspace.url)
        #expect(jsonStatus == 0, "\(jsonErrors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let front = try #require(object["front"] as? [[String: Any]])
        let numbers = Set(front.compactMap { $0["number"] as? Int })
        #expect(!numbers.isEmpty && numbers == Self.nonDominated(trials), "the front is exactly the non-dominated trials")
        let metrics = try #require(object["metrics"] as? [[String: String]])
        #expect(metrics == [["name": "f1", "direction": "minimize"], ["name": "f2", "direction": "minimize"]])
        let onFront = trials.filter { numbers.contains($0.number) }.compactMap { t in t.values.map { MultiObjectiveTrial(number: t.number, state: .complete, params: [:], values: $0) } }
        let hypervolume = ParetoFront.hypervolume(onFront, directions: [.minimize, .minimize], reference: [1.1, 2.2])
        #expect(abs((object["hypervolume"] as? Double ?? -1) - hypervolume) < 1e-12)

        // `tuna trials` ranks by the first metric and shows both.
        let (trialsStatus, listing, _) = try TunaProcess.run(["trials", "e2e-zdt1", "--db", workspace.db, "--top", "3"], in: workspace.url)
        #expect(trialsStatus == 0)
        #expect(listing.hasPrefix("study e2e-zdt1: minimize f1, minimize f2 (ranked by f1); "), "\(listing)")
        #expect(listing.split(separator: "\n").dropFirst().first?.split(separator: " ").prefix(4) == ["rank", "trial", "f1", "f2"], "\(listing)")
        let (csvStatus, csv, _) = try TunaProcess.run(["trials", "e2e-zdt1", "--db", workspace.db, "--format", "csv", "--top", "100"], in: workspace.url)
        #expect(csvStatus == 0 && csv.hasPrefix("number,state,f1,f2,std,seconds,x,y\n"), "\(csv)")
        #expect(csv.split(separator: "\n").count == 25)

        let (tableStatus, table, _) = try TunaProcess.run(["best", "e2e-zdt1", "--db", workspace.db], in: workspace.url)
        #expect(tableStatus == 0)
        #expect(table.hasPrefix("Pareto front of e2e-zdt1: \(numbers.count) of 24 complete trials (minimize f1, minimize f2)"), "\(table)")
        #expect(table.contains("hypervolume "), "\(table)")
        let printed = Set(table.split(separator: "\n").filter { $0.hasPrefix("#") }.compactMap { Int($0.dropFirst().prefix { $0.isNumber }) })
        #expect(printed == numbers, "only non-dominated trials are printed: \(table)")

        // The report draws the trade-off, the front's trials in red.
        let (reportStatus, _, reportErrors) = try TunaProcess.run(["report", "e2e-zdt1", "--db", workspace.db, "--out", "report.html"], in: workspace.url)
        #expect(reportStatus == 0, "\(reportErrors)")
        let page = try String(contentsOf: workspace.url.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(page.contains("Pareto front (f1 × f2)"))
        #expect(page.components(separatedBy: "class=\"mark front\"").count - 1 == numbers.count)
    }

    @Test func aStoppedStudyResumesWithItsValues() throws {
        let workspace = try Workspace()
        _ = try workspace.write("zdt1.sh", Self.program)
        let study = try workspace.write("zdt1.yaml", Self.study("e2e-mo-resume", algorithm: "motpe", trials: 10, seconds: 0.4))
        let first = try TunaProcess(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        _ = waiter.waitForTrials(study: "e2e-mo-resume", count: 3) { $0.state == .complete }
        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.wait() == 130, "\(first.errors)")
        let reader = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try reader.study(named: "e2e-mo-resume"))
        let before = try reader.trials(study: record.id, states: [.complete])
        #expect(before.count >= 3 && before.count < 10 && before.allSatisfy { $0.values?.count == 2 })

        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        #expect(status == 0, "\(errors)")
        let after = try reader.trials(study: record.id, states: [.complete])
        #expect(after.count == 10 && after.allSatisfy { $0.values?.count == 2 }, "\(after.map(\.values))")
        for trial in before {
            #expect(after.first { $0.id == trial.id }?.values == trial.values, "trial \(trial.number) kept its values")
        }
    }

    @Test func aProgramThatPrintsSomeMetricsButNotAllFailsItsTrials() throws {
        let workspace = try Workspace()
        _ = try workspace.write("zdt1.sh", Self.program)
        let study = try workspace.write("zdt1.yaml", Self.study("e2e-mo-missing", algorithm: "random", trials: 2, metrics: "[f1, f2, f3]")
            .replacingOccurrences(of: "reference_point: [1.1, 2.2]", with: "reference_point: [1, 2, 3]"))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "1", "--db", workspace.db], in: workspace.url)
        #expect(status == 1, "no trial completed: \(errors)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "e2e-mo-missing"))
        for trial in try store.trials(study: record.id, states: nil) {
            #expect(trial.state == .fail)
            #expect(trial.error?.contains("missing 'f3' in the last output line of sh (the study's metrics: f1, f2, f3; found: f1, f2)") == true, "\(trial.error ?? "")")
        }
        let (bestStatus, _, bestErrors) = try TunaProcess.run(["best", "e2e-mo-missing", "--db", workspace.db], in: workspace.url)
        #expect(bestStatus == 1 && bestErrors.contains("has no completed trial with every metric yet"), "\(bestErrors)")
    }
}
