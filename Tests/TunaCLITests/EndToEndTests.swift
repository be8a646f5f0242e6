import Foundation
import Testing
import TunaSearch
import TunaStore
import TunaWire

/// The daemon end to end: the real `tuna` executable, real worker processes, real ZeroMQ
/// sockets on 127.0.0.1 and a real SQLite file.
@Suite(.serialized) struct EndToEndTests {
    static let branin = """
        name: e2e-branin
        objective: {function: branin}
        search:
          algorithm: random
          trials: 24
          seed: 3
          parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}
        """

    /// A command objective that takes `seconds` per trial, so tests can act mid-trial.
    static func slow(_ name: String, trials: Int, seconds: Double) -> String {
        """
        name: \(name)
        objective: {command: [sh, -c, "sleep \(seconds); echo loss=$0", "{x}"], timeout: 30}
        search:
          algorithm: random
          trials: \(trials)
          parameters: {x: {float: [0, 1]}}
        """
    }

    func store(_ workspace: Workspace) throws -> SQLiteTrialStore { try SQLiteTrialStore(readOnlyPath: workspace.db) }

    @Test func twoWorkersFinishExactlyTheBudgetAndTheRowsMatchTheObjective() throws {
        let workspace = try Workspace()
        let study = try workspace.write("branin.yaml", Self.branin)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("study e2e-branin: minimize loss"), "leaderboard printed: \(output)")
        // On a trivial objective the run may end before the second worker has joined.
        #expect(errors.contains("worker local-1") || errors.contains("worker local-2"), "the workers joined: \(errors)")

        let store = try store(workspace)
        let record = try #require(try store.study(named: "e2e-branin"))
        let trials = try store.trials(study: record.id, states: nil)
        #expect(trials.count == 24)
        #expect(trials.allSatisfy { $0.state == .complete })
        #expect(Set(trials.map(\.number)) == Set(0..<24))
        // Each stored value is what the objective gives for the stored parameters.
        for trial in trials {
            guard case .number(let x0)? = trial.params["x0"], case .number(let x1)? = trial.params["x1"] else {
                Issue.record("trial \(trial.number) lacks its parameters"); continue
            }
            let expected = try Branin().evaluate(["x0": .double(x0), "x1": .double(x1)])
            #expect(abs((trial.value ?? .nan) - expected) < 1e-9)
        }
        // Which worker ran which trial is a race on a trivial objective; each row names one of them.
        #expect(trials.allSatisfy { ["local-1", "local-2"].contains($0.worker ?? "") }, "\(trials.map(\.worker))")

