import Foundation
import Testing
import TunaPlots
import TunaStore

/// The plots drawn from a real store: one mark per trial in each plot, pruned and failed
/// trials marked, curves split into folds, and the cap past `PlotLimits.marks`.
struct StudyPlotsTests {
    /// A study of `count` trials with 2 folds × 3 epochs of reports; trial 1 pruned, 2 failed.
    static func store(_ count: Int) throws -> (InMemoryTrialStore, StudyRecord) {
        let store = InMemoryTrialStore()
        let study = try store.createStudy(NewStudy(name: "s", studyFile: "", studyHash: "h", direction: .maximize, metric: "accuracy"))
        for n in 0..<count {
            let trial = try store.createTrial(study: study.id, params: ["lr": .number(0.001 * pow(10, Double(n % 4))), "opt": .string(n % 2 == 0 ? "adam" : "sgd"), "units": .number(Double(8 + n))])
            try store.markRunning(trial: trial.id, worker: "w\(n % 2)")
            let steps = n == 1 ? 2 : 6
            for step in 0..<steps { try store.recordIntermediate(trial: trial.id, step: step, value: 0.5 + 0.05 * Double(step % 3) + 0.001 * Double(n)) }
            switch n {
            case 1: try store.prune(trial.id, value: 0.55)
            case 2: try store.fail(trial.id, error: "diverged")
            default:
                try store.finishTrial(trial.id, .complete(value: 0.6 + 0.001 * Double(n), std: 0.01),
                                      folds: [FoldValue(fold: 0, value: 0.6), FoldValue(fold: 1, value: 0.6)])
            }
        }
        return (store, study)
    }

    static func marks(_ svg: String) -> Int { svg.components(separatedBy: "class=\"mark").count - 1 }

    @Test func everyTrialIsMarked() throws {
        let (store, study) = try Self.store(12)
        let snapshot = try StudySnapshot.load(store: store, study: study)
        #expect(snapshot.epochsPerFold == 3)
        let plots = Dictionary(uniqueKeysWithValues: StudyPlots.render(snapshot).map { ($0.kind, $0) })
        #expect(plots.keys.sorted() == StudyPlots.kinds.sorted())
        let history = try #require(plots["history"])
        #expect(Self.marks(history.svg) == 12 && history.marks == 12)
        #expect(history.svg.contains("class=\"mark pruned\"") && history.svg.contains("class=\"mark fail\""))
        for kind in ["parallel", "contour"] { #expect(Self.marks(plots[kind]?.svg ?? "") == 10, "\(kind)") }
        #expect(Self.marks(plots["slices"]?.svg ?? "") == 30, "three panels of ten")
        let curves = try #require(plots["curves"])
        #expect(Self.marks(curves.svg) == 11, "complete and pruned trials have curves")
        #expect(curves.svg.contains("class=\"stop\""), "the pruned trial is marked where it stopped")
        let pruned = try #require(snapshot.curves.first { $0.number == 1 })
        #expect(pruned.folds.count == 1 && pruned.folds[0].map(\.x) == [0, 1])
        let complete = try #require(snapshot.curves.first { $0.number == 0 })
        #expect(complete.folds.count == 2 && complete.folds[1].map(\.x) == [0, 1, 2])
        #expect(try #require(plots["importance"]).svg.components(separatedBy: "class=\"bar\"").count - 1 == 3)
    }

    @Test func namesAreEscaped() throws {
        let store = InMemoryTrialStore()
        let study = try store.createStudy(NewStudy(name: "<s>", studyFile: "", studyHash: "h", direction: .minimize, metric: "a<b"))
        for n in 0..<4 {
            let trial = try store.createTrial(study: study.id, params: ["<x>": .string("\"q\"&\(n)"), "y": .number(Double(n))])
            try store.complete(trial.id, value: Double(n))
        }
        let html = ReportPage.html(try StudySnapshot.load(store: store, study: study))
        #expect(!html.contains("<x>") && !html.contains("<s>") && !html.contains("\"q\""))
        #expect(html.contains("&lt;x&gt;"))
    }

    @Test func manyTrialsAreCapped() throws {
        // SQLite, as the dashboard reads it (the in-memory store is not built for 10,000 trials).
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-plots-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        let store = try SQLiteTrialStore(path: file)
        let study = try store.createStudy(NewStudy(name: "big", studyFile: "", studyHash: "h", direction: .minimize, metric: "loss"))
        try store.batch {
            for n in 0..<10_000 {
                let trial = try store.createTrial(study: study.id, params: ["x": .number(Double(n % 97)), "y": .number(Double(n % 89))])
                try store.complete(trial.id, value: Double((n * 7919) % 10_007))
            }
        }
        let started = Date()
        let snapshot = try StudySnapshot.load(store: store, study: study)
        let plots = StudyPlots.render(snapshot)
        let seconds = Date().timeIntervalSince(started)
        let parallel = try #require(plots.first { $0.kind == "parallel" })
        #expect(parallel.marks == 2000 && Self.marks(parallel.svg) == 2000)
        #expect(parallel.note?.contains("2000 of 10000") == true)
        // The best trial (value 0) is always among the drawn.
        #expect(snapshot.drawnComplete.contains { $0.value == 0 })
        let bytes = plots.reduce(0) { $0 + $1.svg.utf8.count }
        #expect(bytes < 3_000_000, "\(bytes) bytes of SVG")
        #expect(seconds < 5, "\(seconds) s to read and draw 10,000 trials")
    }
}
