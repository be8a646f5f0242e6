import Foundation
import Testing

/// `tuna export --onnx`: real studies exported and run with onnxruntime in a scratch Python
/// environment, whose probabilities must match `tuna predict --proba` within 1e-4; the model
/// file's weights are opened with the `safetensors` package.
@Suite(.serialized) struct ONNXExportTests {
    /// Kept across runs (pip is the slow part); the suffix changes when the packages do.
    static let venv = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-onnx-venv-1").path
    static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../datasets").standardized.path

    /// Runs a program found on the PATH to completion; (status, stdout + stderr).
    static func shell(_ arguments: [String], timeout: Double = 600) throws -> (Int32, String) {
        try runProgram("/usr/bin/env", arguments, timeout: timeout)
    }

    /// The environment's python, installing onnxruntime, numpy and safetensors the first time;
    /// nil (with a visible note) when that cannot be done, e.g. without network.
    static func python() throws -> String? {
        let python = venv + "/bin/python"
        let check = [python, "-c", "import onnxruntime, numpy, safetensors"]
        if FileManager.default.isExecutableFile(atPath: python), try shell(check).0 == 0 { return python }
        let (made, madeLog) = try shell(["python3", "-m", "venv", venv])
        let (installed, log) = made == 0
            ? try shell([venv + "/bin/pip", "install", "--quiet", "onnxruntime", "numpy", "safetensors"]) : (made, madeLog)
        guard installed == 0, try shell(check).0 == 0 else {
            print("ONNXExportTests: SKIPPED, no Python environment with onnxruntime (\(log.suffix(300)))")
            return nil
        }
        return python
    }

    /// Prints, as JSON, onnxruntime's probabilities for the CSV's feature columns and the model
    /// file's tensor names and shapes as safetensors reads them.
    static let script = """
        import csv, json, sys
        import numpy as np
        import onnxruntime as ort
        from safetensors.numpy import load_file
        onnx_path, csv_path, target, model_path = sys.argv[1:5]
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
        columns = [c for c in rows[0] if c != target]
        x = np.array([[float(r[c]) for c in columns] for r in rows], dtype=np.float32)
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        (output,) = session.run(None, {"features": x})
        weights = load_file(model_path)
        print(json.dumps({"outputs": output.astype(float).tolist(), "weights": {k: list(v.shape) for k, v in weights.items()}}))
        """

