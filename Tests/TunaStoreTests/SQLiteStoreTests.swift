import Foundation
import Synchronization
import Testing

@testable import TunaStore

/// What only a file-backed store has: other processes' read-only openings, reopening after a
/// crash, migrations, and files that are not what they should be.
@Suite("SQLite trial store")
struct SQLiteStoreTests {
    @Test func readOnlyOpeningSeesCommittedTrialsAndCannotWrite() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let writer = try SQLiteTrialStore(path: path)
            let study = try writer.createStudy(sampleStudy())
            try runTrial(writer, study: study.id, outcome: .complete(value: 0.9, std: nil))

            let reader = try SQLiteTrialStore(readOnlyPath: path)
            #expect(reader.isReadOnly)
            #expect(try reader.bestTrial(study: study.id)?.value == 0.9)
            try runTrial(writer, study: study.id, outcome: .complete(value: 0.95, std: nil))
            #expect(try reader.ranking(study: study.id, limit: 10).map(\.value) == [0.95, 0.9])

            #expect(throws: StoreError.readOnly(path: path)) { try reader.createTrial(study: study.id, params: [:]) }
            #expect(throws: StoreError.readOnly(path: path)) { try reader.setStudyState(.stopped, study: study.id) }
            do {
                _ = try reader.createStudy(sampleStudy("sneaky"))
                Issue.record("a read-only opening wrote")
            } catch {
                #expect("\(error)".contains(path))
            }
            #expect(try writer.studies().count == 1)
        }
    }

    @Test func crashedSchedulersRunningTrialsAreRequeuedOnReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            var studyID: Int64 = 0
            do {
                let store = try SQLiteTrialStore(path: path)
                let study = try store.createStudy(sampleStudy())
                studyID = study.id
                try runTrial(store, study: study.id, outcome: .complete(value: 0.8, std: nil))
                for _ in 0..<2 {
                    let trial = try store.createTrial(study: study.id, params: ["lr": 0.1])
                    try store.markRunning(trial: trial.id, worker: "w1")
                    try store.recordIntermediate(trial: trial.id, step: 0, value: 0.3)
                }
                _ = try store.createTrial(study: study.id, params: [:])
                // The scheduler dies here: no finish, no state change, no clean shutdown.
                try store.close()
            }
            let store = try SQLiteTrialStore(path: path)
            #expect(try store.unfinishedStudies().map(\.id) == [studyID])
            #expect(try store.requeueRunningTrials(study: studyID) == 2)
            let counts = try store.stateCounts(study: studyID)
            #expect(counts[.waiting] == 3 && counts[.running] == 0 && counts[.complete] == 1)
            let retried = try store.trials(study: studyID, state: .waiting)
            #expect(retried.map(\.attempts) == [1, 1, 0])
            #expect(try store.bestTrial(study: studyID)?.value == 0.8)
        }
    }

    @Test func migratingTwiceChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let first = try SQLiteTrialStore(path: path)
            let study = try first.createStudy(sampleStudy())
            try first.close()
            for _ in 0..<2 {
                let again = try SQLiteTrialStore(path: path)
                #expect(try again.schemaVersion() == Schema.version)
                #expect(try again.studies() == [study])
                try again.close()
            }
            let reader = try SQLiteTrialStore(readOnlyPath: path)
            #expect(try reader.schemaVersion() == Schema.version)
        }
    }

    @Test func aFileOfRandomBytesIsNotADatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("garbage.sqlite").path
            var rng = SystemRandomNumberGenerator()
            let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let message = "'\(path)' is not an SQLite database (or it is damaged); move it away or choose another --db"
            #expect(throws: StoreError.notADatabase(path: path)) { try SQLiteTrialStore(path: path) }
            #expect(throws: StoreError.notADatabase(path: path)) { try SQLiteTrialStore(readOnlyPath: path) }
            #expect(StoreError.notADatabase(path: path).description == message)
        }
    }

    @Test func unopenablePathsSayWhy() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("no/such/dir/trials.sqlite").path
            expectCannotOpen(missing, because: "does not exist") { try SQLiteTrialStore(path: missing) }
            let file = dir.appendingPathComponent("plain.txt").path
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            let underFile = file + "/trials.sqlite"
            expectCannotOpen(underFile, because: "is not a directory") { try SQLiteTrialStore(path: underFile) }
            expectCannotOpen(dir.path, because: "is a directory") { try SQLiteTrialStore(path: dir.path) }
            let absent = dir.appendingPathComponent("absent.sqlite").path
            expectCannotOpen(absent, because: "no such file") { try SQLiteTrialStore(readOnlyPath: absent) }
            #expect(!FileManager.default.fileExists(atPath: absent))
        }
    }

    @Test func aNewerSchemaIsRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let store = try SQLiteTrialStore(path: path)
            try store.executeRaw("PRAGMA user_version = \(Schema.version + 1)")
            try store.close()
            let expected = StoreError.newerSchema(path: path, found: Schema.version + 1, supported: Schema.version)
            #expect(throws: expected) { try SQLiteTrialStore(path: path) }
            #expect(throws: expected) { try SQLiteTrialStore(readOnlyPath: path) }
            #expect(expected.description.contains(path) && expected.description.contains("upgrade tuna"))

            // A migration this build does not know, even with the version left alone.
            let other = dir.appendingPathComponent("other.sqlite").path
            let second = try SQLiteTrialStore(path: other)
            try second.executeRaw("INSERT INTO grdb_migrations (identifier) VALUES ('v999 future')")
            try second.close()
            #expect(throws: StoreError.newerSchema(path: other, found: Schema.version + 1, supported: Schema.version)) {
                try SQLiteTrialStore(path: other)
            }
        }
    }

    @Test func someoneElsesDatabaseIsLeftAlone() throws {
        try withTemporaryDirectory { dir in
            let foreign = dir.appendingPathComponent("foreign.sqlite").path
            let store = try SQLiteTrialStore(path: dir.appendingPathComponent("trials.sqlite").path)
            try store.executeRaw("ATTACH DATABASE '\(foreign)' AS other")
            try store.executeRaw("CREATE TABLE other.customers (id INTEGER PRIMARY KEY, name TEXT)")
            try store.executeRaw("DETACH DATABASE other")
            #expect(throws: StoreError.notATunaDatabase(path: foreign)) { try SQLiteTrialStore(path: foreign) }
            #expect(throws: StoreError.notATunaDatabase(path: foreign)) { try SQLiteTrialStore(readOnlyPath: foreign) }
        }
    }

    /// The reader polls through its own read-only opening (as `tuna trials` would, from another
    /// process) while the writer finishes 500 trials; no snapshot may show a COMPLETE trial
    /// without its value and folds, or a gap in the numbering.
    @Test func aConcurrentReaderNeverSeesAHalfWrittenTrial() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let writer = try SQLiteTrialStore(path: path)
            let study = try writer.createStudy(sampleStudy())
            let reader = try SQLiteTrialStore(readOnlyPath: path)
            let probe = ReaderProbe()
            let finished = DispatchSemaphore(value: 0)
            let thread = Thread {
                defer { finished.signal() }
                var last = 0
                while true {
                    let done = probe.writerDone.load(ordering: .acquiring)
                    do {
                        let trials = try reader.trials(study: study.id)
                        probe.note(trials: trials, last: &last)
                        if let complete = trials.last(where: { $0.state == .complete }),
                            try reader.foldValues(trial: complete.id).count != 3
                        {
                            probe.problem("trial \(complete.number) is COMPLETE without its folds")
                        }
                    } catch {
                        probe.problem("reader failed: \(error)")
                    }
                    if done { return }
                }
            }
            thread.start()
            let folds = (0..<3).map { FoldValue(fold: $0, value: 0.5, seconds: 0.1) }
            for index in 0..<500 {
                let trial = try writer.createTrial(study: study.id, params: ["i": .number(Double(index))])
                try writer.markRunning(trial: trial.id, worker: "w1")
                try writer.finishTrial(trial.id, .complete(value: Double(index), std: 0.1), folds: folds)
            }
            probe.writerDone.store(true, ordering: .releasing)
            finished.wait()
            #expect(probe.problems.isEmpty, "\(probe.problems.prefix(3))")
            #expect(probe.reads > 1)
            #expect(try reader.stateCounts(study: study.id)[.complete] == 500)
        }
    }

    @Test func aBatchIsOneTransaction() throws {
        struct Abort: Error, Equatable {}
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let writer = try SQLiteTrialStore(path: path)
            let study = try writer.createStudy(sampleStudy())
            let reader = try SQLiteTrialStore(readOnlyPath: path)
            try writer.batch {
                let trial = try writer.createTrial(study: study.id, params: [:])
                try writer.markRunning(trial: trial.id, worker: "w")
                #expect(try writer.trials(study: study.id).count == 1)  // the batch's own view
                #expect(try reader.trials(study: study.id).isEmpty)  // others: not yet
            }
            #expect(try reader.trials(study: study.id).map(\.state) == [.running])

            // A throw rolls the whole batch back and comes out unchanged.
            #expect(throws: Abort()) {
                try writer.batch {
                    try writer.complete(try writer.trials(study: study.id)[0].id, value: 1)
                    _ = try writer.createTrial(study: study.id, params: [:])
                    throw Abort()
                }
            }
            #expect(try writer.trials(study: study.id).map(\.state) == [.running])
            #expect(try writer.createTrial(study: study.id, params: [:]).number == 1)
        }
    }

    /// The writer's commits never checkpoint (that stalled the scheduler's loop for 100-600 ms);
    /// the checkpointer's thread does, and under commits that follow one another with no pause
    /// (as the loop's do at thousands of trials a second) the log still starts over, so it
    /// stays near a round's worth of writes instead of holding all of them.
    @Test func theLogIsCheckpointedOffTheWritersThreadAndStartsOverUnderAStreamOfCommits() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let store = try SQLiteTrialStore(path: path)
            let autocheckpoint = try store.dbQueue.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
            #expect(autocheckpoint == 0)
            let checkpointer = try #require(store.checkpointer)
            let study = try store.createStudy(sampleStudy())
            let trial = try store.createTrial(study: study.id, params: [:])
            let blob = 16 * 1024
            // Every write differs from the one before it: SQLite leaves a page it would write
            // unchanged alone, and identical blobs would log nothing.
            func content(_ index: Int) -> Data { Data(repeating: UInt8(truncatingIfNeeded: index), count: blob) }
            var largestLog: UInt64 = 0, written = 0, writes = 0
            let roundsBefore = checkpointer.roundCount
            let started = Date()
            while Date().timeIntervalSince(started) < 3 {
                try store.putArtifact(trial: trial.id, kind: "blob\(writes % 10)", data: content(writes))
                writes += 1
                written += blob
                if writes % 100 == 0 {
                    let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? UInt64 ?? 0
                    largestLog = max(largestLog, size)
                }
            }
            #expect(checkpointer.roundCount >= roundsBefore + 4)
            // Never starting over, the log would hold everything written (and more: pages of
            // the tree besides the blobs).
            #expect(written > 20 << 20, "only \(written) bytes written in 3 s")
            #expect(largestLog > 0 && largestLog < UInt64(written / 2), "largest log \(largestLog) bytes of \(written) written")
            #expect(try store.artifact(trial: trial.id, kind: "blob\((writes - 1) % 10)")?.data == content(writes - 1))
            try store.close()
            let reopened = try SQLiteTrialStore(readOnlyPath: path)
            #expect(try reopened.artifact(trial: trial.id, kind: "blob\((writes - 2) % 10)")?.data == content(writes - 2))
        }
    }

    @Test func fullDurabilityOpensAndWrites() throws {
        try withTemporaryDirectory { dir in
            let store = try SQLiteTrialStore(path: dir.appendingPathComponent("t.sqlite").path, durability: .full)
            let study = try store.createStudy(sampleStudy())
            #expect(try runTrial(store, study: study.id, outcome: .complete(value: 1, std: nil)).state == .complete)
        }
    }

    @Test func benchmarkRunsAndCleansUp() throws {
        try withTemporaryDirectory { dir in
            let result = try StoreBenchmark.run(cycles: 300, folds: 5, batch: 8, directory: dir)
            #expect(result.cycles == 300 && result.cyclesPerSecond > 0 && result.batch == 8)
            #if os(Linux)
                #expect(result.mallocTuned)
            #endif
            #expect(result.description.contains("trials/s"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
    }
}

