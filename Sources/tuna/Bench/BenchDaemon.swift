import ArgumentParser
import Foundation
import TunaScheduler
import TunaProtocol
import TunaSpec
import TunaTemplate
import TunaStore
import TunaBase
import TunaSearch
import TunaTensor

/// `tuna bench daemon`: the tuner's own overhead — a trivial objective (`sphere`), local
/// worker processes, every trial through ZeroMQ and SQLite. With `--simulate N` the workers are
/// simulated instead (`tuna bench sim-workers`: many sockets in a few processes, each trial a
/// wait of `--trial-ms`), which measures the scheduler with as many workers as a cluster has.
struct BenchDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "End-to-end trials/s, scheduler CPU per trial and dispatch latency with a trivial objective.")

    @Option(help: "Trials to run.") var trials = 5000
    @Option(help: "Local worker processes.") var workers = 2
    @Option(help: "Run for this many seconds instead of a trial count (a load test: memory is sampled and every trial accounted for).")
    var seconds: Double?
    @Option(help: "The sampler (random, sobol, tpe, bayesian, auto).") var sampler = "random"
    @Option(help: "Float parameters of the sphere objective.") var parameters = 2
    @Option(help: "Simulated workers instead of worker processes (hosted 500 to a process).") var simulate: Int?
    @Option(help: "With --simulate: each trial's duration in ms, or a range drawn per trial (500-2000).") var trialMs = "0"
    @Option(help: "Heartbeat interval in seconds.") var heartbeat = 1.0
    @Option(help: "Trials each worker process holds at once (`tuna worker --hold`).") var hold = 1
    @Option(help: "A long run's memory: the scheduler's RSS after every this many trials, printed as it goes (e.g. 100000 with --trials 1000000).")
    var rssEvery: Int?
    @Flag(help: "Ask the sampler on the dispatch loop's thread, as before the sampler thread (for comparisons).")
    var samplerOnLoop = false
    @Flag(help: "One JSON object.") var json = false

    func validate() throws {
        guard SamplerKind(rawValue: sampler) != nil else {
            throw ValidationError("unknown sampler '\(sampler)'; known: \(SamplerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...64).contains(parameters) else { throw ValidationError("--parameters is between 1 and 64") }
        guard TrialSlots.range.contains(hold) else { throw ValidationError("--hold is between 1 and \(TrialSlots.range.upperBound)") }
        if let rssEvery, rssEvery < 1 { throw ValidationError("--rss-every is at least 1") }
        if let simulate, !(1...10_000).contains(simulate) { throw ValidationError("--simulate is between 1 and 10000") }
        _ = try TrialDuration(trialMs)
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let studyPath = folder.appendingPathComponent("sphere.yaml").path
        try """
            name: bench-sphere
            objective: {function: sphere\(parameters)}
            search:
              algorithm: \(sampler)
              trials: \(seconds == nil ? trials : 10_000_000)
              parameters: {\((0..<parameters).map { "x\($0): {float: [-5, 5]}" }.joined(separator: ", "))}
            """.write(toFile: studyPath, atomically: true, encoding: .utf8)
        // As `tuna daemon` does: without it glibc hands freed heap back after every burst and
        // faults it in again (a fifth of the scheduler's kernel time in a profile).
        _ = SQLiteTrialStore.keepFreedHeap()
        let store = try SQLiteTrialStore(path: folder.appendingPathComponent("bench.sqlite").path)
        let dropped = DropCounter()
        var options = Scheduler.Options(bind: "tcp://127.0.0.1:*", heartbeat: heartbeat, exitWhenDone: true, log: { dropped.note($0) })
        options.asksOffThread = !samplerOnLoop
        let scheduler = try Scheduler(store: store, options: options)
        let warmUpLatencies = LatencyRecorder()
        scheduler.dispatchLatencies = warmUpLatencies
        // As `tuna run` does: the GP's small matrices are fastest on one BLAS thread.
        BLAS.setThreads(1)
        let active = try scheduler.add(try Study.loadChecked(path: studyPath))
        let workerCount = simulate ?? workers
        let children: LocalWorkers
        var simulated: [SimulatedHostProcess] = []
        if let simulate {
            children = try LocalWorkers(count: 0, endpoint: scheduler.endpoint, heartbeat: heartbeat)
            let hosts = (simulate + 499) / 500
            for host in 0..<hosts {
                let count = simulate / hosts + (host < simulate % hosts ? 1 : 0)
                simulated.append(try SimulatedHostProcess(
                    endpoint: scheduler.endpoint, count: count, name: "sim\(host)", trialMs: trialMs, heartbeat: heartbeat,
                    seconds: (seconds ?? 3600) + 60, seed: UInt64(host + 1)))
            }
        } else {
            children = try LocalWorkers(count: workers, endpoint: scheduler.endpoint, heartbeat: heartbeat, extraArguments: ["--hold", "\(hold)"])
        }
        defer {
            children.terminate()
            for host in simulated { host.terminate() }
        }
        var firstTrial: Date?
        let start = Date()
        var finished = 0
        var memory: [Int] = residentMemoryBytes().map { [$0] } ?? []
        var lastSample = Date()
        let cpuBefore = Self.cpuSeconds()
        let rssEvery = rssEvery
        var byTrials: [(trials: Int, mb: Double)] = []
        var warmUpLongestTurn = 0.0
        // Past the start-up (every worker asking at once, the sampler's first fits), dispatch
        // latency is also recorded apart: what a long study sees.
        let steady = LatencyRecorder()
        let warmUp = min(5, 0.25 * (seconds ?? .infinity))
        scheduler.onTrialFinished = { _, _ in
            finished += 1
            if firstTrial == nil { firstTrial = Date() }
            if scheduler.dispatchLatencies !== steady, Date().timeIntervalSince(start) >= warmUp {
                scheduler.dispatchLatencies = steady
                warmUpLongestTurn = scheduler.longestTurn
                scheduler.longestTurn = 0
            }
            if let rssEvery, finished % rssEvery == 0, let rss = residentMemoryBytes() {
                byTrials.append((finished, Double(rss) / 1_048_576))
                FileHandle.standardError.write(Data(String(format: "%d trials: scheduler RSS %.1f MB, %.1f s\n", finished, Double(rss) / 1_048_576, Date().timeIntervalSince(start)).utf8))
            }
            if finished % 256 == 0, Date().timeIntervalSince(lastSample) >= 5, let rss = residentMemoryBytes() {
                memory.append(rss)
                lastSample = Date()
            }
        }
        let limit = seconds
        try scheduler.run(shouldStop: { limit.map { Date().timeIntervalSince(start) >= $0 } ?? false })
        let end = Date()
        let cpu = Self.cpuSeconds() - cpuBefore
        let latencies = LatencyRecorder()
        for sample in warmUpLatencies.samples + steady.samples { latencies.record(sample) }
        children.wait()
        let reports = simulated.compactMap { $0.report() }
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
        let wall = end.timeIntervalSince(start)
        let asks = active.samplerAsks
        var object: [String: Any] = [
            "benchmark": "daemon", "trials": finished, "workers": workerCount, "hold": hold, "sampler": sampler, "trials_per_s": rate.rounded(),
            "scheduler_cpu_ms_per_trial": cpu * 1000 / Double(max(finished, 1)), "scheduler_cpu_percent": 100 * cpu / wall,
            "dispatch_p50_ms": latencies.quantile(0.5) * 1000, "dispatch_p99_ms": latencies.quantile(0.99) * 1000,
            "wall_s": wall, "lost": lost, "requeued_at_stop": counts[.waiting] ?? 0,
            "rss_mb": memory.map { Double($0) / 1_048_576 }, "workers_dropped": dropped.count, "messages_unsent": dropped.unsentMessages,
            "rss_mb_by_trials": byTrials.map { [$0.trials, $0.mb] as [Any] },
            "sampler_asks": asks.count, "sampler_ask_mean_ms": asks.count > 0 ? asks.seconds * 1000 / Double(asks.count) : 0,
            "scheduler_longest_turn_ms": max(warmUpLongestTurn, scheduler.longestTurn) * 1000,
        ]
        if !steady.samples.isEmpty {
            // Runs shorter than the warm-up have none (and JSON has no NaN).
            object["steady_after_s"] = warmUp
            object["steady_dispatch_p99_ms"] = steady.quantile(0.99) * 1000
            object["steady_dispatch_samples"] = steady.samples.count
            object["steady_longest_turn_ms"] = scheduler.longestTurn * 1000
        }
        if simulate != nil {
            let idle = reports.reduce(0) { $0 + $1.idleSeconds }, busy = reports.reduce(0) { $0 + $1.busySeconds }
            let seen = LatencyRecorder()
            for report in reports { for ms in report.dispatchMs { seen.record(ms / 1000) } }
            object["simulated_hosts"] = simulated.count
            object["simulated_hosts_reporting"] = reports.count
            object["trial_ms"] = trialMs
            object["worker_idle_fraction"] = idle + busy > 0 ? idle / (idle + busy) : 0
            object["worker_seen_dispatch_p50_ms"] = seen.quantile(0.5) * 1000
            object["worker_seen_dispatch_p99_ms"] = seen.quantile(0.99) * 1000
            let first = LatencyRecorder()
            for report in reports { for ms in report.firstDispatchMs { first.record(ms / 1000) } }
            object["worker_first_assign_p50_ms"] = first.quantile(0.5) * 1000
            object["worker_first_assign_p99_ms"] = first.quantile(0.99) * 1000
            object["worker_heartbeat_misses"] = reports.reduce(0) { $0 + $1.heartbeatMisses }
            object["worker_heartbeat_misses_while_simulator_lagged"] = reports.reduce(0) { $0 + $1.heartbeatMissesWhileLagging }
            object["simulator_longest_turn_s"] = reports.map(\.longestTurn).max() ?? 0
            object["worker_longest_silence_s"] = reports.map(\.longestSilence).max() ?? 0
            object["worker_longest_join_s"] = reports.map(\.longestJoin).max() ?? 0
        }
        // The simulation's figures are many; they come as JSON only.
        if json || simulate != nil {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%d trials with %d workers holding %d: %.0f trials/s end to end (ZeroMQ + SQLite); scheduler CPU %.3f ms/trial; dispatch latency p50 %.3f ms, p99 %.3f ms",
                         finished, workers, hold, rate, cpu * 1000 / Double(max(finished, 1)), latencies.quantile(0.5) * 1000, latencies.quantile(0.99) * 1000))
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

/// Counts the workers the scheduler dropped for silence and the messages it could not hand to
/// ZeroMQ (its log says so, one line each).
final class DropCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var dropped = 0
    private var unsent = 0
    func note(_ line: String) {
        if line.contains("went silent") { lock.withLock { dropped += 1 } }
        if line.contains("could not reach") || line.contains("failed:") && line.hasPrefix("send to") { lock.withLock { unsent += 1 } }
    }
    var count: Int { lock.withLock { dropped } }
    var unsentMessages: Int { lock.withLock { unsent } }
}

/// One `tuna bench sim-workers` child, its JSON report read from its output when it ends.
final class SimulatedHostProcess {
    private let process = Process()
    private let output = Pipe()
    private let reader: Thread

    init(endpoint: String, count: Int, name: String, trialMs: String, heartbeat: Double, seconds: Double, seed: UInt64) throws {
        process.executableURL = try OwnExecutable.url()
        process.arguments = ["bench", "sim-workers", "--connect", endpoint, "--count", "\(count)", "--name", name,
                             "--trial-ms", trialMs, "--heartbeat", "\(heartbeat)", "--seconds", "\(seconds)", "--seed", "\(seed)"]
        process.standardOutput = output
        try process.run()
        // Read as it comes, so a full pipe never blocks the child.
        let handle = output.fileHandleForReading
        let box = DataBox()
        reader = Thread { box.data = handle.readDataToEndOfFile() }
        self.box = box
        reader.start()
    }

    private let box: DataBox
    final class DataBox: @unchecked Sendable { var data = Data() }

    /// The child's report, waiting up to 30 s for it to end.
    func report() -> SimulatedReport? {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return nil }
        while !reader.isFinished && Date() < deadline { usleep(1000) }
        guard let line = String(decoding: box.data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try? JSONDecoder().decode(SimulatedReport.self, from: Data(line.utf8))
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }
}
