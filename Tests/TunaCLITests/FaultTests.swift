import Foundation
import Testing
import TunaStore

/// What a trial's program may do wrong, and what becomes of the processes it starts: every
/// trial ends (COMPLETE or FAIL with the reason), none runs twice, the database checks out,
/// and nothing a program started outlives its trial or its worker.
@Suite(.serialized) struct FaultTests {
    /// Whether a process still exists (and is not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }

    static func pids(in file: String) -> [Int32] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).compactMap { Int32($0) }
    }

    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    @Test func misbehavingObjectivesFailWithTheirReasonAndTheRunEnds() throws {
        let workspace = try Workspace()
        let script = try workspace.write("objective.sh", """
            case "$1" in
              ok) echo "loss=0.5" ;;
              nan) echo "loss=nan" ;;
              nothing) ;;
              garbage) printf '\\033[2J\\001binary junk\\n' ;;
              hang) sleep 300 & echo $! >> "$2"; sleep 300 ;;
              crash) echo "boom" >&2; exit 7 ;;
            esac
            """)
        let study = try workspace.write("faults.yaml", """
            name: faults
            objective: {command: [sh, \(script), "{mode}", \(workspace.url.appendingPathComponent("pids.txt").path)], timeout: 2}
            search:
              algorithm: grid
              trials: 6
              parameters: {mode: {choice: [ok, nan, nothing, garbage, hang, crash]}}
            """)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url, timeout: 60)
        #expect(status == 0, "one trial completed: \(errors)")
        #expect(output.contains("5 fail"), "\(output)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "faults"))
        let trials = try store.trials(study: record.id, states: nil)
        #expect(trials.count == 6 && Set(trials.map(\.number)).count == 6)
        #expect(trials.allSatisfy { $0.attempts == 1 }, "deterministic failures are not retried")
        func reason(_ mode: String) -> String {
            trials.first { $0.params["mode"] == .string(mode) }.map { "\($0.state.rawValue): \($0.error ?? "")" } ?? "missing"
        }
        #expect(reason("ok") == "COMPLETE: ")
        #expect(reason("nan").contains("not a finite number"), "\(reason("nan"))")
        #expect(reason("nothing").contains("printed nothing"), "\(reason("nothing"))")
        #expect(reason("garbage").contains("holds no name=value"), "\(reason("garbage"))")
        #expect(reason("hang").contains("did not finish within 2"), "\(reason("hang"))")
        #expect(reason("crash").contains("exited with status 7: boom"), "\(reason("crash"))")
        // The hung program's background child went with it.
        let leftovers = Self.pids(in: workspace.url.appendingPathComponent("pids.txt").path)
        #expect(!leftovers.isEmpty && Self.waitUntil(5) { leftovers.allSatisfy { !Self.isAlive($0) } }, "orphans: \(leftovers)")
        let (checkStatus, check, _) = try TunaProcess.run(["best", "faults", "--db", workspace.db], in: workspace.url)
        #expect(checkStatus == 0 && check.contains("0.5"), "\(check)")

        // The other views of the same database: failed trials with their reasons, every trial,
        // the studies as JSON, and the study deleted.
        let (_, failedJSON, _) = try TunaProcess.run(["trials", "faults", "--db", workspace.db, "--state", "failed", "--format", "json"], in: workspace.url)
        let failedRows = try #require(try JSONSerialization.jsonObject(with: Data(failedJSON.utf8)) as? [[String: Any]])
        #expect(failedRows.count == 5 && failedRows.allSatisfy { ($0["error"] as? String)?.isEmpty == false }, "\(failedJSON)")
        let (_, all, _) = try TunaProcess.run(["trials", "faults", "--db", workspace.db, "--state", "all"], in: workspace.url)
        #expect(all.split(separator: "\n").count == 7, "a header and six trials: \(all)")
        let (_, studiesJSON, _) = try TunaProcess.run(["studies", "--db", workspace.db, "--format", "json"], in: workspace.url)
        let studies = try #require(try JSONSerialization.jsonObject(with: Data(studiesJSON.utf8)) as? [[String: Any]])
        #expect(studies.first?["name"] as? String == "faults" && (studies.first?["trials"] as? [String: Int])?["fail"] == 5, "\(studiesJSON)")
        let (deleted, deleteOutput, deleteErrors) = try TunaProcess.run(["delete", "faults", "--db", workspace.db], in: workspace.url)
        #expect(deleted == 0 && deleteOutput.contains("its 6 trials"), "\(deleteOutput) \(deleteErrors)")
        let (_, after, _) = try TunaProcess.run(["studies", "--db", workspace.db], in: workspace.url)
        #expect(after.isEmpty, "\(after)")
    }

    @Test func aKilledWorkersProgramsDieWithIt() throws {
        let workspace = try Workspace()
        let pidFile = workspace.url.appendingPathComponent("pids.txt").path
        let study = try workspace.write("long.yaml", """
            name: long
            objective: {command: [sh, -c, "sleep 300 & echo $! >> \(pidFile); echo $$ >> \(pidFile); sleep 300", "{x}"], timeout: 600}
            search: {algorithm: random, trials: 1, parameters: {x: {float: [0, 1]}}}
            """)
        let scheduler = try TunaProcess(["run", study, "--workers", "0", "--db", workspace.db], in: workspace.url)
        defer {
            kill(scheduler.process.processIdentifier, SIGTERM)
            scheduler.wait(timeout: 10)
        }
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let worker = try TunaProcess(["worker", "--connect", endpoint, "--allow-commands"], in: workspace.url)
        #expect(Self.waitUntil(20) { Self.pids(in: pidFile).count >= 2 }, "the program started")
        let started = Self.pids(in: pidFile)
        #expect(started.allSatisfy(Self.isAlive))
        kill(worker.process.processIdentifier, SIGKILL)
        worker.wait(timeout: 5)
        #expect(Self.waitUntil(5) { started.allSatisfy { !Self.isAlive($0) } }, "left running: \(started.filter(Self.isAlive))")
    }

    /// Exactly `count` finished trials, numbered 0..<count once each, none left running or
    /// waiting, and a sound database file.
    static func expectAccountedFor(_ database: String, study: String, count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let store = try SQLiteTrialStore(readOnlyPath: database)
        let record = try #require(try store.study(named: study), sourceLocation: sourceLocation)
        let trials = try store.trials(study: record.id, states: nil)
        #expect(trials.count == count && Set(trials.map(\.number)) == Set(0..<count), "\(trials.map(\.number))", sourceLocation: sourceLocation)
        #expect(trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })", sourceLocation: sourceLocation)
        #expect(try store.integrityCheck() == ["ok"], sourceLocation: sourceLocation)
    }

    @Test func aDaemonKilledMidStudyIsRestartedAndFinishesIt() throws {
        let workspace = try Workspace()
        let study = try workspace.write("slow.yaml", EndToEndTests.slow("killed-daemon", trials: 12, seconds: 0.3))
        let endpoint = try DaemonTests.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--heartbeat", "0.3"], in: workspace.url)
        #expect(daemon.waitForError(containing: "listening at") != nil, "\(daemon.errors)")
        let (submitted, _, submitErrors) = try TunaProcess.run(["submit", study, "--to", endpoint], in: workspace.url)
        #expect(submitted == 0, "\(submitErrors)")
        let workers = try TunaProcess(["worker", "--connect", endpoint, "--jobs", "2", "--allow-commands", "--give-up-after", "30"], in: workspace.url)
        defer {
            kill(workers.process.processIdentifier, SIGTERM)
            workers.wait(timeout: 10)
        }
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        _ = waiter.waitForTrials(study: "killed-daemon", count: 3) { $0.state == .complete }
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.wait(timeout: 5)
        let restarted = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--heartbeat", "0.3"], in: workspace.url)
        defer {
            kill(restarted.process.processIdentifier, SIGTERM)
            restarted.wait(timeout: 10)
        }
        #expect(restarted.waitForError(containing: "1 unfinished studies resumed") != nil, "\(restarted.errors)")
        #expect(waiter.waitForTrials(study: "killed-daemon", count: 12, timeout: 60) { $0.state == .complete }.count == 12)
        try Self.expectAccountedFor(workspace.db, study: "killed-daemon", count: 12)
    }

    @Test func aWorkerStoppedPastItsLivenessLosesItsTrialAndItsLateResultIsDiscarded() throws {
        let workspace = try Workspace()
        let study = try workspace.write("slow.yaml", EndToEndTests.slow("stopped-worker", trials: 8, seconds: 0.6))
        let scheduler = try TunaProcess(["run", study, "--workers", "0", "--heartbeat", "0.2", "--liveness", "3", "--db", workspace.db], in: workspace.url)
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let frozen = try TunaProcess(["worker", "--connect", endpoint, "--name", "frozen", "--allow-commands"], in: workspace.url)
        let steady = try TunaProcess(["worker", "--connect", endpoint, "--name", "steady", "--allow-commands"], in: workspace.url)
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        let held = try #require(waiter.waitForTrial(study: "stopped-worker") { $0.state == .running && $0.worker == "frozen" })
        kill(frozen.process.processIdentifier, SIGSTOP)
        #expect(scheduler.waitForError(containing: "worker frozen went silent") != nil, "\(scheduler.errors)")
        kill(frozen.process.processIdentifier, SIGCONT)
        #expect(scheduler.wait(timeout: 60) == 0, "\(scheduler.errors)")
        frozen.wait(timeout: 15)
        steady.wait(timeout: 15)
        try Self.expectAccountedFor(workspace.db, study: "stopped-worker", count: 8)
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let retried = try #require(try store.trial(id: held.id))
        #expect(retried.attempts >= 2, "the frozen worker's trial ran again: \(retried)")
    }
}
