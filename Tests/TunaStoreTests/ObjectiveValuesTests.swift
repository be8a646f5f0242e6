import Foundation
import Testing

@testable import TunaStore

/// A multi-objective trial's values per metric, in both stores and across the v4 migration.
@Suite struct ObjectiveValuesTests {
    @Test(arguments: StoreBackend.all)
    func valuesRoundTripBesideTheFirstAsValue(_ backend: StoreBackend) throws {
        try withTemporaryDirectory { dir in
            let store = try backend.make(dir, TestClock().closure)
            let study = try store.createStudy(sampleStudy())
            let done = try runTrial(store, study: study.id, outcome: .complete(value: 0.93, std: nil, values: [0.93, 1204, 1e-7]))
            #expect(done.value == 0.93 && done.values == [0.93, 1204, 1e-7])
            let single = try runTrial(store, study: study.id, outcome: .complete(value: 0.5, std: nil))
            #expect(single.values == nil)
            // A set with a non-finite member is not stored (the scheduler fails such trials).
            let broken = try runTrial(store, study: study.id, outcome: .complete(value: 0.1, std: nil, values: [0.1, .nan]))
            #expect(broken.values == nil)
            let read = try store.trials(study: study.id)
            #expect(read.map(\.values) == [[0.93, 1204, 1e-7], nil, nil])
            #expect(try store.trial(id: done.id)?.values == [0.93, 1204, 1e-7])
            #expect(try store.ranking(study: study.id, limit: 1).first?.values == [0.93, 1204, 1e-7])
        }
    }

    /// A database written by the previous schema (v3) opens, migrates, keeps its trials, and
    /// takes values afterwards.
    @Test func aVersion3DatabaseMigrates() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("old.sqlite").path
            let writer = try SQLiteTrialStore(path: path)
            let study = try writer.createStudy(sampleStudy())
            let old = try runTrial(writer, study: study.id, outcome: .complete(value: 0.8, std: nil))
            // Back to the v3 file: without the column and the migration's record.
            try writer.executeRaw("ALTER TABLE trials DROP COLUMN objective_values")
            try writer.executeRaw("DELETE FROM grdb_migrations WHERE identifier = 'v4 objective values'")
            try writer.executeRaw("PRAGMA user_version = 3")
            try writer.close()
            #expect(throws: StoreError.schemaNotReady(path: path, found: 3, required: Schema.version)) {
                try SQLiteTrialStore(readOnlyPath: path)
            }

            let migrated = try SQLiteTrialStore(path: path)
            #expect(try migrated.schemaVersion() == 4)
            let kept = try #require(try migrated.trial(id: old.id))
            #expect(kept.value == 0.8 && kept.values == nil)
            let new = try runTrial(migrated, study: study.id, outcome: .complete(value: 0.9, std: nil, values: [0.9, 12]))
            try migrated.close()
            let reader = try SQLiteTrialStore(readOnlyPath: path)
            #expect(try reader.trial(id: new.id)?.values == [0.9, 12])
        }
    }

    @Test func aDamagedValuesColumnIsAnErrorNotACrash() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("trials.sqlite").path
            let store = try SQLiteTrialStore(path: path)
            let study = try store.createStudy(sampleStudy())
            let trial = try runTrial(store, study: study.id, outcome: .complete(value: 1, std: nil, values: [1, 2]))
            try store.executeRaw("UPDATE trials SET objective_values = '[1,zz]' WHERE id = \(trial.id)")
            #expect(throws: StoreError.corruptValue(column: "trials.objective_values", text: "[1,zz]")) {
                try store.trial(id: trial.id)
            }
        }
    }
}
