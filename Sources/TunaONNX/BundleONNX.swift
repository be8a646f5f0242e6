import Foundation
import TunaExport

extension ModelBundle {
    /// The bundle's network and numeric preprocessing as an ONNX file's bytes; the graph's
    /// documentation string says where it came from.
    public func onnx() throws -> Data {
        let categorical = info.inputColumns.filter { $0.kind == .categorical }.map(\.name)
        let classes = info.classNames.map { "classes: " + $0.joined(separator: ", ") } ?? "regression on \(info.target)"
        return try ONNXExport.encode(
            model: model, pipeline: info.pipeline, categoricalColumns: categorical, classification: info.classNames != nil,
            description: "tuna study \(info.study), trial \(info.trial); input columns: \(info.pipeline.inputColumns.joined(separator: ", ")); \(classes)")
    }
}

extension ONNXExport {
    /// Writes atomically, so a failed export never leaves a truncated file a runtime would half read.
    public static func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ONNXExportError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
