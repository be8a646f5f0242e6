import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Measures how many trial life cycles per second the SQLite store sustains.
///
/// A cycle is what the scheduler does for every trial: `createTrial` (with `parameters`
/// parameters), `markRunning`, `finishTrial(.complete)` with `folds` per-fold values — three
/// write transactions on a real file in WAL mode. With `batch` 1 each is its own commit; with
/// `batch` n, n cycles share one `TrialStore.batch` transaction, as when the scheduler applies
/// what one poll of its sockets brought. The CLI prints the result; the target is 5,000/s.
/// With `tuneMalloc` (the default) it first calls `SQLiteTrialStore.keepFreedHeap()`, as the
/// daemon should: this process-wide setting is part of what is measured.
public enum StoreBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var cycles: Int
        public var parameters: Int
        public var folds: Int
        /// Cycles per transaction.
        public var batch: Int
        /// Whether `SQLiteTrialStore.keepFreedHeap()` was in effect.
        public var mallocTuned: Bool
        public var durability: SQLiteTrialStore.Durability
        /// Wall-clock time of the whole run.
        public var seconds: Double
        /// CPU time of the process (all threads) during the run: on a machine shared with
        /// builds, wall time swings with the load, CPU time much less.
        public var cpuSeconds: Double
        public var cyclesPerSecond: Double { seconds > 0 ? Double(cycles) / seconds : 0 }
        /// Mean wall time of one cycle, in microseconds.
        public var microsecondsPerCycle: Double { cycles > 0 ? seconds * 1e6 / Double(cycles) : 0 }
        /// Cycles per second of CPU: the rate on an otherwise idle core.
        public var cyclesPerCPUSecond: Double { cpuSeconds > 0 ? Double(cycles) / cpuSeconds : 0 }

        public var description: String {
            let rate = Int(cyclesPerSecond.rounded())
            let sync = durability == .normal ? "synchronous=NORMAL" : "synchronous=FULL"
            let grouping = batch == 1 ? "a commit per step" : "\(batch) trials per commit"
            return "store: \(rate) trials/s (create + running + complete, \(parameters) params, "
                + "\(folds) folds, \(grouping), WAL, \(sync)\(mallocTuned ? ", heap kept" : ""); \(String(format: "%.1f", microsecondsPerCycle)) µs/trial "
                + "over \(cycles); \(Int(cyclesPerCPUSecond.rounded())) trials per CPU second)"
        }
    }

    /// Runs `cycles` cycles on a fresh database in `directory` (the system's temporary
    /// directory by default) and removes the file afterwards.
    public static func run(
        cycles: Int = 5_000, parameters: Int = 7, folds: Int = 0, batch: Int = 1, tuneMalloc: Bool = true,
        durability: SQLiteTrialStore.Durability = .normal, directory: URL? = nil
    ) throws -> Result {
        let mallocTuned = tuneMalloc && SQLiteTrialStore.keepFreedHeap()
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
        let cpuStart = processCPUSeconds()
        let perBatch = max(1, batch)
        func cycle(_ index: Int) throws {
            for p in 0..<parameters {
                params["p\(p)"] = p % 3 == 2 ? .string(p % 2 == 0 ? "relu" : "tanh") : .number(Double(index + p) * 0.001)
            }
            let trial = try store.createTrial(study: study.id, params: params)
            try store.markRunning(trial: trial.id, worker: "bench-worker")
            try store.finishTrial(trial.id, .complete(value: Double(index % 97), std: 0.1), folds: foldValues)
        }
        var index = 0
        while index < cycles {
            let end = min(cycles, index + perBatch)
            if perBatch == 1 {
                try cycle(index)
            } else {
                try store.batch { for i in index..<end { try cycle(i) } }
            }
            index = end
        }
        let elapsed = start.duration(to: clock.now)
        let cpu = processCPUSeconds() - cpuStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Result(
            cycles: cycles, parameters: parameters, folds: folds, batch: perBatch, mallocTuned: mallocTuned,
            durability: durability,
            seconds: seconds,
            cpuSeconds: cpu)
    }

    /// CPU time of the whole process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var spec = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec) == 0 else { return 0 }
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
