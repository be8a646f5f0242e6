import Foundation
import TunaTensor

/// What a model file records besides the weights: enough to rebuild and recompile the model.
public struct ModelArchitecture: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1
    public var formatVersion: Int
    public var inputShape: [Int]
    public var layers: [LayerSpec]
    public var seed: UInt64
    public var loss: Loss?
    public var optimizer: OptimizerSpec?
    public var metrics: [String]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", inputShape = "input_shape", layers, seed, loss, optimizer, metrics
    }
}

/// Model files in the safetensors layout, so other tools can read the weights:
/// an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
/// byte range (`layer/weight`, as Keras names them), then the raw little-endian float32 data.
/// The architecture travels as JSON in the header's `__metadata__`.
public enum ModelFile {
    static let architectureKey = "tuna_architecture"

    /// The file's bytes for `model`. `metadata` adds string entries to the header's
    /// `__metadata__` (safetensors allows only strings there): what travels with an exported
    /// model besides its network, such as its preprocessing. They may not replace the
    /// architecture.
    public static func encode(_ model: Sequential, metadata extra: [String: String] = [:]) throws -> Data {
        guard let inputShape = model.inputShape else { throw NNError.notReady("only a built model can be saved") }
        let architecture = ModelArchitecture(
            formatVersion: ModelArchitecture.currentFormatVersion, inputShape: inputShape, layers: model.layerSpecs,
            seed: model.seed, loss: model.loss, optimizer: model.optimizer?.spec, metrics: model.metricNames)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let architectureJSON = String(data: try encoder.encode(architecture), encoding: .utf8) else {
            throw NNError.modelFile("architecture is not UTF-8")
        }
        var metadata = extra
        metadata["format"] = "tuna"
        metadata[architectureKey] = architectureJSON
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        var tensors: [Tensor] = []
        for layer in model.layers {
            for parameter in layer.parameters {
                let bytes = parameter.value.count * MemoryLayout<Float>.size
                header["\(layer.name)/\(parameter.name)"] = [
                    "dtype": "F32", "shape": parameter.value.shape, "data_offsets": [offset, offset + bytes],
                ] as [String: Any]
                offset += bytes
                tensors.append(parameter.value)
            }
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the safetensors writer does.
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var data = Data(capacity: 8 + headerData.count + offset)
        withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(headerData)
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { p in
                #if _endian(big)
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #else
                data.append(UnsafeBufferPointer(start: p.baseAddress, count: p.count))
                #endif
            }
        }
        return data
    }

    /// The header's `__metadata__` entries (the architecture among them), without the weights.
    public static func metadata(_ data: Data, source: String = "model file") throws -> [String: String] {
        let (header, _) = try splitHeader(data, source: source)
        guard let metadata = header["__metadata__"] as? [String: String] else {
            throw NNError.modelFile("\(source): no string metadata in the header (is it a Tuna model?)")
        }
        return metadata
    }

    /// The JSON header and the data after it, with the header length checked against the size.
    static func splitHeader(_ data: Data, source: String) throws -> (header: [String: Any], payload: Data) {
        func fail(_ message: String) -> NNError { .modelFile("\(source): \(message)") }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the file (\(data.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        let payload = data.subdata(in: headerEnd..<data.count)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        return (header, payload)
    }

    /// A model rebuilt from a file's bytes; `source` names the file in errors.
    public static func decode(_ data: Data, source: String = "model file") throws -> Sequential {
        func fail(_ message: String) -> NNError { .modelFile("\(source): \(message)") }
        let (header, payload) = try splitHeader(data, source: source)
        guard let metadata = header["__metadata__"] as? [String: String],
              let architectureJSON = metadata[architectureKey]
        else { throw fail("no Tuna architecture in the header metadata (is it a Tuna model?)") }
        let architecture: ModelArchitecture
        do {
            architecture = try JSONDecoder().decode(ModelArchitecture.self, from: Data(architectureJSON.utf8))
        } catch {
            throw fail("architecture does not parse: \(error)")
        }
        guard architecture.formatVersion <= ModelArchitecture.currentFormatVersion else {
            throw fail("format version \(architecture.formatVersion) is newer than this Tuna understands (\(ModelArchitecture.currentFormatVersion))")
        }
        let model = try Sequential(inputShape: architecture.inputShape, layers: architecture.layers, seed: architecture.seed)
        if let loss = architecture.loss, let optimizer = architecture.optimizer {
            try model.compile(optimizer: optimizer, loss: loss, metrics: architecture.metrics)
        }
        for layer in model.layers {
            for parameter in layer.parameters {
                let key = "\(layer.name)/\(parameter.name)"
                guard let entry = header[key] as? [String: Any] else { throw fail("tensor '\(key)' is missing") }
                guard entry["dtype"] as? String == "F32" else { throw fail("tensor '\(key)' has dtype \(entry["dtype"] ?? "none"), expected F32") }
                guard let shape = entry["shape"] as? [Int], shape == parameter.value.shape else {
                    throw fail("tensor '\(key)' has shape \(entry["shape"] ?? "none"), the architecture needs \(parameter.value.shape)")
                }
                guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                      offsets[0] >= 0, offsets[1] - offsets[0] == parameter.value.count * 4, offsets[1] <= payload.count
                else { throw fail("tensor '\(key)' has bad data_offsets \(entry["data_offsets"] ?? "none")") }
                var value = Tensor(zeros: shape)
                value.withUnsafeMutableBufferPointer { dst in
                    payload.withUnsafeBytes { raw in
                        for i in 0..<dst.count {
                            let bits = raw.loadUnaligned(fromByteOffset: offsets[0] + 4 * i, as: UInt32.self)
                            dst[i] = Float(bitPattern: UInt32(littleEndian: bits))
                        }
                    }
                }
                parameter.value = value
            }
        }
        return model
    }
}

extension Sequential {
    /// Writes the model (architecture, compile settings and weights) to `path`, atomically.
    public func save(to path: String) throws {
        let data = try ModelFile.encode(self)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NNError.modelFile("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads a model written by `save(to:)`.
    public static func load(from path: String) throws -> Sequential {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NNError.modelFile("cannot read \(path): \(error.localizedDescription)")
        }
        return try ModelFile.decode(data, source: path)
    }
}
