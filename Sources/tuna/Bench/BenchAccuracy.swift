import ArgumentParser
import Foundation
import TunaNN
import TunaTensor

/// `tuna bench accuracy`: test accuracy on real data sets (digits, GunPoint, BasicMotions) of
/// small CNN, LSTM, GRU and Transformer models, optionally beside PyTorch models of the same
/// architecture and training settings run by bench/accuracy_reference.py in the same session.
struct BenchAccuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "Test accuracy on real data (digits CNN, GunPoint LSTM/GRU, BasicMotions Transformer), optionally beside PyTorch.")

    @Option(help: "Workload ids, comma-separated (\(AccuracyWorkload.all.map(\.id).joined(separator: ", "))).")
    var only = AccuracyWorkload.all.map(\.id).joined(separator: ",")

    @Option(help: "Training runs per workload (seeds 0..n-1); the mean and standard deviation are reported.")
    var seeds = 5

    @Option(help: "The folder holding the data files.")
    var datasets = "datasets"

    @Option(help: "Train every workload for this many epochs instead of its own (both sides), e.g. to compare below the ceiling.")
    var epochs: Int?

    @Option(help: "A Python with torch installed: runs the reference script in the same session and prints the differences.")
    var reference: String?

    @Option(help: "The PyTorch reference script.")
    var referenceScript = "bench/accuracy_reference.py"

    @Option(help: "How the PyTorch layers start: 'keras' (as Tuna's do) or 'torch' (PyTorch's defaults).")
    var referenceInit = "keras"

    @Flag(help: "Print one JSON object per workload instead of a table.")
    var json = false

    func run() throws {
        let workloads = try AccuracyWorkload.selected(only)
        guard seeds > 0 else { throw ValidationError("--seeds must be positive, got \(seeds)") }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard ["keras", "torch"].contains(referenceInit) else {
            throw ValidationError("--reference-init is 'keras' or 'torch', got '\(referenceInit)'")
        }
        var torch: [String: (accuracies: [Double], seconds: Double)] = [:]
        if let reference { torch = try runReference(python: reference, ids: workloads.map(\.id)) }
        BLAS.setThreads(1)
        if !json { print("workload                   Tuna accuracy (mean ± sd)  s/run   PyTorch accuracy  s/run   difference (points)") }
        for workload in workloads {
            let split: AccuracyWorkload.Split
            do { split = try workload.load(datasets) } catch {
                throw ValidationError("\(workload.id): cannot load its data from \(datasets) (set --datasets): \(error)")
            }
            var accuracies: [Double] = []
            var seconds: Double = 0
            for seed in 0..<seeds {
                let start = Date()
                let model = try Sequential(inputShape: workload.inputShape, layers: workload.layers, seed: UInt64(seed))
                try model.compile(
                    optimizer: Adam(learningRate: workload.learningRate), loss: .sparseCategoricalCrossentropy(fromLogits: true),
                    metrics: ["accuracy"])
                try model.fit(split.xTrain, split.yTrain, epochs: epochs ?? workload.epochs, batchSize: workload.batchSize)
                let logs = try model.evaluate(split.xTest, split.yTest, batchSize: 256)
                accuracies.append(logs["accuracy"] ?? .nan)
                seconds += Date().timeIntervalSince(start)
            }
            let mine = Self.meanAndDeviation(accuracies)
            let theirs = torch[workload.id].map { (Self.meanAndDeviation($0.accuracies), $0.seconds) }
            if json {
                var object: [String: Any] = [
                    "workload": workload.id, "architecture": workload.summary, "epochs": epochs ?? workload.epochs,
                    "batch_size": workload.batchSize, "learning_rate": Double(workload.learningRate),
                    "tuna_accuracies": accuracies, "tuna_mean": mine.mean, "tuna_sd": mine.sd, "tuna_seconds_per_run": seconds / Double(seeds),
                ]
                if let (stats, time) = theirs {
                    object["torch_mean"] = stats.mean
                    object["torch_sd"] = stats.sd
                    object["torch_seconds_per_run"] = time
                    object["difference_points"] = 100 * (mine.mean - stats.mean)
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let torchText = theirs.map { String(format: "%.4f ± %.4f  %6.2f", $0.0.mean, $0.0.sd, $0.1) } ?? "-"
                let difference = theirs.map { String(format: "%+.1f", 100 * (mine.mean - $0.0.mean)) } ?? "-"
                let id = workload.id.padding(toLength: 26, withPad: " ", startingAt: 0)
                print(id + String(format: " %.4f ± %.4f           %6.2f   ", mine.mean, mine.sd, seconds / Double(seeds)) + torchText + "   " + difference)
            }
        }
    }

    static func meanAndDeviation(_ values: [Double]) -> (mean: Double, sd: Double) {
        let mean = values.reduce(0, +) / Double(Swift.max(values.count, 1))
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(Swift.max(values.count - 1, 1))
        return (mean, variance.squareRoot())
    }

    /// Runs the reference script: its last line is one JSON object, workload id → accuracies and seconds.
    func runReference(python: String, ids: [String]) throws -> [String: (accuracies: [Double], seconds: Double)] {
        guard FileManager.default.fileExists(atPath: referenceScript) else {
            throw ValidationError("no reference script at \(referenceScript) (set --reference-script)")
        }
        FileHandle.standardError.write(Data("running the PyTorch reference: \(python) \(referenceScript)\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [referenceScript, "--only", ids.joined(separator: ","), "--seeds", String(seeds), "--datasets", datasets, "--init", referenceInit]
            + (epochs.map { ["--epochs", String($0)] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { throw ValidationError("cannot run \(python): \(error.localizedDescription)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let last = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        else { throw ValidationError("the reference run failed (exit \(process.terminationStatus))") }
        var result: [String: (accuracies: [Double], seconds: Double)] = [:]
        for (id, entry) in object {
            guard let entry = entry as? [String: Any], let accuracies = entry["accuracies"] as? [Double] else { continue }
            result[id] = (accuracies, entry["seconds_per_run"] as? Double ?? .nan)
        }
        return result
    }
}
