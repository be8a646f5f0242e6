import Foundation
import TunaData
import TunaNN

/// Why a model cannot be written as ONNX; the message names the layer or step.
public struct ONNXExportError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// An exported model as an ONNX file: the fitted numeric preprocessing (imputation, scaling,
/// dropped columns) as operators in front of the network, so that a runtime given the raw
/// feature columns, in `inputColumns` order, gives what `tuna predict` gives: class
/// probabilities (two columns for a single sigmoid unit) or values in the target's own units.
public enum ONNXExport {
    /// The graph's input: raw numeric features `(batch, columns)`.
    public static let inputName = "features"

    /// The file's bytes. `classification` says whether the output is class probabilities;
    /// `categoricalColumns` are the input columns that hold text, which the graph cannot read.
    public static func encode(
        model: Sequential, pipeline: FittedPipeline, categoricalColumns: [String], classification: Bool, description: String
    ) throws -> Data {
        guard let networkShape = model.inputShape else { throw ONNXExportError("the model is not built") }
        if !categoricalColumns.isEmpty {
            throw ONNXExportError("cannot export to ONNX: the model reads the categorical column\(categoricalColumns.count == 1 ? "" : "s") \(categoricalColumns.map { "'\($0)'" }.joined(separator: ", ")) (the ONNX graph reads numbers only)")
        }
        var graph = ONNXGraph()
        var x = try preprocessing(pipeline, &graph)
        x = graph.add("Reshape", [x, graph.ints("input_shape", [-1] + networkShape)])
        var converter = LayerConverter(graph: graph, shape: networkShape)
        for layer in model.layers { x = try converter.convert(layer, x) }
        graph = converter.graph
        let outputName: String
        var width = converter.shape.reduce(1, *)
        if classification {
            outputName = "probabilities"
            if width == 1 {
                // One sigmoid unit for two classes: [1 - p, p], as `tuna predict` reports them.
                let one = graph.floats("one", [1], shape: [1])
                x = graph.add("Concat", [graph.add("Sub", [one, x]), x], [.int("axis", 1)])
                width = 2
            }
        } else {
            outputName = "prediction"
            if let scaler = pipeline.targetScaler {
                let shift = graph.floats("target_shift", [Float(scaler.shifts[0])], shape: [1])
                let scale = graph.floats("target_scale", [Float(scaler.scales[0])], shape: [1])
                let offset = graph.floats("target_offset", [Float(scaler.offsets[0])], shape: [1])
                x = graph.add("Add", [graph.add("Mul", [graph.add("Sub", [x, shift]), scale]), offset])
            }
        }
        graph.output(x, as: outputName)
        return graph.encoded(
            input: (inputName, [nil, pipeline.inputColumns.count]), output: (outputName, [nil, width]), docString: description)
    }

    /// The fitted steps as operators on `(batch, columns)`; returns the last value's name.
    /// Categorical steps are refused: the graph reads numbers only.
    static func preprocessing(_ pipeline: FittedPipeline, _ graph: inout ONNXGraph) throws -> String {
        var columns = pipeline.inputColumns
        var x = inputName
        /// Per-column constants for the current columns, `missing` for the columns a step leaves alone.
        func perColumn(_ names: [String], _ values: [Double], missing: Double) -> [Float] {
            var byName: [String: Double] = [:]
            for (name, value) in zip(names, values) { byName[name] = value }
            return columns.map { Float(byName[$0] ?? missing) }
        }
        for step in pipeline.steps {
            switch step {
            case .impute(let numeric, let categorical):
                if let name = categorical.keys.sorted().first {
                    throw ONNXExportError("cannot export to ONNX: the preprocessing imputes the categorical column '\(name)' (the ONNX graph reads numbers only)")
                }
                let names = Array(numeric.keys)
                let fill = perColumn(names, names.map { numeric[$0] ?? .nan }, missing: .nan)
                let fills = graph.floats("impute_values", fill, shape: [columns.count])
                x = graph.add("Where", [graph.add("IsNaN", [x]), fills, x])
            case .dropDuplicates:
                continue
            case .scale(let affine):
                let offsets = graph.floats("scale_offsets", perColumn(affine.columns, affine.offsets, missing: 0), shape: [columns.count])
                let scales = graph.floats("scale_divisors", perColumn(affine.columns, affine.scales, missing: 1), shape: [columns.count])
                let shifts = graph.floats("scale_shifts", perColumn(affine.columns, affine.shifts, missing: 0), shape: [columns.count])
                x = graph.add("Add", [graph.add("Div", [graph.add("Sub", [x, offsets]), scales]), shifts])
            case .oneHot(let codes):
                throw ONNXExportError("cannot export to ONNX: one-hot encoding of \(codes.columns.map { "'\($0)'" }.joined(separator: ", ")) is not supported (the ONNX graph reads numbers only)")
            case .ordinal(let codes):
                throw ONNXExportError("cannot export to ONNX: ordinal encoding of \(codes.columns.map { "'\($0)'" }.joined(separator: ", ")) is not supported (the ONNX graph reads numbers only)")
            case .normalizeRows(let names):
                x = normalizeRows(x, series: perColumn(names, names.map { _ in 1 }, missing: 0), &graph)
            case .drop(let names):
                let kept = columns.indices.filter { !names.contains(columns[$0]) }
                x = graph.add("Gather", [x, graph.ints("kept_columns", kept)], [.int("axis", 1)])
                columns = kept.map { columns[$0] }
            }
        }
        guard columns == pipeline.outputColumns else {
            throw ONNXExportError("cannot export to ONNX: the pipeline's columns (\(columns.joined(separator: ", "))) differ from the network's inputs (\(pipeline.outputColumns.joined(separator: ", ")))")
        }
        return x
    }

    /// Per-series z-normalisation as `RowNormalization` does it: over the series columns (mask
    /// 1) of each row, missing cells skipped by the mean and the deviation and left missing, a
    /// row with no spread divided by 1. Other columns pass through unchanged.
    static func normalizeRows(_ x: String, series mask: [Float], _ graph: inout ONNXGraph) -> String {
        let width = mask.count
        let inSeries = graph.floats("series_mask", mask, shape: [1, width])
        let zero = graph.floats("series_zero", [0], shape: [1])
        let one = graph.floats("series_one", [1], shape: [1])
        let rowAxis = graph.ints("series_axis", [1])
        let missing = graph.add("IsNaN", [x])
        let present = graph.add("Mul", [graph.add("Cast", [graph.add("Not", [missing])], [.int("to", 1)]), inSeries])
        let filled = graph.add("Where", [missing, zero, x])
        func rowSum(_ value: String) -> String { graph.add("ReduceSum", [value, rowAxis], [.int("keepdims", 1)]) }
        let count = graph.add("Max", [rowSum(present), one])
        let mean = graph.add("Div", [rowSum(graph.add("Mul", [filled, present])), count])
        let deviations = graph.add("Mul", [graph.add("Sub", [filled, mean]), present])
        let spread = graph.add("Sqrt", [graph.add("Div", [rowSum(graph.add("Mul", [deviations, deviations])), count])])
        let divisor = graph.add("Where", [graph.add("Greater", [spread, zero]), spread, one])
        let normalized = graph.add("Div", [graph.add("Sub", [x, mean]), divisor])
        return graph.add("Where", [graph.add("Greater", [inSeries, zero]), normalized, x])
    }
}
