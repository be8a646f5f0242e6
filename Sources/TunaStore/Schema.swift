import GRDB

/// The database schema, as GRDB migrations.
///
/// Each migration also sets `PRAGMA user_version` to its number, so any SQLite tool (and a
/// read-only opening, which cannot read GRDB's bookkeeping before deciding) sees the version
/// without knowing GRDB. Migrations are append-only: never edit one that has shipped.
enum Schema {
    /// The schema version this build writes and understands.
    static let version = 4

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 studies, trials, values, artifacts") { db in
            try db.execute(sql: v1)
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration("v2 data sets") { db in
            try db.execute(sql: v2)
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        migrator.registerMigration("v3 fold epochs") { db in
            // The epochs each fold's kept weights trained for: what an export retrains with.
            try db.execute(sql: "ALTER TABLE trial_values ADD COLUMN epochs INTEGER")
            try db.execute(sql: "PRAGMA user_version = 3")
        }
        migrator.registerMigration("v4 objective values") { db in
            // A multi-objective trial's value per metric, as a JSON array in the study's metric
            // order, on the trial's own row: every reader that fetches a trial gets them with no
            // join, and `value` keeps the first, so readers that know one metric go on working.
            try db.execute(sql: "ALTER TABLE trials ADD COLUMN objective_values TEXT")
            try db.execute(sql: "PRAGMA user_version = 4")
        }
        return migrator
    }

    /// Times are REAL seconds since 1970 (sub-millisecond, cheap to compare and subtract).
    /// Child tables are WITHOUT ROWID keyed by (trial, fold|step|name): one B-tree each, and a
    /// repeated report replaces the earlier one.
    static let v1 = """
        CREATE TABLE studies (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            study_file TEXT NOT NULL,
            study_hash TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
            metric TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'paused', 'stopped', 'finished')),
            trial_budget INTEGER CHECK (trial_budget IS NULL OR trial_budget >= 0),
            settings TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX studies_by_state ON studies (state);

        CREATE TABLE trials (
            id INTEGER PRIMARY KEY,
            study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
            number INTEGER NOT NULL CHECK (number >= 0),
            state TEXT NOT NULL
                CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL')),
            params TEXT NOT NULL DEFAULT '{}',
            value REAL,
            std REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            error TEXT,
            duration REAL,
            UNIQUE (study_id, number)
        );
        -- The ranking, and nothing else: every index is one more WAL page per commit, and a
        -- commit's pages are most of its cost. Partial, so only completing a trial touches it.
        -- Listings and counts by state scan the study through UNIQUE (study_id, number).
        CREATE INDEX trials_ranking ON trials (study_id, value) WHERE state = 'COMPLETE';

        CREATE TABLE trial_params (
            trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value_number REAL,
            value_text TEXT,
            PRIMARY KEY (trial_id, name)
        ) WITHOUT ROWID;

        CREATE TABLE trial_values (
            trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
            fold INTEGER NOT NULL,
            value REAL,
            seconds REAL,
            PRIMARY KEY (trial_id, fold)
        ) WITHOUT ROWID;

        CREATE TABLE trial_intermediate (
            trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            value REAL,
            PRIMARY KEY (trial_id, step)
        ) WITHOUT ROWID;

        CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY,
            trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (trial_id, kind)
        );
        """

    /// Data files by content: a submitted study's data travel with it into the database, so
    /// the daemon never opens a path a message names, resumes after a restart without the
    /// client, and a copy of the file is a copy of the whole study.
    static let v2 = """
        CREATE TABLE datasets (
            hash TEXT PRIMARY KEY,
            file_extension TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at REAL NOT NULL
        );
        """

    /// Tables this schema creates; anything else in a version-0 file means someone else's file.
    static let ownTables: Set<String> = [
        "studies", "trials", "trial_params", "trial_values", "trial_intermediate", "artifacts", "datasets",
        "grdb_migrations", "sqlite_sequence",
    ]

    /// What is in the file before migrating: refuses newer and foreign databases.
    static func check(_ db: Database, path: String) throws -> Int {
        let found = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let tables = try Set(String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
            """))
        let hasGRDB = tables.contains("grdb_migrations")
        if !tables.isEmpty && (!hasGRDB || !tables.contains("trials")) {
            throw StoreError.notATunaDatabase(path: path)
        }
        if found > version { throw StoreError.newerSchema(path: path, found: found, supported: version) }
        if hasGRDB, try migrator.hasBeenSuperseded(db) {
            // A migration we do not know, even if user_version was not bumped.
            throw StoreError.newerSchema(path: path, found: max(found, version + 1), supported: version)
        }
        return found
    }
}
