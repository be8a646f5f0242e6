import ArgumentParser
import Foundation
import TunaScheduler
import TunaProtocol
import TunaSpec
import TunaTemplate
import TunaStore
import TunaBase

/// `tuna bench daemon`: the tuner's own overhead — a trivial objective (`sphere`), the random
/// sampler, local worker processes, every trial through ZeroMQ and SQLite.
struct BenchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "End-to-end trials/s, scheduler CPU per trial and dispatch latency with a trivial objective.")

    @Option(help: "Trials to run.") var trials = 5000
    @Option(help: "Local worker processes.") var workers = 2
    @Option(help: "Run for this many seconds instead of a trial count (a load test: memory is sampled and every trial accounted for).")
    var seconds: Double?
    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let studyPath = folder.appendingPathComponent("sphere.yaml").path
        try """
            name: bench-sphere
            objective: {function: sphere2}
            search:
              algorithm: random
              trials: \(seconds == nil ? trials : 10_000_000)
              parameters: {x0: {float: [-5, 5]}, x1: {float: [-5, 5]}}
            """.write(toFile: studyPath, atomically: true, encoding: .utf8)
        let store = try SQLiteTrialStore(path: folder.appendingPathComponent("bench.sqlite").path)
        let scheduler = try Scheduler(store: store, options: .init(bind: "tcp://127.0.0.1:*", exitWhenDone: true))
        let latencies = LatencyRecorder()
        scheduler.dispatchLatencies = latencies
        try scheduler.add(try Study.loadChecked(path: studyPath))
        let children = try LocalWorkers(count: workers, endpoint: scheduler.endpoint, heartbeat: 1)
        defer { children.terminate() }
        var firstTrial: Date?
        var finished = 0
        var memory: [Int] = residentMemoryBytes().map { [$0] } ?? []
        var lastSample = Date()
        let cpuBefore = Self.cpuSeconds()
        scheduler.onTrialFinished = { _, _ in
            finished += 1
            if firstTrial == nil { firstTrial = Date() }
            if finished % 256 == 0, Date().timeIntervalSince(lastSample) >= 5, let rss = residentMemoryBytes() {
                memory.append(rss)
                lastSample = Date()
            }
        }
        let start = Date()
        let limit = seconds
        try scheduler.run(shouldStop: { limit.map { Date().timeIntervalSince(start) >= $0 } ?? false })
        let end = Date()
        let cpu = Self.cpuSeconds() - cpuBefore
        children.wait()
        if let rss = residentMemoryBytes() { memory.append(rss) }
        // Nothing lost: every result received is a COMPLETE row, and whatever was running when
        // the run stopped went back to WAITING.
        let record = try store.study(named: "bench-sphere")
        let counts = try record.map { try store.stateCounts(study: $0.id) } ?? [:]
        let lost = abs((counts[.complete] ?? 0) - finished) + (counts[.running] ?? 0) + (counts[.fail] ?? 0)
        // Timed from the first finished trial, so worker start-up is not counted.
        let measured = max(finished - 1, 1)
        let seconds = end.timeIntervalSince(firstTrial ?? start)
        let rate = Double(measured) / seconds
        if json {
            let object: [String: Any] = [
                "benchmark": "daemon", "trials": finished, "workers": workers, "trials_per_s": rate.rounded(),
                "scheduler_cpu_ms_per_trial": cpu * 1000 / Double(max(finished, 1)),
                "dispatch_p50_ms": latencies.quantile(0.5) * 1000, "dispatch_p99_ms": latencies.quantile(0.99) * 1000,
                "wall_s": end.timeIntervalSince(start), "lost": lost, "requeued_at_stop": counts[.waiting] ?? 0,
                "rss_mb": memory.map { Double($0) / 1_048_576 },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%d trials with %d workers: %.0f trials/s end to end (ZeroMQ + SQLite); scheduler CPU %.3f ms/trial; dispatch latency p50 %.3f ms, p99 %.3f ms",
                         finished, workers, rate, cpu * 1000 / Double(max(finished, 1)), latencies.quantile(0.5) * 1000, latencies.quantile(0.99) * 1000))
            print("trials lost: \(lost); running at the stop, back in the queue: \(counts[.waiting] ?? 0); scheduler memory (MB) sampled every 5 s: \(memory.map { String(format: "%.0f", Double($0) / 1_048_576) }.joined(separator: " "))")
            print("reference (shared/bench/README.md, same machine): Optuna 5 random sampler with SQLite storage 48.6 trials/s, in memory 7,141 trials/s")
        }
    }

    /// User + system CPU time of this process (the scheduler; workers are other processes).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
