import Foundation

/// Everything the store throws. Messages name the database file so that a CLI can print them
/// as they are; the scheduler never has to look inside a GRDB or SQLite error.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be opened or created (missing directory, no permission, a directory).
    case cannotOpen(path: String, reason: String)
    /// The file exists but is not an SQLite database (or is damaged beyond reading).
    case notADatabase(path: String)
    /// The file is an SQLite database that some other program made.
    case notATunaDatabase(path: String)
    /// The database was written by a newer Tuna; opening it could corrupt what it added.
    case newerSchema(path: String, found: Int, supported: Int)
    /// A read-only opening found a database that still needs migrating by the scheduler.
    case schemaNotReady(path: String, found: Int, required: Int)
    /// A write through a read-only opening (or to a read-only file).
    case readOnly(path: String)
    case studyExists(name: String)
    case unknownStudy(id: Int64)
    case unknownTrial(id: Int64)
    /// A state change the trial life cycle does not allow (e.g. finishing a finished trial).
    case invalidTransition(trial: Int64, from: TrialState, to: TrialState)
    /// A progress report for a trial that is not RUNNING (late message from a lost worker?).
    case trialNotRunning(id: Int64, state: TrialState)
    /// NaN or infinity as a parameter: JSON cannot hold it, and no sampler should produce it.
    case nonFiniteParameter(Double)
    /// A JSON column that no longer parses (edited by hand?).
    case corruptValue(column: String, text: String)
    /// Any other SQLite failure, with SQLite's own words.
    case database(path: String, message: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open trial database '\(path)': \(reason)"
        case .notADatabase(let path):
            "'\(path)' is not an SQLite database (or it is damaged); move it away or choose another --db"
        case .notATunaDatabase(let path):
            "'\(path)' is an SQLite database but not a Tuna trial database; choose another --db"
        case .newerSchema(let path, let found, let supported):
            "trial database '\(path)' has schema version \(found), newer than this tuna supports (\(supported)); upgrade tuna"
        case .schemaNotReady(let path, let found, let required):
            "trial database '\(path)' has schema version \(found) but \(required) is needed; run the scheduler on it once to migrate it"
        case .readOnly(let path):
            "trial database '\(path)' is open read-only; only the scheduler writes to it"
        case .studyExists(let name):
            "a study named '\(name)' already exists"
        case .unknownStudy(let id):
            "no study with id \(id)"
        case .unknownTrial(let id):
            "no trial with id \(id)"
        case .invalidTransition(let trial, let from, let to):
            "trial \(trial) cannot go from \(from.rawValue) to \(to.rawValue)"
        case .trialNotRunning(let id, let state):
            "trial \(id) is \(state.rawValue), not RUNNING; its progress report was not stored"
        case .nonFiniteParameter(let value):
            "parameter value \(value) is not finite and cannot be stored as JSON"
        case .corruptValue(let column, let text):
            "column \(column) holds text that is not a flat JSON object: \(text)"
        case .database(let path, let message):
            "trial database '\(path)': \(message)"
        }
    }

    public var errorDescription: String? { description }
}
