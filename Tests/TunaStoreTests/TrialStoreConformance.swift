import Foundation
import Testing

@testable import TunaStore

/// The `TrialStore` contract, run over every backend in `StoreBackend.all`.
@Suite("TrialStore conformance")
struct TrialStoreConformance {
    @Test(arguments: StoreBackend.all)
    func numbersAreDenseAndUniqueAcrossManyCreates(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let a = try store.createStudy(sampleStudy("a"))
            let b = try store.createStudy(sampleStudy("b"))
            var ids = Set<Int64>()
            for index in 0..<400 {
                let study = index % 3 == 0 ? b : a
                let trial = try store.createTrial(study: study.id, params: ["i": .number(Double(index))])
                #expect(ids.insert(trial.id).inserted)
            }
            #expect(try store.trials(study: a.id).map(\.number) == Array(0..<266))
            #expect(try store.trials(study: b.id).map(\.number) == Array(0..<134))
            #expect(try store.trial(study: b.id, number: 133)?.params["i"] == .number(399))
            #expect(try store.stateCounts(study: a.id)[.waiting] == 266)
        }
    }

    @Test(arguments: StoreBackend.all)
    func stateTransitionsStampTheirTimes(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let clock = TestClock()
            let store = try backend.make(dir, clock.closure)
            let study = try store.createStudy(sampleStudy())
            let created = clock.now
            let trial = try store.createTrial(study: study.id, params: ["units": 64])
            #expect(trial.state == .waiting && trial.attempts == 0 && trial.startedAt == nil)
            #expect(abs(trial.createdAt.timeIntervalSince(created)) < 1e-6)

            clock.advance(1.5)
            let running = try store.markRunning(trial: trial.id, worker: "host-a/4242")
            #expect(running.state == .running && running.attempts == 1 && running.worker == "host-a/4242")
            #expect(abs((running.startedAt ?? .distantPast).timeIntervalSince(created) - 1.5) < 1e-6)

            clock.advance(2.25)
            let done = try store.complete(trial.id, value: 0.93, std: 0.01)
            #expect(done.state == .complete && done.value == 0.93 && done.std == 0.01)
            #expect(abs((done.finishedAt ?? .distantPast).timeIntervalSince(created) - 3.75) < 1e-6)
            #expect(abs((done.duration ?? 0) - 2.25) < 1e-6)
            #expect(try store.trial(id: trial.id) == done)

            // A finished trial never changes again; unknown ids say so.
            #expect(throws: StoreError.invalidTransition(trial: trial.id, from: .complete, to: .fail)) {
                try store.fail(trial.id, error: "late")
            }
            #expect(throws: StoreError.invalidTransition(trial: trial.id, from: .complete, to: .running)) {
                try store.markRunning(trial: trial.id, worker: "w2")
            }
            #expect(throws: StoreError.unknownTrial(id: 9_999)) { try store.markRunning(trial: 9_999, worker: "w") }

            // WAITING can fail directly (attempt limit reached); it never ran, so no duration.
            let waiting = try store.createTrial(study: study.id, params: [:])
            #expect(throws: StoreError.invalidTransition(trial: waiting.id, from: .waiting, to: .waiting)) {
                try store.requeueTrial(waiting.id)
            }
            let failed = try store.fail(waiting.id, error: "worker died 3 times")
            #expect(failed.state == .fail && failed.error == "worker died 3 times" && failed.duration == nil)
            #expect(failed.value == nil)

            let pruned = try runTrial(store, study: study.id, outcome: .pruned(value: 0.4))
            #expect(pruned.state == .pruned && pruned.value == 0.4)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aTrialCreatedRunningEqualsOneCreatedThenMarkedAndEndsWithItsDuration(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let clock = TestClock()
            let store = try backend.make(dir, clock.closure)
            let study = try store.createStudy(sampleStudy())
            let params: [String: JSONValue] = ["a": .number(1.5), "b": .string("relu"), "c": .bool(true), "d": .number(2),
                                               "e": .number(3), "f": .number(4), "g": .number(5), "h": .number(6), "i": .number(7)]
            let stepwise = try store.markRunning(trial: try store.createTrial(study: study.id, params: params).id, worker: "w")
            let direct = try store.createRunningTrial(study: study.id, params: params, worker: "w")
            #expect(direct.number == stepwise.number + 1 && direct.state == .running && direct.attempts == 1)
            #expect(try store.trial(id: direct.id) == direct)
            // Nine parameters: two multi-row statements for the parameter rows in SQLite.
            #expect(try store.trial(id: direct.id)?.params == params)
            clock.advance(2)
            #expect(try store.endTrial(direct.id, .complete(value: 0.5, std: nil), folds: [FoldValue(fold: 0, value: 0.5)]) == 2)
            let ended = try #require(try store.trial(id: direct.id))
            #expect(ended.state == .complete && ended.value == 0.5 && ended.duration == 2)
            #expect(try store.foldValues(trial: direct.id) == [FoldValue(fold: 0, value: 0.5)])
            #expect(throws: StoreError.self) { try store.endTrial(direct.id, .fail(error: "again"), folds: []) }
        }
    }

    @Test(arguments: StoreBackend.all)
    func requeueKeepsAttemptsAndDropsTheLostAttemptsProgress(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy())
            let trial = try store.createTrial(study: study.id, params: ["lr": 0.1])
            try store.markRunning(trial: trial.id, worker: "w1")
            try store.recordIntermediate(trial: trial.id, step: 0, value: 0.5)
            try store.recordFoldValue(trial: trial.id, FoldValue(fold: 0, value: 0.8, seconds: 1))

            let back = try store.requeueTrial(trial.id)
            #expect(back.state == .waiting && back.attempts == 1 && back.worker == nil && back.startedAt == nil)
            #expect(try store.intermediateValues(trial: trial.id).isEmpty)
            #expect(try store.foldValues(trial: trial.id).isEmpty)
            #expect(throws: StoreError.trialNotRunning(id: trial.id, state: .waiting)) {
                try store.recordIntermediate(trial: trial.id, step: 1, value: 0.6)
            }

            let again = try store.markRunning(trial: trial.id, worker: "w2")
            #expect(again.attempts == 2 && again.worker == "w2")

            // Every RUNNING trial of one study at once (start-up after a crash).
            let other = try store.createStudy(sampleStudy("other"))
            let o = try store.createTrial(study: other.id, params: [:])
            try store.markRunning(trial: o.id, worker: "w3")
            #expect(try store.requeueRunningTrials(study: study.id) == 1)
            #expect(try store.trial(id: trial.id)?.state == .waiting)
            #expect(try store.trial(id: o.id)?.state == .running)
        }
    }

    @Test(arguments: StoreBackend.all)
    func foldAndIntermediateValuesRoundTrip(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy())
            let trial = try store.createTrial(study: study.id, params: ["lr": 0.001])
            try store.markRunning(trial: trial.id, worker: "w1")
            let steps = (0..<10).map { IntermediateValue(step: $0, value: 1.0 / Double($0 + 1)) }
            for step in steps { try store.recordIntermediate(trial: trial.id, step: step.step, value: step.value ?? 0) }
            try store.recordIntermediate(trial: trial.id, step: 3, value: 0.125)  // a repeated report replaces
            var expected = steps
            expected[3].value = 0.125
            #expect(try store.intermediateValues(trial: trial.id) == expected)

            try store.recordFoldValue(trial: trial.id, FoldValue(fold: 0, value: 0.9, seconds: 1.25))
            let folds = [
                FoldValue(fold: 0, value: 0.91, seconds: 1.5), FoldValue(fold: 1, value: 0.88, seconds: nil),
                FoldValue(fold: 2, value: nil, seconds: 0.5),
            ]
            try store.finishTrial(trial.id, .complete(value: 0.895, std: 0.015), folds: folds)
            #expect(try store.foldValues(trial: trial.id) == folds)
            #expect(throws: StoreError.trialNotRunning(id: trial.id, state: .complete)) {
                try store.recordFoldValue(trial: trial.id, FoldValue(fold: 3, value: 0.1))
            }

            // The pruner's view: values at one step over the study's finished trials.
            let second = try store.createTrial(study: study.id, params: ["lr": 0.01])
            try store.markRunning(trial: second.id, worker: "w1")
            try store.recordIntermediate(trial: second.id, step: 3, value: 0.75)
            #expect(try store.intermediateValues(study: study.id, step: 3, states: [.complete]) == [0.125])
            #expect(try store.intermediateValues(study: study.id, step: 3, states: [.complete, .running]) == [0.125, 0.75])
        }
    }

    @Test(arguments: StoreBackend.all, StudyDirection.allCases)
    func rankingEqualsABruteForceSort(_ backend: StoreBackend, direction: StudyDirection) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy(direction: direction))
            var rng = SystemRandomNumberGenerator()
            var all: [TrialRecord] = []
            for index in 0..<120 {
                // Few distinct values: many ties. NaN is stored as NULL and must not rank.
                let value: Double = index % 11 == 0 ? .nan : Double(Int.random(in: -5...5, using: &rng)) / 4
                let outcome: TrialOutcome
                switch index % 7 {
                case 5: outcome = .pruned(value: -100)  // better than everything, but not COMPLETE
                case 6: outcome = .fail(error: "boom")
                default: outcome = .complete(value: value, std: nil)
                }
                all.append(try runTrial(store, study: study.id, params: ["i": .number(Double(index))], outcome: outcome))
            }
            _ = try store.createTrial(study: study.id, params: [:])  // WAITING, no value
            let expected = all
                .filter { $0.state == .complete && $0.value != nil }
                .sorted { a, b in
                    let (x, y) = (a.value ?? 0, b.value ?? 0)
                    if x != y { return direction.isBetter(x, than: y) }
                    return a.number < b.number
                }
                .map(\.number)
            #expect(all.contains { $0.state == .complete && $0.value == nil })
            #expect(try store.ranking(study: study.id, limit: 1_000).map(\.number) == expected)
            #expect(try store.ranking(study: study.id, limit: 5).map(\.number) == Array(expected.prefix(5)))
            #expect(try store.bestTrial(study: study.id)?.number == expected.first)
            #expect(try store.ranking(study: study.id, limit: 0).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all)
    func studiesAndTheirStates(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let clock = TestClock()
            let store = try backend.make(dir, clock.closure)
            let new = sampleStudy("iris", direction: .minimize, budget: nil)
            let iris = try store.createStudy(new)
            #expect(iris.state == .running && iris.settings == new.settings && iris.trialBudget == nil)
            #expect(try store.study(named: "iris") == iris)
            #expect(try store.study(id: iris.id) == iris)
            #expect(try store.study(named: "nope") == nil)
            #expect(throws: StoreError.studyExists(name: "iris")) { try store.createStudy(new) }
            #expect(throws: StoreError.unknownStudy(id: 777)) { try store.createTrial(study: 777, params: [:]) }
            #expect(throws: StoreError.unknownStudy(id: 777)) { try store.setStudyState(.stopped, study: 777) }

            let digits = try store.createStudy(sampleStudy("digits"))
            let penguins = try store.createStudy(sampleStudy("penguins"))
            clock.advance(10)
            try store.setStudyState(.finished, study: digits.id)
            try store.setStudyState(.paused, study: penguins.id)
            let finished = try store.study(id: digits.id)
            #expect(finished?.state == .finished)
            #expect(abs((finished?.updatedAt ?? .distantPast).timeIntervalSince(digits.createdAt) - 10) < 1e-6)
            #expect(try store.studies().map(\.name) == ["iris", "digits", "penguins"])
            #expect(try store.unfinishedStudies().map(\.name) == ["iris", "penguins"])
        }
    }

    @Test(arguments: StoreBackend.all)
    func countsParametersAndArtifacts(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy())
            let params: [String: JSONValue] = [
                "lr": 1.0e-4, "units": 256, "activation": "tanh", "bias": true, "note": "quote \" and \\ and\nnewline é ✓",
                "none": nil, "tiny": .number(Double.leastNonzeroMagnitude), "big": 1.0e300, "neg": -0.0, "third": .number(1.0 / 3),
            ]
            let trial = try store.createTrial(study: study.id, params: params)
            #expect(try store.trial(id: trial.id)?.params == params)
            try runTrial(store, study: study.id, outcome: .complete(value: 1, std: nil))
            try runTrial(store, study: study.id, outcome: .pruned(value: nil))
            let running = try store.createTrial(study: study.id, params: [:])
            try store.markRunning(trial: running.id, worker: "w")
            #expect(try store.stateCounts(study: study.id) == [.waiting: 1, .running: 1, .complete: 1, .pruned: 1, .fail: 0])
            #expect(try store.pendingCount(study: study.id) == 2)
            #expect(try store.trials(study: study.id, states: [.complete, .pruned]).map(\.number) == [1, 2])
            #expect(try store.trials(study: study.id, state: .running).map(\.id) == [running.id])
            #expect(try store.trials(study: study.id, states: []).isEmpty)

            let model = Data((0..<4096).map { UInt8($0 % 251) })
            try store.putArtifact(trial: trial.id, kind: "model", data: model)
            #expect(try store.artifact(trial: trial.id, kind: "model")?.data == model)
            try store.putArtifact(trial: trial.id, kind: "model", data: Data([1, 2, 3]))
            #expect(try store.artifact(trial: trial.id, kind: "model")?.data == Data([1, 2, 3]))
            #expect(try store.artifact(trial: trial.id, kind: "plot") == nil)
            #expect(throws: StoreError.unknownTrial(id: 4_242)) {
                try store.putArtifact(trial: 4_242, kind: "model", data: Data())
            }
        }
    }

    @Test(arguments: StoreBackend.all)
    func aBatchAppliesEveryCallAndSeesItsOwnWrites(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy())
            let numbers = try store.batch {
                var numbers: [Int] = []
                for index in 0..<10 {
                    let trial = try store.createTrial(study: study.id, params: ["i": .number(Double(index))])
                    try store.markRunning(trial: trial.id, worker: "w")
                    if index % 2 == 0 { try store.complete(trial.id, value: Double(index)) }
                    numbers.append(trial.number)
                    #expect(try store.trial(id: trial.id)?.state == (index % 2 == 0 ? .complete : .running))
                }
                _ = try store.batch { try store.requeueRunningTrials(study: study.id) }  // nested: joins
                return numbers
            }
            #expect(numbers == Array(0..<10))
            #expect(try store.stateCounts(study: study.id)[.complete] == 5)
            #expect(try store.stateCounts(study: study.id)[.waiting] == 5)
            #expect(try store.bestTrial(study: study.id)?.value == 8)
        }
    }

    @Test(arguments: StoreBackend.all)
    func dataSetsAreKeptByHashOnce(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let bytes = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let dataset = StoredDataset(hash: String(repeating: "c", count: 64), fileExtension: "csv", bytes: bytes)
            #expect(try store.dataset(hash: dataset.hash) == nil)
            try store.putDataset(dataset)
            try store.putDataset(StoredDataset(hash: dataset.hash, fileExtension: "npz", bytes: Data([1])))  // same hash: kept
            #expect(try store.dataset(hash: dataset.hash) == dataset)
            try store.checkpoint()
        }
    }

    @Test(arguments: StoreBackend.all)
    func deletingAStudyRemovesItsTrialsAndUnsharedData(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            var first = sampleStudy("first"), second = sampleStudy("second")
            first.settings["dataset"] = .string(String(repeating: "1", count: 64))
            second.settings["dataset"] = .string(String(repeating: "2", count: 64))
            let a = try store.createStudy(first), b = try store.createStudy(second)
            for hash in [String(repeating: "1", count: 64), String(repeating: "2", count: 64)] {
                try store.putDataset(StoredDataset(hash: hash, fileExtension: "csv", bytes: Data("x".utf8)))
            }
            let gone = try runTrial(store, study: a.id, outcome: .complete(value: 1, std: nil))
            let kept = try runTrial(store, study: b.id, outcome: .complete(value: 2, std: nil))
            try store.putArtifact(trial: gone.id, kind: "test_score", data: Data("{}".utf8))
            try store.deleteStudy(a.id)
            #expect(try store.study(named: "first") == nil && store.trials(study: a.id).isEmpty)
            #expect(try store.trial(id: gone.id) == nil && store.artifact(trial: gone.id, kind: "test_score") == nil)
            #expect(try store.trial(id: kept.id) == kept && store.study(named: "second") != nil)
            #expect(try store.dataset(hash: String(repeating: "1", count: 64)) == nil)
            #expect(try store.dataset(hash: String(repeating: "2", count: 64)) != nil)
            #expect(throws: StoreError.unknownStudy(id: a.id)) { try store.deleteStudy(a.id) }
            let again = try store.createStudy(sampleStudy("first"))
            #expect(again.id != b.id)
        }
    }
}