private func expectCannotOpen(
    _ path: String, because reason: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ open: () throws -> SQLiteTrialStore
) {
    do {
        _ = try open()
        Issue.record("opened \(path)", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        guard case .cannotOpen(let named, let why) = error else {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(named == path, sourceLocation: sourceLocation)
        #expect(why.contains(reason), "\(why)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("cannot open trial database '\(path)': "), sourceLocation: sourceLocation)
    } catch {
        Issue.record("not a StoreError: \(error)", sourceLocation: sourceLocation)
    }
}

/// What the reader thread saw, shared with the test.
private final class ReaderProbe: Sendable {
    let writerDone = Atomic<Bool>(false)
    private let state = Mutex<(reads: Int, problems: [String])>((0, []))

    var reads: Int { state.withLock { $0.reads } }
    var problems: [String] { state.withLock { $0.problems } }

    func problem(_ text: String) { state.withLock { $0.problems.append(text) } }

    func note(trials: [TrialRecord], last: inout Int) {
        state.withLock { $0.reads += 1 }
        if trials.map(\.number) != Array(0..<trials.count) { problem("numbering has a gap") }
        if trials.count < last { problem("trials disappeared") }
        last = trials.count
        for trial in trials where trial.state == .complete {
            if trial.value == nil || trial.finishedAt == nil || trial.duration == nil {
                problem("trial \(trial.number) is COMPLETE without its value")
            }
        }
    }
}
