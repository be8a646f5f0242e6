import Foundation

/// Measures how many trial life cycles per second the SQLite store sustains.
///
/// A cycle is what the scheduler does for every trial: `createTrial` (with `parameters`
/// parameters), `markRunning`, `finishTrial(.complete)` with `folds` per-fold values — three
/// write transactions, each committed on its own (no batching), on a real file in WAL mode.
/// The CLI prints the result (`tuna bench store`); the target for the daemon is 5,000/s.
public enum StoreBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var cycles: Int
        public var parameters: Int
        public var folds: Int
        public var durability: SQLiteTrialStore.Durability
        public var seconds: Double
        public var cyclesPerSecond: Double { seconds > 0 ? Double(cycles) / seconds : 0 }
        /// Mean wall time of one cycle, in microseconds.
        public var microsecondsPerCycle: Double { cycles > 0 ? seconds * 1e6 / Double(cycles) : 0 }

        public var description: String {
            let rate = Int(cyclesPerSecond.rounded())
            let sync = durability == .normal ? "synchronous=NORMAL" : "synchronous=FULL"
            return "store: \(rate) trials/s (create + running + complete, \(parameters) params, "
                + "\(folds) folds, WAL, \(sync); \(String(format: "%.1f", microsecondsPerCycle)) µs/trial "
                + "over \(cycles))"
        }
    }

    /// Runs `cycles` cycles on a fresh database in `directory` (the system's temporary
    /// directory by default) and removes the file afterwards.
    public static func run(
        cycles: Int = 5_000, parameters: Int = 7, folds: Int = 0,
        durability: SQLiteTrialStore.Durability = .normal, directory: URL? = nil
    ) throws -> Result {
        let folder = directory ?? FileManager.default.temporaryDirectory
        let path = folder.appendingPathComponent("tuna-store-bench-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try SQLiteTrialStore(path: path, durability: durability)
        defer { try? store.close() }
        let study = try store.createStudy(
            NewStudy(name: "bench", studyFile: "", studyHash: "", direction: .minimize, metric: "loss"))
        var params: [String: JSONValue] = [:]
        let foldValues = (0..<folds).map { FoldValue(fold: $0, value: Double($0) * 0.1, seconds: 0.01) }

        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<cycles {
            for p in 0..<parameters {
                params["p\(p)"] = p % 3 == 2 ? .string(p % 2 == 0 ? "relu" : "tanh") : .number(Double(index + p) * 0.001)
            }
            let trial = try store.createTrial(study: study.id, params: params)
            try store.markRunning(trial: trial.id, worker: "bench-worker")
            try store.finishTrial(trial.id, .complete(value: Double(index % 97), std: 0.1), folds: foldValues)
        }
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Result(
            cycles: cycles, parameters: parameters, folds: folds, durability: durability, seconds: seconds)
    }
}
