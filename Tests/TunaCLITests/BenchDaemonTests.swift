import Foundation
import Testing

/// `tuna bench daemon` end to end: its accounting must hold for the figures it prints to mean
/// anything (every trial stored, none lost, nobody dropped), with real worker processes holding
/// several trials (batches both ways) and with simulated workers on a Bayesian study.
@Suite(.serialized) struct BenchDaemonTests {
    func report(_ arguments: [String]) throws -> [String: Any] {
        let workspace = try Workspace()
        let (status, output, errors) = try TunaProcess.run(["bench", "daemon", "--json"] + arguments, in: workspace.url, timeout: 120)
        #expect(status == 0, "\(errors)")
        let line = try #require(output.split(separator: "\n").last, "no output; stderr: \(errors)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func workerProcessesHoldingSeveralTrialsLoseNone() throws {
        let object = try report(["--trials", "600", "--workers", "2", "--hold", "4"])
        #expect(object["trials"] as? Int == 600)
        #expect(object["lost"] as? Int == 0)
        #expect(object["workers_dropped"] as? Int == 0)
        #expect((object["trials_per_s"] as? Double ?? 0) > 0)
    }

    @Test func simulatedWorkersOnABayesianStudyAreAllAccountedFor() throws {
        // Shorter than the warm-up: no steady-state figures, and still valid JSON.
        let object = try report(["--simulate", "16", "--trial-ms", "5-20", "--trials", "120", "--sampler", "bayesian"])
        #expect(object["trials"] as? Int == 120)
        #expect(object["lost"] as? Int == 0)
        #expect(object["workers_dropped"] as? Int == 0)
        #expect(object["simulated_hosts_reporting"] as? Int == 1)
        let idle = try #require(object["worker_idle_fraction"] as? Double)
        #expect(idle >= 0 && idle < 1)
        #expect((object["sampler_asks"] as? Int ?? 0) > 0)
        #expect(object["steady_dispatch_p99_ms"] == nil)
        // Every simulated worker joined (hello to welcome takes some time) and got a first trial.
        #expect((object["worker_longest_join_s"] as? Double ?? 0) > 0)
        let firstAssign = try #require(object["worker_first_assign_p99_ms"] as? Double)
        #expect(firstAssign > 0 && firstAssign >= (object["worker_first_assign_p50_ms"] as? Double ?? .infinity))
        #expect((object["scheduler_longest_turn_ms"] as? Double ?? 0) > 0)
    }
}