        // `tuna best` names the trial with the best value in the table.
        let (bestStatus, best, _) = try TunaProcess.run(["best", "e2e-branin", "--db", workspace.db, "--format", "json"], in: workspace.url)
        #expect(bestStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(best.utf8)) as? [String: Any])
        let minimum = try #require(trials.min { ($0.value ?? .infinity) < ($1.value ?? .infinity) })
        #expect(object["number"] as? Int == minimum.number)
        #expect(object["value"] as? Double == minimum.value)
    }

    @Test func aWorkerAttachedMidStudyGetsWork() throws {
        let workspace = try Workspace()
        let study = try workspace.write("slow.yaml", Self.slow("e2e-attach", trials: 8, seconds: 0.8))
        let scheduler = try TunaProcess(["run", study, "--workers", "1", "--db", workspace.db], in: workspace.url)
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let extra = try TunaProcess(["worker", "--connect", endpoint, "--name", "late", "--allow-commands"], in: workspace.url)
        #expect(scheduler.wait() == 0, "\(scheduler.errors)")
        extra.wait(timeout: 15)
        let store = try store(workspace)
        let record = try #require(try store.study(named: "e2e-attach"))
        let trials = try store.trials(study: record.id, states: [.complete])
        #expect(trials.count == 8)
        #expect(trials.contains { $0.worker == "late" }, "the late worker ran trials: \(trials.compactMap(\.worker))")
    }

    /// `tuna run` of `text` with no local workers (heartbeat 0.5 s) and the endpoint it listens at.
    func runWithoutWorkers(_ text: String, in workspace: Workspace) throws -> (TunaProcess, String) {
        let study = try workspace.write("slow.yaml", text)
        let scheduler = try TunaProcess(["run", study, "--workers", "0", "--heartbeat", "0.5", "--db", workspace.db], in: workspace.url)
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        return (scheduler, endpoint)
    }

    /// SIGKILLs `victim`, lets the run end, and returns the study's trials.
    func killThenCollect(_ victim: TunaProcess, survivor: TunaProcess, scheduler: TunaProcess, study: String,
                         in workspace: Workspace) throws -> [TrialRecord] {
        kill(victim.process.processIdentifier, SIGKILL)
        #expect(scheduler.wait() == 0, "\(scheduler.errors)")
        survivor.wait(timeout: 15)
        victim.wait(timeout: 5)
        let reader = try self.store(workspace)
        let record = try #require(try reader.study(named: study))
        return try reader.trials(study: record.id, states: nil)
    }

    @Test func aKilledWorkersTrialIsFinishedByTheOther() throws {
        let workspace = try Workspace()
        let (scheduler, endpoint) = try runWithoutWorkers(Self.slow("e2e-kill", trials: 6, seconds: 0.8), in: workspace)
        let victim = try TunaProcess(["worker", "--connect", endpoint, "--name", "victim", "--allow-commands"], in: workspace.url)
        let survivor = try TunaProcess(["worker", "--connect", endpoint, "--name", "survivor", "--allow-commands"], in: workspace.url)
        // Kill the victim while it runs a trial.
        let store = try SQLiteTrialStoreWaiter(path: workspace.db)
        let victimTrial = try #require(store.waitForTrial(study: "e2e-kill") { $0.state == .running && $0.worker == "victim" })
        let trials = try killThenCollect(victim, survivor: survivor, scheduler: scheduler, study: "e2e-kill", in: workspace)
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        let reassigned = try #require(trials.first { $0.id == victimTrial.id })
        #expect(reassigned.worker == "survivor")
        #expect(reassigned.attempts == 2)
        #expect(scheduler.errors.contains("worker victim went silent"))
    }

    @Test func aKilledWorkerHoldingSeveralTrialsHasEveryOneRequeuedAsAnAttempt() throws {
        let workspace = try Workspace()
        let (scheduler, endpoint) = try runWithoutWorkers(Self.slow("e2e-hold", trials: 8, seconds: 0.8), in: workspace)
        let victim = try TunaProcess(["worker", "--connect", endpoint, "--name", "victim", "--allow-commands", "--hold", "3"], in: workspace.url)
        // The victim holds three trials (one runs, two wait in its line) before anyone else joins.
        let store = try SQLiteTrialStoreWaiter(path: workspace.db)
        let held = store.waitForTrials(study: "e2e-hold", count: 3) { $0.state == .running && $0.worker == "victim" }
        #expect(held.count == 3)
        let survivor = try TunaProcess(["worker", "--connect", endpoint, "--name", "survivor", "--allow-commands", "--hold", "2"], in: workspace.url)
        let trials = try killThenCollect(victim, survivor: survivor, scheduler: scheduler, study: "e2e-hold", in: workspace)
        #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        #expect(Set(trials.map(\.number)) == Set(0..<8))
        for lost in held {
            let rerun = try #require(trials.first { $0.id == lost.id })
            #expect(rerun.worker == "survivor" && rerun.attempts == 2, "\(rerun)")
        }
    }

    @Test func stoppingAndRestartingResumesWithoutLosingCompletedTrials() throws {
        let workspace = try Workspace()
        let study = try workspace.write("slow.yaml", Self.slow("e2e-resume", trials: 10, seconds: 0.5))
        let first = try TunaProcess(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        _ = waiter.waitForTrials(study: "e2e-resume", count: 3) { $0.state == .complete }
        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.wait() == 130, "a stopped run exits 130: \(first.errors)")
        #expect(first.output.contains("Run the same command again to resume"))
        let reader = try store(workspace)
        let record = try #require(try reader.study(named: "e2e-resume"))
        let before = try reader.trials(study: record.id, states: [.complete])
        #expect(before.count >= 3 && before.count < 10)
        #expect(try reader.trials(study: record.id, states: [.running]).isEmpty, "running trials went back to waiting")
        // A clean stop leaves everything in the main file: a copy of it alone is the study.
        let copy = workspace.url.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: workspace.db, toPath: copy)
        let copied = try SQLiteTrialStore(readOnlyPath: copy)
        let copiedRecord = try #require(try copied.study(named: "e2e-resume"))
        #expect(try copied.trials(study: copiedRecord.id, states: [.complete]).map(\.id) == before.map(\.id))

        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        #expect(status == 0, "\(errors)")
        let after = try reader.trials(study: record.id, states: [.complete])
        #expect(after.count == 10)
        for trial in before {
            #expect(after.first { $0.id == trial.id }?.value == trial.value, "trial \(trial.number) kept its result")
        }
    }

    @Test func badInputGivesClearErrorsAndNonZeroExits() throws {
        let workspace = try Workspace()
        let broken = try workspace.write("broken.yaml", "name: b\nobjective: {function: branin}\nsearch:\n  parameters: {x0: {float: [1, 0]}}\n")
        let (status, _, errors) = try TunaProcess.run(["run", broken, "--db", workspace.db], in: workspace.url)
        #expect(status == 2)
        #expect(errors.contains("broken.yaml:4:28: error: parameter 'x0': low 1.0 is above high 0.0"), "\(errors)")
        #expect(!FileManager.default.fileExists(atPath: workspace.db), "nothing started")

        let study = try workspace.write("branin.yaml", Self.branin)
        let (dbStatus, _, dbErrors) = try TunaProcess.run(["run", study, "--db", "/nonexistent/folder/t.sqlite"], in: workspace.url)
        #expect(dbStatus == 1 && dbErrors.contains("/nonexistent/folder"), "\(dbErrors)")

        let nobody = try DaemonTests.freeEndpoint()
        let (workerStatus, _, workerErrors) = try TunaProcess.run(
            ["worker", "--connect", nobody, "--give-up-after", "1"], in: workspace.url, timeout: 20)
        #expect(workerStatus == 1 && workerErrors.contains("no scheduler answered at \(nobody) within 1 s"), "\(workerErrors)")

        let holder = try TunaProcess(["run", study, "--workers", "0", "--db", workspace.db], in: workspace.url)
        let line = try #require(holder.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let (busyStatus, _, busyErrors) = try TunaProcess.run(
            ["run", study, "--bind", endpoint, "--db", workspace.url.appendingPathComponent("other.sqlite").path], in: workspace.url)
        #expect(busyStatus != 0 && busyErrors.contains("Address already in use"), "\(busyErrors)")
        let (lockedStatus, _, lockedErrors) = try TunaProcess.run(["run", study, "--db", workspace.db], in: workspace.url)
        #expect(lockedStatus == 1, "\(lockedErrors)")
        #expect(lockedErrors.contains("is in use by another scheduler (pid \(holder.process.processIdentifier))"), "\(lockedErrors)")
        kill(holder.process.processIdentifier, SIGTERM)
        holder.wait()
    }
}

