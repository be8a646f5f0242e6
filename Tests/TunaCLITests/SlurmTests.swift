import Foundation
import Testing
import TunaStore

/// A study run to the end by workers that `tuna launch slurm` submitted to a real one-node
/// Slurm cluster (munged, slurmctld, slurmd started by the test), with CurveZMQ keys. Skipped,
/// with the reason printed, where the machine cannot run Slurm (not root, packages missing,
/// a daemon refusing to start).
@Suite(.serialized) struct SlurmTests {
    @Test func workersLaunchedThroughSlurmRunAStudyToTheEnd() throws {
        let began = Date()
        let cluster: SlurmCluster
        do {
            cluster = try SlurmCluster.start()
        } catch let unavailable as SlurmCluster.Unavailable {
            print("◇ Slurm test skipped: \(unavailable)")
            try Test.cancel("Slurm cannot run here: \(unavailable)")
        }
        let workspace = try Workspace()
        var daemon: TunaProcess?
        var jobID: String?
        defer {
            if let jobID { _ = cluster.cancel(jobID) }
            if let daemon, daemon.process.isRunning {
                kill(daemon.process.processIdentifier, SIGTERM)
                daemon.wait(timeout: 10)
            }
            cluster.stop()
        }
        print("◇ Slurm cluster up on node \(cluster.node) in \(String(format: "%.1f", Date().timeIntervalSince(began))) s")

        for name in ["keys/daemon", "keys/workers/slurm", "keys/clients/alice"] {
            let (status, _, errors) = try TunaProcess.run(["keygen", name], in: workspace.url)
            try #require(status == 0, "\(errors)")
        }
        let endpoint = try DaemonTests.freeEndpoint()
        let started = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--keys", "keys"], in: workspace.url)
        daemon = started
        try #require(started.waitForError(containing: "CURVE keys required") != nil, "\(started.errors)")

        // Relative key paths: the script must carry them as absolute ones.
        let (launched, printed, launchErrors) = try TunaProcess.run(
            ["launch", "slurm", "--to", endpoint, "--workers", "2", "--partition", "tuna", "--time", "5", "--job-name", "tuna-test",
             "--output", workspace.url.appendingPathComponent("task-%A_%a.out").path, "--key", "keys/workers/slurm.key",
             "--server-key", "keys/daemon.pub", "--cache", "cache", "--give-up-after", "10", "--allow-commands"],
            in: workspace.url, timeout: 60, launcher: cluster.launcher)
        try #require(launched == 0, "\(launchErrors) \(cluster.logTail("slurmctld"))")
        let id = printed.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!id.isEmpty && id.allSatisfy(\.isNumber), "the job id alone on stdout: '\(printed)'")
        jobID = id
        #expect(launchErrors.contains("submitted job array \(id)"), "\(launchErrors)")

        // Both array tasks run and their workers join the daemon before the study arrives.
        let names = ["\(cluster.node)-\(id)_1", "\(cluster.node)-\(id)_2"]
        let joined = MultiHostTests.waitUntil(30) { names.allSatisfy { started.errors.contains("worker \($0) (") } }
        let queue = try cluster.run("squeue", ["-h", "-j", id, "-o", "%i %T"]).output
        try #require(joined, "workers \(names) did not join: \(started.errors)\nsqueue: \(queue)\n\(cluster.logTail("slurmd"))")
        #expect(queue.split(separator: "\n").sorted() == ["\(id)_1 RUNNING", "\(id)_2 RUNNING"], "\(queue)")

        let trials = 10
        let study = try workspace.write("slurm.yaml", EndToEndTests.slow("slurm-study", trials: trials, seconds: 0.2))
        let (submitted, output, errors) = try TunaProcess.run(
            ["submit", study, "--to", endpoint, "--key", "keys/clients/alice.key", "--server-key", "keys/daemon.pub"], in: workspace.url)
        try #require(submitted == 0 && output.contains("study slurm-study accepted"), "\(output) \(errors)")
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        let done = waiter.waitForTrials(study: "slurm-study", count: trials, timeout: 30) { $0.state == .complete }

        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "slurm-study"))
        let all = try store.trials(study: record.id, states: nil)
        #expect(done.count == trials, "\(started.errors)")
        #expect(all.map(\.number).sorted() == Array(0..<trials) && all.allSatisfy { $0.state == .complete && $0.value != nil })
        #expect(Set(all.compactMap(\.worker)) == Set(names), "trials ran by \(Set(all.compactMap(\.worker))), not only by the array's tasks")
        #expect(record.state == .finished)

        // scancel takes the workers away: Slurm has no task left, and no process of this test's
        // workers (their cache folder is unique to it) is still running.
        #expect(cluster.cancel(id), "job \(id) still in squeue after scancel")
        jobID = nil
        let cache = workspace.url.appendingPathComponent("cache").path
        #expect(MultiHostTests.waitUntil(10) { processes(mentioning: cache).isEmpty }, "left running: \(processes(mentioning: cache))")
        #expect(FileManager.default.fileExists(atPath: workspace.url.appendingPathComponent("task-\(id)_1.out").path))
        let elapsed = Date().timeIntervalSince(began)
        print("◇ Slurm test: job \(id), \(trials) trials by \(names.joined(separator: ", ")), \(String(format: "%.1f", elapsed)) s")
    }
}

/// The ids of running processes whose command line mentions `text` (read from /proc).
func processes(mentioning text: String) -> [Int32] {
    let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
    return ids.filter { id in
        guard let data = FileManager.default.contents(atPath: "/proc/\(id)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
    }
}