    /// Runs a one-trial study, exports it with `--onnx`, and compares onnxruntime with `tuna
    /// predict --proba` on every row of `data`. Returns the largest difference and the weights' shapes.
    static func roundTrip(
        _ workspace: Workspace, python: String, name: String, study: String, data: String, target: String = "target"
    ) throws -> (Double, [String: [Int]]) {
        let studyPath = try workspace.write("\(name).yaml", study)
        let (status, _, errors) = try TunaProcess.run(["run", studyPath, "--db", workspace.db, "--workers", "1"], in: workspace.url, timeout: 180)
        try #require(status == 0, "\(errors)")
        let model = workspace.url.appendingPathComponent("\(name).model").path
        let onnx = workspace.url.appendingPathComponent("\(name).onnx").path
        let (se, out, ee) = try TunaProcess.run(["export", name, "--db", workspace.db, "--out", model, "--onnx", onnx], in: workspace.url, timeout: 180)
        try #require(se == 0, "\(ee)")
        #expect(out.contains("wrote \(onnx)"), "\(out)")
        let (sp, predicted, ep) = try TunaProcess.run(["predict", model, data, "--proba"], in: workspace.url)
        try #require(sp == 0, "\(ep)")
        let expected = predicted.split(separator: "\n").dropFirst().map { line in line.split(separator: ",").dropFirst().compactMap { Double($0) } }
        let scriptPath = try workspace.write("check.py", script)
        let (sr, json) = try shell([python, scriptPath, onnx, data, target, model], timeout: 120)
        try #require(sr == 0, "\(json)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data((json.split(separator: "\n").last ?? "").utf8)) as? [String: Any])
        let outputs = try #require(result["outputs"] as? [[Double]])
        try #require(outputs.count == expected.count && outputs.count > 0, "\(outputs.count) rows from onnxruntime, \(expected.count) from tuna")
        var largest = 0.0
        for (a, b) in zip(outputs, expected) {
            try #require(a.count == b.count, "\(a) vs \(b)")
            for (u, v) in zip(a, b) { largest = max(largest, abs(u - v)) }
        }
        // A network that answers the same for every row would match trivially.
        let first = outputs.map { $0.last ?? 0 }
        let spread = (first.max() ?? 0) - (first.min() ?? 0)
        #expect(spread > 0.01, "the last output varies by only \(spread) across rows")
        print("ONNXExportTests: \(name): spread \(spread), max |onnxruntime - tuna predict| = \(largest) over \(outputs.count) rows")
        return (largest, try #require(result["weights"] as? [String: [Int]]))
    }

    static func study(
        _ name: String, data: String, extra: String = "", preprocess: String, layers: String, epochs: Int,
        loss: String = "sparse_categorical_crossentropy"
    ) -> String {
        """
        name: \(name)
        data: {path: \(datasets)/\(data), target: target\(extra)}
        preprocess: \(preprocess)
        model:
          layers: \(layers)
          loss: \(loss)
          optimizer: {name: adam, learning_rate: "$lr"}
          epochs: \(epochs)
          batch_size: 32
        search: {algorithm: random, metric: accuracy, folds: 2, trials: 1, parameters: {lr: {float: [0.01, 0.02]}}}
        """
    }

    @Test func denseIrisMatchesOnnxruntime() throws {
        guard let python = try Self.python() else { return }
        let workspace = try Workspace()
        let study = Self.study(
            "onnx-iris", data: "iris.csv", preprocess: "[{scale: standard}, {scale: {method: minmax, range: [-1, 1]}}]",
            layers: "[{dense: {units: 12, activation: gelu}}, {dropout: 0.1}, {dense: {units: 8, activation: tanh}}, {activation: swish}, {dense: {units: 3, activation: softmax}}]",
            epochs: 20)
        let (difference, weights) = try Self.roundTrip(workspace, python: python, name: "onnx-iris", study: study, data: NetworkStudyTests.irisPath)
        #expect(difference < 1e-4)
        #expect(weights == ["dense/kernel": [4, 12], "dense/bias": [12], "dense_1/kernel": [12, 8], "dense_1/bias": [8],
                            "dense_2/kernel": [8, 3], "dense_2/bias": [3]], "\(weights)")
    }

    @Test func convolutionalDigitsMatchOnnxruntime() throws {
        guard let python = try Self.python() else { return }
        let workspace = try Workspace()
        let study = Self.study(
            "onnx-digits", data: "digits.csv", extra: ", task: classification, input_shape: [8, 8, 1]",
            preprocess: "[{scale: {divide: 16}}]",
            layers: "[{conv2d: {filters: 4, kernel_size: 3, padding: same, activation: relu}}, batch_normalization, {conv2d: {filters: 4, kernel_size: [3, 2], strides: 2, activation: elu}}, {average_pooling2d: {pool_size: 2, padding: same}}, {max_pooling2d: {pool_size: 1}}, flatten, {dense: {units: 10, activation: softmax}}]",
            epochs: 2)
        let (difference, weights) = try Self.roundTrip(workspace, python: python, name: "onnx-digits", study: study, data: Self.datasets + "/digits.csv")
        #expect(difference < 1e-4)
        #expect(weights["conv2d/kernel"] == [3, 3, 1, 4] && weights["conv2d_1/kernel"] == [3, 2, 4, 4], "\(weights)")
    }

    @Test func recurrentGunPointMatchesOnnxruntime() throws {
        guard let python = try Self.python() else { return }
        let workspace = try Workspace()
        let study = Self.study(
            "onnx-gunpoint", data: "gunpoint_train.csv", extra: ", task: classification, input_shape: [150, 1]",
            preprocess: "[]",
            layers: "[{conv1d: {filters: 3, kernel_size: 5, strides: 2, padding: causal}}, {max_pooling1d: {pool_size: 3, padding: same}}, {lstm: {units: 5, return_sequences: true}}, {gru: {units: 4, return_sequences: true, go_backwards: true}}, {simple_rnn: {units: 3, return_sequences: true}}, {bidirectional: {layer: {gru: {units: 2, return_sequences: true, go_backwards: true}}, merge_mode: ave}}, {bidirectional: {layer: {lstm: {units: 3, return_sequences: true}}}}, layer_normalization, global_average_pooling1d, {dense: {units: 1, activation: sigmoid}}]",
            epochs: 2, loss: "binary_crossentropy")
        let (difference, weights) = try Self.roundTrip(workspace, python: python, name: "onnx-gunpoint", study: study, data: Self.datasets + "/gunpoint_train.csv")
        #expect(difference < 1e-4)
        #expect(weights["lstm/kernel"] == [3, 20] && weights["gru/bias"] == [2, 12] && weights["bidirectional/backward/bias"] == [2, 6]
                && weights["bidirectional_1/forward/kernel"] == [2, 12], "\(weights)")
    }

    /// GunPoint's series are z-normalised already; scaled and shifted per row, they show whether
    /// the graph normalises each row (`{normalize: per_series}`) as `tuna predict` does.
    @Test func perSeriesNormalisationMatchesOnnxruntime() throws {
        guard let python = try Self.python() else { return }
        let workspace = try Workspace()
        let original = try String(contentsOfFile: Self.datasets + "/gunpoint_train.csv", encoding: .utf8)
        let lines = original.split(separator: "\n")
        let rescaled = lines.dropFirst().enumerated().map { row, line in
            let cells = line.split(separator: ",")
            let series = cells.dropLast().map { cell in String((Double(cell) ?? 0) * Double(1 + 3 * (row % 5)) + Double(10 * (row % 3)) - 10) }
            return (series + [String(cells.last ?? "")]).joined(separator: ",")
        }
        let data = try workspace.write("gunpoint_rescaled.csv", ([String(lines[0])] + rescaled).joined(separator: "\n") + "\n")
        let study = Self.study(
            "onnx-per-series", data: "gunpoint_train.csv", extra: ", task: classification",
            preprocess: "[{normalize: per_series}]",
            layers: "[{dense: {units: 16, activation: tanh}}, {dense: {units: 2, activation: softmax}}]", epochs: 10)
        let (difference, _) = try Self.roundTrip(
            workspace, python: python, name: "onnx-per-series",
            study: study.replacingOccurrences(of: Self.datasets + "/gunpoint_train.csv", with: data), data: data)
        #expect(difference < 1e-4)
    }

    /// Attention spelled out as MatMul/Softmax: both positional embeddings, a post-norm GELU
    /// and a pre-norm Transformer block, and a causal attention with its own value width and
    /// output width, on GunPoint shortened by a strided convolution (50 steps) to keep it quick.
    @Test func transformerGunPointMatchesOnnxruntime() throws {
        guard let python = try Self.python() else { return }
        let workspace = try Workspace()
        let study = Self.study(
            "onnx-transformer", data: "gunpoint_train.csv", extra: ", task: classification, input_shape: [150, 1]",
            preprocess: "[]",
            layers: "[{conv1d: {filters: 8, kernel_size: 5, strides: 3, padding: same}}, positional_embedding, {positional_embedding: {kind: sinusoidal}}, {transformer_encoder: {intermediate_dim: 16, num_heads: 2, dropout: 0.1, activation: gelu}}, {transformer_encoder: {intermediate_dim: 12, num_heads: 4, normalize_first: true}}, {multi_head_attention: {num_heads: 2, key_dim: 3, value_dim: 5, output_shape: 6, causal: true, dropout: 0.1}}, global_average_pooling1d, {dense: {units: 2, activation: softmax}}]",
            epochs: 2)
        let (difference, weights) = try Self.roundTrip(workspace, python: python, name: "onnx-transformer", study: study, data: Self.datasets + "/gunpoint_train.csv")
        #expect(difference < 1e-4)
        #expect(weights["positional_embedding/embeddings"] == [50, 8] && weights["multi_head_attention/value_kernel"] == [8, 2, 5]
                && weights["transformer_encoder/attention/query_kernel"] == [8, 2, 4], "\(weights)")
    }

    @Test func aLayerWithoutConversionIsRefusedByNameAndNothingIsWritten() throws {
        let workspace = try Workspace()
        let study = try workspace.write("masked.yaml", Self.study(
            "onnx-refused", data: "gunpoint_train.csv", extra: ", task: classification, input_shape: [150, 1]", preprocess: "[]",
            layers: "[masking, {lstm: {units: 2}}, {dense: {units: 2, activation: softmax}}]", epochs: 1))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "1"], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let model = workspace.url.appendingPathComponent("masked.model").path
        let onnx = workspace.url.appendingPathComponent("masked.onnx").path
        let (s, _, e) = try TunaProcess.run(["export", "onnx-refused", "--db", workspace.db, "--out", model, "--onnx", onnx], in: workspace.url, timeout: 120)
        #expect(s == 1)
        #expect(e.contains("layer 'masking' (masking) has no ONNX conversion"), "\(e)")
        #expect(!FileManager.default.fileExists(atPath: model) && !FileManager.default.fileExists(atPath: onnx))
    }
}
