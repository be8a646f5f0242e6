import Foundation
import GRDB

/// Every write is one GRDB transaction built from cached (prepared once) statements; the
/// SQL's `WHERE state = ...` guards make each transition atomic, and `RETURNING` hands back
/// the updated row without a second query.
extension SQLiteTrialStore {
    // MARK: Studies

    public func createStudy(_ study: NewStudy) throws -> StudyRecord {
        let settings = try JSONText.encode(study.settings)
        let (seconds, date) = stamp()
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM studies WHERE name = ?", arguments: [study.name]) != nil {
                throw StoreError.studyExists(name: study.name)
            }
            try db.execute(
                sql: """
                    INSERT INTO studies (name, study_file, study_hash, direction, metric, state,
                                         trial_budget, settings, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)
                    """,
                arguments: [
                    study.name, study.studyFile, study.studyHash, study.direction.rawValue,
                    study.metric, study.trialBudget, settings, seconds, seconds,
                ])
            return StudyRecord(
                id: db.lastInsertedRowID, name: study.name, studyFile: study.studyFile,
                studyHash: study.studyHash, direction: study.direction, metric: study.metric,
                state: .running, trialBudget: study.trialBudget, settings: study.settings,
                createdAt: date, updatedAt: date)
        }
    }

    public func setStudyState(_ state: StudyState, study: Int64) throws {
        let (seconds, _) = stamp()
        try write { db in
            try db.execute(
                sql: "UPDATE studies SET state = ?, updated_at = ? WHERE id = ?",
                arguments: [state.rawValue, seconds, study])
            if db.changesCount == 0 { throw StoreError.unknownStudy(id: study) }
        }
    }

    public func deleteStudy(_ study: Int64) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM studies WHERE id = ?", arguments: [study])
            if db.changesCount == 0 { throw StoreError.unknownStudy(id: study) }
            // Data sets are shared by hash; keep those another study still names.
            let kept = Set(try String.fetchAll(db, sql: "SELECT settings FROM studies").compactMap { text -> String? in
                guard case .string(let hash)? = (try? JSONText.decode(text, column: "studies.settings"))?["dataset"] else { return nil }
                return hash
            })
            for hash in try String.fetchAll(db, sql: "SELECT hash FROM datasets") where !kept.contains(hash) {
                try db.execute(sql: "DELETE FROM datasets WHERE hash = ?", arguments: [hash])
            }
        }
    }

    // MARK: Trials

    public func createTrial(study: Int64, params: [String: JSONValue]) throws -> TrialRecord {
        try insertTrial(study: study, params: params, runningOn: nil)
    }

    public func createRunningTrial(study: Int64, params: [String: JSONValue], worker: String) throws -> TrialRecord {
        try insertTrial(study: study, params: params, runningOn: worker)
    }

    /// A new trial, WAITING or (with a worker) already RUNNING, with its parameter rows.
    private func insertTrial(study: Int64, params: [String: JSONValue], runningOn worker: String?) throws -> TrialRecord {
        let json = try JSONText.encode(params)
        let (seconds, date) = stamp()
        return try write { db in
            // The next number and the insert share the transaction: numbers stay dense and
            // unique (and the UNIQUE (study_id, number) index would refuse a duplicate anyway).
            let next = try Int.fetchOne(
                db.cachedStatement(sql: """
                    SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?
                    """),
                arguments: [study]) ?? 0
            if next == 0,
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT 1 FROM studies WHERE id = ?"), arguments: [study]) == nil
            {
                throw StoreError.unknownStudy(id: study)
            }
            try db.cachedStatement(sql: """
                INSERT INTO trials (study_id, number, state, params, attempts, worker, created_at, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    study, next, worker == nil ? TrialState.waiting.rawValue : TrialState.running.rawValue, json,
                    worker == nil ? 0 : 1, worker, seconds, worker == nil ? nil : seconds,
                ])
            let id = db.lastInsertedRowID
            try insertParameters(db, trial: id, params)
            return TrialRecord(
                id: id, studyID: study, number: next, state: worker == nil ? .waiting : .running, params: params, value: nil,
                std: nil, attempts: worker == nil ? 0 : 1, worker: worker, createdAt: date, startedAt: worker == nil ? nil : date,
                finishedAt: nil, error: nil, duration: nil)
        }
    }

    /// The parameter rows, up to eight to a statement: one statement per row was a fifth of
    /// a trivial trial's SQLite time.
    private func insertParameters(_ db: Database, trial id: Int64, _ params: [String: JSONValue]) throws {
        var rows: [DatabaseValueConvertible?] = []
        rows.reserveCapacity(min(params.count, 8) * 4)
        func flush() throws {
            guard !rows.isEmpty else { return }
            let values = Array(repeating: "(?, ?, ?, ?)", count: rows.count / 4).joined(separator: ", ")
            try db.cachedStatement(sql: "INSERT INTO trial_params (trial_id, name, value_number, value_text) VALUES " + values)
                .execute(arguments: StatementArguments(rows))
            rows.removeAll(keepingCapacity: true)
        }
        for (name, value) in params {
            let number: Double?
            let text: String?
            switch value {
            case .number(let x): (number, text) = (x, nil)
            case .bool(let flag): (number, text) = (flag ? 1 : 0, flag ? "true" : "false")
            case .string(let s): (number, text) = (nil, s)
            case .null: (number, text) = (nil, nil)
            }
            rows += [id, name, number, text]
            if rows.count == 32 { try flush() }
        }
        try flush()
    }

    @discardableResult
    public func markRunning(trial: Int64, worker: String) throws -> TrialRecord {
        let (seconds, _) = stamp()
        return try write { db in
            let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE trials SET state = 'RUNNING', worker = ?, attempts = attempts + 1,
                        started_at = ?, finished_at = NULL, duration = NULL, error = NULL
                    WHERE id = ? AND state = 'WAITING'
                    RETURNING \(Self.trialColumns)
                    """),
                arguments: [worker, seconds, trial])
            guard let row else { throw try transitionError(db, trial: trial, to: .running) }
            return try Self.trialRecord(row)
        }
    }

    public func recordIntermediate(trial: Int64, step: Int, value: Double) throws {
        try write { db in
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO trial_intermediate (trial_id, step, value)
                SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM trials WHERE id = ? AND state = 'RUNNING')
                """).execute(arguments: [trial, step, value, trial])
            if db.changesCount == 0 { throw try notRunningError(db, trial: trial) }
        }
    }

    public func recordFoldValue(trial: Int64, _ fold: FoldValue) throws {
        try write { db in
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO trial_values (trial_id, fold, value, seconds, epochs)
                SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM trials WHERE id = ? AND state = 'RUNNING')
                """).execute(arguments: [trial, fold.fold, fold.value, fold.seconds, fold.epochs, trial])
            if db.changesCount == 0 { throw try notRunningError(db, trial: trial) }
        }
    }

    @discardableResult
    public func finishTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> TrialRecord {
        try update(trial, outcome, folds: folds, returning: Self.trialColumns, read: Self.trialRecord)
    }

    public func endTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> Double? {
        try update(trial, outcome, folds: folds, returning: "duration") { row in row[0] }
    }

    /// Ends a WAITING or RUNNING trial, reading back the `returning` columns with `read`.
    private func update<T>(
        _ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue], returning: String, read: (Row) throws -> T
    ) throws -> T {
        let (seconds, _) = stamp()
        var value: Double?
        var std: Double?
        var error: String?
        var values: String?
        switch outcome {
        case .complete(let v, let s, let all): (value, std, values) = (v, s, ObjectiveValuesText.encode(all))
        case .pruned(let v): value = v
        case .fail(let message): error = message
        }
        return try write { db in
            let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE trials SET state = ?, value = ?, std = ?, error = ?, finished_at = ?,
                        duration = ? - started_at, objective_values = ?
                    WHERE id = ? AND state IN ('WAITING', 'RUNNING')
                    RETURNING \(returning)
                    """),
                arguments: [outcome.state.rawValue, value, std, error, seconds, seconds, values, trial])
            guard let row else { throw try transitionError(db, trial: trial, to: outcome.state) }
            if !folds.isEmpty {
                // The UPDATE above proved the trial exists and was unfinished: no guard needed.
                let insert = try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO trial_values (trial_id, fold, value, seconds, epochs) VALUES (?, ?, ?, ?, ?)
                    """)
                for fold in folds { try insert.execute(arguments: [trial, fold.fold, fold.value, fold.seconds, fold.epochs]) }
            }
            return try read(row)
        }
    }

    @discardableResult
    public func requeueTrial(_ trial: Int64) throws -> TrialRecord {
        try write { db in
            let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE trials SET state = 'WAITING', worker = NULL, started_at = NULL
                    WHERE id = ? AND state = 'RUNNING'
                    RETURNING \(Self.trialColumns)
                    """),
                arguments: [trial])
            guard let row else { throw try transitionError(db, trial: trial, to: .waiting) }
            try db.execute(sql: "DELETE FROM trial_values WHERE trial_id = ?", arguments: [trial])
            try db.execute(sql: "DELETE FROM trial_intermediate WHERE trial_id = ?", arguments: [trial])
            return try Self.trialRecord(row)
        }
    }

    @discardableResult
    public func requeueRunningTrials(study: Int64) throws -> Int {
        try write { db in
            let running = "SELECT id FROM trials WHERE study_id = ? AND state = 'RUNNING'"
            try db.execute(sql: "DELETE FROM trial_values WHERE trial_id IN (\(running))", arguments: [study])
            try db.execute(sql: "DELETE FROM trial_intermediate WHERE trial_id IN (\(running))", arguments: [study])
            try db.execute(
                sql: """
                    UPDATE trials SET state = 'WAITING', worker = NULL, started_at = NULL
                    WHERE study_id = ? AND state = 'RUNNING'
                    """,
                arguments: [study])
            return db.changesCount
        }
    }

    // MARK: Data sets

    public func putDataset(_ dataset: StoredDataset) throws {
        let (seconds, _) = stamp()
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO datasets (hash, file_extension, data, created_at) VALUES (?, ?, ?, ?)",
                arguments: [dataset.hash, dataset.fileExtension, dataset.bytes, seconds])
        }
    }

    /// Copies the write-ahead log into the database file and empties it.
    public func checkpoint() throws {
        guard !isReadOnly else { return }
        do {
            try dbQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            throw Self.storeError(error, path: path, opening: false)
        }
    }

    // MARK: Artifacts

    public func putArtifact(trial: Int64, kind: String, data: Data) throws {
        let (seconds, _) = stamp()
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM trials WHERE id = ?", arguments: [trial]) != nil else {
                throw StoreError.unknownTrial(id: trial)
            }
            try db.execute(
                sql: """
                    INSERT INTO artifacts (trial_id, kind, data, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (trial_id, kind) DO UPDATE
                    SET data = excluded.data, created_at = excluded.created_at
                    """,
                arguments: [trial, kind, data, seconds])
        }
    }

    // MARK: Helpers

    /// The current time both as stored (seconds since 1970) and as the `Date` a later read
    /// rebuilds from it, so returned records compare equal to fetched ones.
    func stamp() -> (Double, Date) {
        let seconds = now().timeIntervalSince1970
        return (seconds, Date(timeIntervalSince1970: seconds))
    }

    /// Why a guarded UPDATE changed nothing: no such trial, or a state that forbids it.
    private func transitionError(_ db: Database, trial: Int64, to target: TrialState) throws -> StoreError {
        guard let raw = try String.fetchOne(db, sql: "SELECT state FROM trials WHERE id = ?", arguments: [trial]),
            let state = TrialState(rawValue: raw)
        else { return .unknownTrial(id: trial) }
        return .invalidTransition(trial: trial, from: state, to: target)
    }

    private func notRunningError(_ db: Database, trial: Int64) throws -> StoreError {
        guard let raw = try String.fetchOne(db, sql: "SELECT state FROM trials WHERE id = ?", arguments: [trial]),
            let state = TrialState(rawValue: raw)
        else { return .unknownTrial(id: trial) }
        return .trialNotRunning(id: trial, state: state)
    }
}
