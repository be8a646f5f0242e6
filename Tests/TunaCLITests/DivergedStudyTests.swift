import Foundation
import Testing
import TunaProtocol
import TunaStore

/// Issue #14 end to end: a study whose objective diverges (prints NaN) for part of the space.
/// The worker reports the failure as diverged, the scheduler stores it so, and the sampler
/// learns it as the worst outcome: the same failing configuration is never proposed again and
/// the region past the cliff is left after a few tries.
@Suite(.serialized) struct DivergedStudyTests {
    @Test func aDivergingRegionIsLearnedAndNotProposedAgain() throws {
        let workspace = try Workspace()
        // The loss falls towards lr = 1 but diverges past 0.7 (as a too-large learning rate does).
        let script = try workspace.write("objective.sh", """
            awk -v lr="$1" -v y="$2" 'BEGIN { if (lr > 0.7) print "loss=nan"; else printf "loss=%.12f\\n", (1 - lr) * (1 - lr) + (y - 0.5) * (y - 0.5) }'
            """)
        let study = try workspace.write("diverging.yaml", """
            name: diverging
            objective: {command: [sh, \(script), "{lr}", "{y}"], timeout: 10}
            search:
              algorithm: bayesian
              trials: 30
              seed: 1
              parameters: {lr: {float: [0, 1]}, y: {float: [0, 1]}}
            """)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "1", "--db", workspace.db], in: workspace.url, timeout: 120)
        #expect(status == 0, "\(output) \(errors)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "diverging"))
        let trials = try store.trials(study: record.id, states: nil).sorted { $0.number < $1.number }
        #expect(trials.count == 30)
        func coordinates(_ t: TrialRecord) -> (Double, Double) {
            guard case .number(let lr)? = t.params["lr"], case .number(let y)? = t.params["y"] else { return (.nan, .nan) }
            return (lr, y)
        }
        let failed = trials.filter { $0.state == .fail }
        #expect(!failed.isEmpty, "the start-up design reaches past the cliff")
        #expect(failed.allSatisfy { FailedMessage.isDiverged(error: $0.error) && $0.attempts == 1 }, "\(failed.map(\.error))")
        #expect(failed.allSatisfy { coordinates($0).0 > 0.7 })
        for (i, a) in failed.enumerated() {
            for b in failed[(i + 1)...] {
                let (p, q) = (coordinates(a), coordinates(b))
                #expect(max(abs(p.0 - q.0), abs(p.1 - q.1)) > 1e-3, "trials \(a.number) and \(b.number) repeat a diverged configuration")
            }
        }
        // After the ten start-up trials and a few to learn the cliff, the sampler stays below it.
        let late = trials.filter { $0.number >= 15 }
        #expect(late.filter { $0.state == .fail }.count <= 3, "\(late.map { "\($0.number): \(coordinates($0))" })")
        let best = trials.compactMap(\.value).min() ?? .infinity
        #expect(best < 0.15, "best \(best)")
    }
}
