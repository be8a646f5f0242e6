import Foundation
import GRDB

/// Reads: each method is one read transaction, so it sees one committed state of the file.
extension SQLiteTrialStore {
    static let trialColumns = """
        id, study_id, number, state, params, value, std, attempts, worker, created_at, \
        started_at, finished_at, error, duration, objective_values
        """
    static let studyColumns = """
        id, name, study_file, study_hash, direction, metric, state, trial_budget, settings, \
        created_at, updated_at
        """

    // MARK: Studies

    public func study(id: Int64) throws -> StudyRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.studyColumns) FROM studies WHERE id = ?", arguments: [id])
                .map(Self.studyRecord)
        }
    }

    public func study(named name: String) throws -> StudyRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.studyColumns) FROM studies WHERE name = ?", arguments: [name])
                .map(Self.studyRecord)
        }
    }

    public func studies() throws -> [StudyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.studyColumns) FROM studies ORDER BY id").map(Self.studyRecord)
        }
    }

    /// Resume query: running or paused studies, straight from the `studies_by_state` index.
    public func unfinishedStudies() throws -> [StudyRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.studyColumns) FROM studies WHERE state IN ('running', 'paused') ORDER BY id"
            ).map(Self.studyRecord)
        }
    }

    // MARK: Trials

    public func trial(id: Int64) throws -> TrialRecord? {
        try read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Self.trialColumns) FROM trials WHERE id = ?"), arguments: [id]
            ).map(Self.trialRecord)
        }
    }

    public func trial(study: Int64, number: Int) throws -> TrialRecord? {
        try read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Self.trialColumns) FROM trials WHERE study_id = ? AND number = ?"),
                arguments: [study, number]
            ).map(Self.trialRecord)
        }
    }

    public func trials(study: Int64, states: Set<TrialState>?) throws -> [TrialRecord] {
        var sql = "SELECT \(Self.trialColumns) FROM trials WHERE study_id = ?"
        var arguments: StatementArguments = [study]
        if let states {
            if states.isEmpty { return [] }
            // Sorted so that each set of states maps to one cached statement.
            let sorted = states.map(\.rawValue).sorted()
            sql += " AND state IN (" + sorted.map { _ in "?" }.joined(separator: ", ") + ")"
            arguments += StatementArguments(sorted)
        }
        sql += " ORDER BY number"
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.trialRecord)
        }
    }

    /// One SQL statement: the direction's sign comes from the study row, so `value * sign`
    /// ascending is best-first for both directions; NULL values (NaN objectives) never rank.
    public func ranking(study: Int64, limit: Int) throws -> [TrialRecord] {
        guard limit > 0 else { return [] }
        return try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT \(Self.trialColumns) FROM trials
                    WHERE study_id = :study AND state = 'COMPLETE' AND value IS NOT NULL
                    ORDER BY value * (SELECT CASE direction WHEN 'maximize' THEN -1.0 ELSE 1.0 END
                                      FROM studies WHERE id = :study),
                             number
                    LIMIT :limit
                    """),
                arguments: ["study": study, "limit": limit]
            ).map(Self.trialRecord)
        }
    }

    public func stateCounts(study: Int64) throws -> [TrialState: Int] {
        try read { db in
            var counts = Dictionary(uniqueKeysWithValues: TrialState.allCases.map { ($0, 0) })
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT state, COUNT(*) FROM trials WHERE study_id = ? GROUP BY state"),
                arguments: [study])
            for row in rows {
                let raw: String = try row.decode(atIndex: 0)
                guard let state = TrialState(rawValue: raw) else {
                    throw StoreError.corruptValue(column: "trials.state", text: raw)
                }
                counts[state] = try row.decode(atIndex: 1)
            }
            return counts
        }
    }

    public func foldValues(trial: Int64) throws -> [FoldValue] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT fold, value, seconds, epochs FROM trial_values WHERE trial_id = ? ORDER BY fold"),
                arguments: [trial]
            ).map { row in
                FoldValue(
                    fold: try row.decode(atIndex: 0), value: try row.decode(atIndex: 1),
                    seconds: try row.decode(atIndex: 2), epochs: try row.decode(atIndex: 3))
            }
        }
    }

    public func intermediateValues(trial: Int64) throws -> [IntermediateValue] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT step, value FROM trial_intermediate WHERE trial_id = ? ORDER BY step"),
                arguments: [trial]
            ).map { row in
                IntermediateValue(step: try row.decode(atIndex: 0), value: try row.decode(atIndex: 1))
            }
        }
    }

    public func intermediateValues(study: Int64, step: Int, states: Set<TrialState>) throws -> [Double] {
        if states.isEmpty { return [] }
        let sorted = states.map(\.rawValue).sorted()
        let sql = """
            SELECT i.value FROM trials t
            JOIN trial_intermediate i ON i.trial_id = t.id AND i.step = ?
            WHERE t.study_id = ? AND i.value IS NOT NULL
              AND t.state IN (\(sorted.map { _ in "?" }.joined(separator: ", ")))
            ORDER BY t.number
            """
        return try read { db in
            try Double.fetchAll(
                db.cachedStatement(sql: sql), arguments: [step, study] + StatementArguments(sorted))
        }
    }

    // MARK: Data sets

    public func dataset(hash: String) throws -> StoredDataset? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT file_extension, data FROM datasets WHERE hash = ?", arguments: [hash]).map { row in
                StoredDataset(hash: hash, fileExtension: try row.decode(atIndex: 0), bytes: try row.decode(atIndex: 1))
            }
        }
    }

    // MARK: Artifacts

    public func artifact(trial: Int64, kind: String) throws -> Artifact? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT data, created_at FROM artifacts WHERE trial_id = ? AND kind = ?",
                arguments: [trial, kind]
            ).map { row in
                Artifact(
                    trialID: trial, kind: kind, data: try row.decode(atIndex: 0),
                    createdAt: Date(timeIntervalSince1970: try row.decode(atIndex: 1)))
            }
        }
    }

    // MARK: Row decoding

    /// Columns are decoded with GRDB's throwing `decode`, never the trapping subscript: a file
    /// edited by hand must give an error, not a crash.
    static func trialRecord(_ row: Row) throws -> TrialRecord {
        let rawState: String = try row.decode(atIndex: 3)
        guard let state = TrialState(rawValue: rawState) else {
            throw StoreError.corruptValue(column: "trials.state", text: rawState)
        }
        let started: Double? = try row.decode(atIndex: 10)
        let finished: Double? = try row.decode(atIndex: 11)
        return TrialRecord(
            id: try row.decode(atIndex: 0),
            studyID: try row.decode(atIndex: 1),
            number: try row.decode(atIndex: 2),
            state: state,
            params: try JSONText.decode(try row.decode(atIndex: 4), column: "trials.params"),
            value: try row.decode(atIndex: 5),
            std: try row.decode(atIndex: 6),
            attempts: try row.decode(atIndex: 7),
            worker: try row.decode(atIndex: 8),
            createdAt: Date(timeIntervalSince1970: try row.decode(atIndex: 9)),
            startedAt: started.map(Date.init(timeIntervalSince1970:)),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)),
            error: try row.decode(atIndex: 12),
            duration: try row.decode(atIndex: 13),
            values: try ObjectiveValuesText.decode(try row.decode(atIndex: 14)))
    }

    static func studyRecord(_ row: Row) throws -> StudyRecord {
        let rawDirection: String = try row.decode(atIndex: 4)
        let rawState: String = try row.decode(atIndex: 6)
        guard let direction = StudyDirection(rawValue: rawDirection) else {
            throw StoreError.corruptValue(column: "studies.direction", text: rawDirection)
        }
        guard let state = StudyState(rawValue: rawState) else {
            throw StoreError.corruptValue(column: "studies.state", text: rawState)
        }
        return StudyRecord(
            id: try row.decode(atIndex: 0),
            name: try row.decode(atIndex: 1),
            studyFile: try row.decode(atIndex: 2),
            studyHash: try row.decode(atIndex: 3),
            direction: direction,
            metric: try row.decode(atIndex: 5),
            state: state,
            trialBudget: try row.decode(atIndex: 7),
            settings: try JSONText.decode(try row.decode(atIndex: 8), column: "studies.settings"),
            createdAt: Date(timeIntervalSince1970: try row.decode(atIndex: 9)),
            updatedAt: Date(timeIntervalSince1970: try row.decode(atIndex: 10)))
    }
}
