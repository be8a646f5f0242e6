import ArgumentParser
import Foundation
import TunaNN
import TunaTensor

/// `tuna bench train`: training throughput on the reference workloads, with 1 and 2 BLAS
/// threads, optionally beside PyTorch run by shared/bench/train_bench.py in the same session.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training throughput (samples/s, GFLOP/s) on the reference workloads W1-W4.")

    @Option(help: "Workload ids, comma-separated (W1 seed-mlp, W2 mnist-mlp, W3 cnn, W4 lstm).")
    var only = "W1,W2,W3,W4"

    @Option(help: "BLAS thread counts to measure, comma-separated.")
    var threads = "1,2"

    @Option(help: "Timed repeats per measurement (the median is reported).")
    var repeats = 3

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    @Option(help: "A Python with torch installed: runs train_bench.py in the same session and prints ratios.")
    var reference: String?

    @Option(help: "The folder holding train_bench.py.")
    var referenceDir = "../shared/bench"

    func run() throws {
        let workloads = try TrainWorkload.selected(only)
        let threadCounts = try threads.split(separator: ",").map { text -> Int in
            guard let n = Int(text), n > 0 else { throw ValidationError("--threads takes positive integers, got '\(text)'") }
            return n
        }
        var torch: [String: Double] = [:]
        if let reference {
            torch = try runReference(python: reference, ids: workloads.map(\.id))
        }
        if !json {
            print("workload      threads  samples/s   GFLOP/s   s/epoch   PyTorch(2 thr) samples/s   ratio")
        }
        for workload in workloads {
            let (x, y) = workload.makeData()
            for count in threadCounts {
                BLAS.setThreads(1)
                let seconds = try measure(workload, x: x, y: y, threads: count)
                let samples = Double(workload.rows * workload.epochs) / seconds
                let gflops = 3 * Double(workload.forwardFlopsPerSample) * samples / 1e9
                let reference = torch[workload.id]
                let ratio = reference.map { samples / $0 }
                if json {
                    var object: [String: Any] = [
                        "workload": workload.id, "name": workload.name, "threads": count,
                        "samples_per_s": samples.rounded(), "gflops": (gflops * 100).rounded() / 100,
                        "sec_per_epoch": seconds / Double(workload.epochs),
                    ]
                    if let reference { object["torch_samples_per_s"] = reference.rounded() }
                    if let ratio { object["ratio_to_torch"] = (ratio * 100).rounded() / 100 }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(String(
                        format: "%@ %-9@ %7d %10.0f %9.1f %9.3f   %18@   %@",
                        workload.id, workload.name, count, samples, gflops, seconds / Double(workload.epochs),
                        reference.map { String(format: "%.0f", $0) } ?? "-",
                        ratio.map { String(format: "%.2fx", $0) } ?? "-"))
                }
            }
        }
    }

    /// The median time of `repeats` timed fits after a warm-up of 20 batches (as train_bench.py).
    func measure(_ workload: TrainWorkload, x: Tensor, y: Tensor, threads: Int) throws -> Double {
        let model = try workload.makeModel()
        // More than one thread: the batch is split across that many cores (data parallelism
        // with one BLAS thread each), which beats multi-threaded BLAS on these small products.
        model.replicas = threads
        let warm = workload.batchSize * 20
        try model.fit(x.rows(0..<warm), y.rows(0..<warm), epochs: 1, batchSize: workload.batchSize)
        var times: [Double] = []
        for _ in 0..<Swift.max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try model.fit(x, y, epochs: workload.epochs, batchSize: workload.batchSize)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Runs train_bench.py for PyTorch and returns its median samples/s per workload.
    func runReference(python: String, ids: [String]) throws -> [String: Double] {
        let script = URL(fileURLWithPath: referenceDir).appendingPathComponent("train_bench.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw ValidationError("no train_bench.py in \(referenceDir) (set --reference-dir)")
        }
        FileHandle.standardError.write(Data("running PyTorch reference: \(python) \(script.path) --only \(ids.joined(separator: ","))\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--only", ids.joined(separator: ","), "--frameworks", "torch", "--no-sgemm", "--repeats", String(repeats)]
        process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        var environment = ProcessInfo.processInfo.environment
        environment["BENCH_RESULTS"] = NSTemporaryDirectory() + "tuna-bench-results.jsonl"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            throw ValidationError("cannot run \(python): \(error.localizedDescription)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let last = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
              let workloads = object["workloads"] as? [String: Any]
        else { throw ValidationError("the reference run failed (exit \(process.terminationStatus))") }
        var result: [String: Double] = [:]
        for (id, entry) in workloads {
            if let torch = (entry as? [String: Any])?["torch"] as? [String: Any],
               let samples = torch["samples_per_s"] as? [String: Any], let median = samples["median"] as? Double {
                result[id] = median
            }
        }
        return result
    }
}