/// Polls a database another process writes, until a trial matches.
struct SQLiteTrialStoreWaiter {
    let path: String

    init(path: String) throws { self.path = path }

    func waitForTrial(study: String, timeout: Double = 30, _ matches: (TrialRecord) -> Bool) -> TrialRecord? {
        waitForTrials(study: study, count: 1, timeout: timeout, matches).first
    }

    func waitForTrials(study: String, count: Int, timeout: Double = 30, _ matches: (TrialRecord) -> Bool) -> [TrialRecord] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let store = try? SQLiteTrialStore(readOnlyPath: path),
               let record = try? store.study(named: study), let trials = try? store.trials(study: record.id, states: nil) {
                let found = trials.filter(matches)
                if found.count >= count { return found }
            }
            usleep(20_000)
        }
        Issue.record("no \(count) matching trial(s) in \(study) within \(timeout) s")
        return []
    }
}

/// A worker speaking another protocol version is refused with a message saying so.
@Suite struct ProtocolVersionTests {
    @Test func anotherProtocolVersionIsRefused() throws {
        let workspace = try Workspace()
        let study = try workspace.write("branin.yaml", EndToEndTests.branin)
        let scheduler = try TunaProcess(["run", study, "--workers", "0", "--db", workspace.db], in: workspace.url)
        defer {
            kill(scheduler.process.processIdentifier, SIGTERM)
            scheduler.wait()
        }
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.connect(endpoint)
        try socket.send([Array("tuna/0".utf8), Array("hello".utf8), Array("{}".utf8)])
        let reply = try Envelope(frames: try #require(try socket.receive(timeoutMilliseconds: 5000)))
        #expect(reply.type == .refuse)
        let reason = try reply.decode([String: String].self)["reason"] ?? ""
        #expect(reason.contains("tuna/0") && reason.contains(WireProtocol.version), "\(reason)")
        #expect(scheduler.waitForError(containing: "refused a worker") != nil)
    }
}

/// A trial whose program fails is marked FAIL with the reason at once: the same configuration
/// would fail the same way again (retries are for lost workers). A run in which no trial
/// completed exits non-zero.
@Suite struct FailingTrialTests {
    @Test func failingTrialsFailWithTheReasonAndTheRunSaysNoneCompleted() throws {
        let workspace = try Workspace()
        let study = try workspace.write("fails.yaml", """
            name: e2e-fails
            objective: {command: [sh, -c, "echo 'out of memory' >&2; exit 3"]}
            search: {algorithm: random, trials: 3, max_attempts: 2, parameters: {x: {float: [0, 1]}}}
            """)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url)
        #expect(status == 1 && errors.contains("no trial of e2e-fails completed"), "\(status): \(errors)")
        #expect(output.contains("3 fail"), "\(output)")
        #expect(output.contains("failed trials 0, 1, 2: sh exited with status 3: out of memory"), "the leaderboard says why: \(output)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "e2e-fails"))
        let trials = try store.trials(study: record.id, states: nil)
        #expect(trials.count == 3)
        for trial in trials {
            #expect(trial.state == .fail && trial.attempts == 1, "\(trial.state) after \(trial.attempts) attempts")
            #expect(trial.error?.contains("sh exited with status 3: out of memory") == true, "\(trial.error ?? "no error")")
        }
    }
}
