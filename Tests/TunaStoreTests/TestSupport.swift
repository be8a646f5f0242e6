import Foundation
import Synchronization
import Testing

@testable import TunaStore

/// A fresh directory per test, removed afterwards: every test runs on real SQLite files.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("tuna-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// A clock the test moves by hand, so stored timestamps can be checked exactly.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000.25)) { time = Mutex(start) }

    var now: Date { time.withLock { $0 } }

    func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// The closure a store takes as its clock.
    var closure: @Sendable () -> Date { { [self] in self.now } }
}

/// One storage backend under the conformance suite. Another backend (a remote store, an
/// in-memory one) joins the suite by adding itself to `all`.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// Makes a fresh, empty store in `directory` that reads its time from `clock`.
    let make: @Sendable (_ directory: URL, _ clock: @escaping @Sendable () -> Date) throws -> any TrialStore

    var testDescription: String { name }

    static let sqliteFile = StoreBackend(name: "SQLite file") { directory, clock in
        try SQLiteTrialStore(path: directory.appendingPathComponent("trials.sqlite").path, clock: clock)
    }

    static let inMemory = StoreBackend(name: "in memory") { _, clock in InMemoryTrialStore(clock: clock) }

    static let all: [StoreBackend] = [.sqliteFile, .inMemory]
}

func sampleStudy(
    _ name: String = "digits-mlp", direction: StudyDirection = .maximize, budget: Int? = 60
) -> NewStudy {
    NewStudy(
        name: name, studyFile: "name: \(name)\nsearch: {metric: accuracy}\n",
        studyHash: String(repeating: "ab", count: 32), direction: direction, metric: "accuracy",
        trialBudget: budget, settings: ["sampler": "tpe", "seed": 0, "folds": 5, "log": true])
}

/// Runs one trial through its whole life: the scheduler's path for a finished trial.
@discardableResult
func runTrial(
    _ store: any TrialStore, study: Int64, params: [String: JSONValue] = ["lr": 0.01],
    outcome: TrialOutcome
) throws -> TrialRecord {
    let trial = try store.createTrial(study: study, params: params)
    try store.markRunning(trial: trial.id, worker: "w1")
    return try store.finishTrial(trial.id, outcome)
}
