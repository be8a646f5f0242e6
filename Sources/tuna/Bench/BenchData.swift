import ArgumentParser
import Foundation
import TunaData

/// `tuna bench data`: loading a large numeric CSV, beside pandas.read_csv run on the same file
/// in the same session when a Python with pandas is given.
struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "CSV loading speed (a synthetic 100 MB numeric file), optionally beside pandas.")

    @Option(help: "Size of the synthetic CSV in megabytes.") var megabytes = 100
    @Option(help: "Timed repetitions (the best is reported, as for pandas).") var repeats = 3
    @Option(help: "A Python with pandas installed, to time pandas.read_csv on the same file.") var reference: String?

    func run() throws {
        let path = NSTemporaryDirectory() + "tuna-bench-\(megabytes)mb.csv"
        if !FileManager.default.fileExists(atPath: path) {
            try CSVBenchmark.writeSyntheticCSV(path: path, bytes: megabytes * 1_000_000)
        }
        let ours = try CSVBenchmark.run(path: path, repetitions: repeats)
        print("tuna:   \(ours)")
        guard let reference else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: reference)
        process.arguments = ["-c", """
            import time, pandas as pd
            best = min((lambda t: (pd.read_csv('\(path)'), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(\(repeats)))
            print(best)
            """]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let seconds = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("the pandas run failed: \(output)")
        }
        print(String(format: "pandas: %.3f s; tuna / pandas time ratio %.2f (below 1 is faster than pandas)", seconds, ours.seconds / seconds))
    }
}
