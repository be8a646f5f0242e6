import Foundation
import TunaTensor

/// The CSV-loading benchmark: a synthetic numeric file of a chosen size and a timed load, so the
/// command-line tool (and a reviewer) can compare Tuna with `pandas.read_csv` on the same file.
public enum CSVBenchmark {
    /// What one timed load measured.
    public struct Result: Sendable, CustomStringConvertible {
        public var path: String
        public var bytes: Int
        public var rows: Int
        public var columns: Int
        /// Best wall-clock time over the repetitions, in seconds.
        public var seconds: Double
        public var megabytesPerSecond: Double { Double(bytes) / 1_000_000 / seconds }
        public var description: String {
            String(
                format: "%@: %d rows x %d columns, %.1f MB in %.3f s (%.0f MB/s)", path, rows, columns,
                Double(bytes) / 1_000_000, seconds, megabytesPerSecond)
        }
    }

    /// Writes a numeric CSV of about `bytes` bytes: `columns` float columns with 6-7 significant
    /// digits (what `DataFrame.to_csv` writes for measurements), an integer column and a few
    /// missing values, reproducible from `seed`.
    public static func writeSyntheticCSV(path: String, bytes: Int = 100_000_000, columns: Int = 20, seed: UInt64 = 0) throws {
        var rng = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 4096)
        let header = (0..<columns).map { "f\($0)" }.joined(separator: ",") + ",count\n"
        out.append(contentsOf: header.utf8)
        var chunk = ""
        while out.count < bytes {
            chunk.removeAll(keepingCapacity: true)
            for _ in 0..<256 {
                for c in 0..<columns {
                    if rng.nextInt(below: 1000) == 0 {
                        chunk += "NA"
                    } else {
                        let value = (rng.nextDouble() - 0.5) * pow(10, Double(c % 5))
                        chunk += String(format: "%.6g", value)
                    }
                    chunk += ","
                }
                chunk += String(rng.nextInt(below: 100_000))
                chunk += "\n"
            }
            out.append(contentsOf: chunk.utf8)
        }
        do {
            try Data(out).write(to: URL(fileURLWithPath: path))
        } catch {
            throw DataError("cannot write the benchmark file (\(error.localizedDescription))", file: path)
        }
    }

    /// Loads `path` `repetitions` times (file reading included) and reports the best time.
    public static func run(path: String, repetitions: Int = 3) throws -> Result {
        var best = Double.infinity
        var table: Table?
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            table = try CSV.load(path: path)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, elapsed)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Result(
            path: path, bytes: size, rows: table?.rowCount ?? 0, columns: table?.columnCount ?? 0, seconds: best)
    }
}
