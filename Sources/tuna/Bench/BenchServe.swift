import ArgumentParser
import Dispatch
import Foundation
import TunaData
import TunaExport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tuna bench serve MODEL DATA`: the latency of `POST /predict` on a real `tuna serve` over
/// loopback (1 row and 1,000 rows per request, one request at a time), and the rows per second
/// of `tuna predict` on a 100,000-row CSV made by repeating DATA's rows.
struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serving latency (p50/p99 of POST /predict) and `tuna predict` throughput.")

    @Argument(help: "The model file written by `tuna export`.") var model: String
    @Argument(help: "A CSV with the model's input columns; its rows are cycled to fill requests.") var data: String
    @Option(help: "Timed requests per size.") var requests = 200
    @Option(help: "Rows of the generated CSV for `tuna predict`.") var predictRows = 100_000
    @Option(help: "The same model as ONNX (`tuna export --onnx`), to time onnxruntime beside it.") var onnx: String?
    @Option(help: "A Python with onnxruntime and numpy, for the ONNX reference (bench/onnx_reference.py).") var reference: String?

    func run() throws {
        let bundle = try ModelBundle.load(path: model)
        let (table, _) = try bundle.readRows(path: data)
        guard table.rowCount > 0 else { throw ValidationError("\(data) has no rows") }
        let rows = try jsonRows(table, columns: bundle.info.inputColumns)
        let executable = try OwnExecutable.url()

        let server = Process()
        server.executableURL = executable
        server.arguments = ["serve", model, "--port", "0"]
        let errors = Pipe()
        server.standardError = errors
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let base = try listeningAddress(errors.fileHandleForReading)
        var latencies: [Int: (Double, Double)] = [:]

        for count in [1, 1000] {
            let body = try JSONSerialization.data(withJSONObject: ["rows": (0..<count).map { rows[$0 % rows.count] }])
            for _ in 0..<5 { _ = try post(base, body) }
            var seconds: [Double] = []
            for _ in 0..<max(requests, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                let status = try post(base, body)
                guard status == 200 else { throw ValidationError("POST /predict answered \(status)") }
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            seconds.sort()
            let p50 = seconds[seconds.count / 2], p99 = seconds[min(seconds.count - 1, seconds.count * 99 / 100)]
            print(String(format: "POST /predict, %5d row%@: p50 %.2f ms, p99 %.2f ms (%d requests)", count, count == 1 ? " " : "s", p50 * 1e3, p99 * 1e3, seconds.count))
            latencies[count] = (p50, p99)
        }

        let csv = NSTemporaryDirectory() + "tuna-bench-serve-\(predictRows).csv"
        try writeRepeated(from: data, rows: predictRows, to: csv)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let predict = Process()
        predict.executableURL = executable
        predict.arguments = ["predict", model, csv, "--out", "/dev/null"]
        predict.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try predict.run()
        predict.waitUntilExit()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard predict.terminationStatus == 0 else { throw ValidationError("tuna predict failed on \(csv)") }
        print(String(format: "tuna predict, %d rows: %.2f s, %.0f rows/s (process start, CSV read, pipeline, network, output)", predictRows, elapsed, Double(predictRows) / elapsed))
        if let onnx, let reference {
            try compareWithONNXRuntime(onnx: onnx, python: reference, csv: csv, columns: bundle.info.pipeline.inputColumns,
                                       latencies: latencies, rowsPerSecond: Double(predictRows) / elapsed)
        }
    }

    /// Times onnxruntime on the exported ONNX file with the same rows, in the same session, and
    /// prints the ratios (Tuna's HTTP latency includes the request; onnxruntime's is one call).
    func compareWithONNXRuntime(onnx: String, python: String, csv: String, columns: [String],
                                latencies: [Int: (Double, Double)], rowsPerSecond: Double) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../bench/onnx_reference.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, onnx, csv, columns.joined(separator: ","), String(max(requests, 1))]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Double] else {
            throw ValidationError("the ONNX reference failed (is onnxruntime installed for \(python)?)")
        }
        for count in [1, 1000] {
            guard let (p50, p99) = latencies[count], let reference50 = object["p50_ms_\(count)"], let reference99 = object["p99_ms_\(count)"] else { continue }
            print(String(format: "onnxruntime, %5d row%@: p50 %.3f ms, p99 %.3f ms (one session.run, no HTTP); Tuna over HTTP / onnxruntime: %.1fx, %.1fx",
                         count, count == 1 ? " " : "s", reference50, reference99, p50 * 1e3 / reference50, p99 * 1e3 / reference99))
        }
        if let referenceRate = object["rows_per_s"] {
            print(String(format: "onnxruntime, %.0f rows from the CSV: %.0f rows/s (numpy read + one run); tuna predict / onnxruntime: %.2fx",
                         object["rows"] ?? 0, referenceRate, rowsPerSecond / referenceRate))
        }
    }

    /// The table's input columns as JSON objects, missing values as null.
    func jsonRows(_ table: Table, columns: [InputColumn]) throws -> [[String: Any]] {
        let picked = try columns.map { try table.column(named: $0.name) }
        return (0..<table.rowCount).map { r in
            var row: [String: Any] = [:]
            for (column, values) in zip(columns, picked) {
                switch values {
                case .numeric(let x): row[column.name] = x[r].isNaN ? NSNull() : x[r]
                case .categorical(let x): row[column.name] = x[r] ?? NSNull()
                }
            }
            return row
        }
    }

    /// Reads the server's stderr up to its "serving ... on http://host:port" line.
    func listeningAddress(_ handle: FileHandle) throws -> URL {
        var text = ""
        while !text.contains("\n") || !text.contains("serving") {
            let chunk = handle.availableData
            guard !chunk.isEmpty else { throw ValidationError("tuna serve stopped: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://[^ ]+"#, options: .regularExpression), let url = URL(string: String(text[range])) else {
            throw ValidationError("no address in: \(text)")
        }
        return url
    }

    /// One POST /predict, waited for; its status.
    func post(_ base: URL, _ body: Data) throws -> Int {
        var request = URLRequest(url: base.appendingPathComponent("predict"), timeoutInterval: 60)
        request.httpMethod = "POST"
        request.httpBody = body
        let box = StatusBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, response, error in
            box.set(error.map { .failure($0) } ?? .success((response as? HTTPURLResponse)?.statusCode ?? -1))
            done.signal()
        }.resume()
        done.wait()
        return try box.result?.get() ?? -1
    }

    /// DATA's header, then its data lines cycled until `rows` lines.
    func writeRepeated(from source: String, rows: Int, to path: String) throws {
        let lines = try String(contentsOfFile: source, encoding: .utf8).components(separatedBy: .newlines).filter { !$0.isEmpty }
        guard let header = lines.first, lines.count > 1 else { throw ValidationError("\(source) has no rows") }
        let body = lines.dropFirst()
        var text = header + "\n"
        text.reserveCapacity(rows * (body.first?.count ?? 10) + 100)
        for i in 0..<rows { text += body[body.startIndex + i % body.count] + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// A request's outcome, handed from URLSession's queue to the waiting thread.
private final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<Int, any Error>?

    func set(_ result: Result<Int, any Error>) { lock.withLock { stored = result } }
    var result: Result<Int, any Error>? { lock.withLock { stored } }
}
