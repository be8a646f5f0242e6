import Foundation
import TunaNN
import TunaSpec

/// Checks on a resolved layer list that the engine would otherwise only meet in training:
/// settings that make every trial fail (no units, a dropout rate of 1) and networks too large
/// for a worker's memory. A network is sized layer by layer from its settings before the layer
/// allocates anything, so an absurd `units:` is refused without a 64 GB allocation.
enum NetworkLimits {
    /// Settings that count units, filters, heads or vocabulary: they must be positive.
    static let sizeKeys = [
        "units", "filters", "input_dim", "output_dim", "num_heads", "key_dim", "value_dim", "intermediate_dim", "output_shape",
    ]
    /// Settings that are a fraction of units dropped: a rate of 1 drops everything.
    static let rateKeys = ["rate", "dropout", "recurrent_dropout"]
    /// The largest value of any size setting, so that products of a few stay far from overflow.
    static let maxSize = 1 << 24

    /// A layer's kind and settings as the study file writes them (the layer's own encoding).
    static func settings(_ spec: LayerSpec) -> (kind: String, settings: [String: Any]) {
        guard let data = try? JSONEncoder().encode(spec),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let (kind, value) = object.first
        else { return (spec.kind, [:]) }
        return (kind, value as? [String: Any] ?? [:])
    }

    /// What is wrong with one layer's settings, or nil.
    static func problem(_ spec: LayerSpec) -> String? {
        let (kind, settings) = settings(spec)
        return problem(kind: kind, settings: settings)
    }

    static func problem(kind: String, settings: [String: Any]) -> String? {
        for key in sizeKeys {
            guard let value = settings[key] as? Int else { continue }
            if value <= 0 { return "\(kind): \(key) must be positive, got \(value)" }
            if value > maxSize { return "\(kind): \(key) is \(value); the limit is \(maxSize)" }
        }
        for key in rateKeys {
            guard let value = settings[key] as? Double else { continue }
            if !(value >= 0 && value < 1) { return "\(kind): \(key) must be in [0, 1), got \(value)" }
        }
        for key in ["kernel_size", "pool_size", "strides"] {
            let extents = (settings[key] as? Int).map { [$0] } ?? (settings[key] as? [Int]) ?? []
            if let bad = extents.first(where: { $0 <= 0 || $0 > maxSize }) { return "\(kind): \(key) must be positive and at most \(maxSize), got \(bad)" }
        }
        if let inner = settings["layer"] as? [String: Any], let (innerKind, innerSettings) = inner.first {
            return problem(kind: innerKind, settings: innerSettings as? [String: Any] ?? [:])
        }
        return nil
    }

    /// An upper estimate of the weights a layer creates for inputs of `input` (batch axis
    /// excluded), from its settings alone; nil when the arithmetic overflows (far past any limit).
    static func weightEstimate(_ spec: LayerSpec, input: [Int]) -> Int? {
        let (kind, settings) = settings(spec)
        return weightEstimate(kind: kind, settings: settings, input: input)
    }

    static func weightEstimate(kind: String, settings: [String: Any], input: [Int]) -> Int? {
        func int(_ key: String) -> Int { settings[key] as? Int ?? 0 }
        let last = input.last ?? 1
        func product(_ values: [Int]) -> Int? {
            var result = 1
            for value in values {
                let (next, overflow) = result.multipliedReportingOverflow(by: value)
                if overflow { return nil }
                result = next
            }
            return result
        }
        let kernel = (settings["kernel_size"] as? Int).map { [$0] } ?? (settings["kernel_size"] as? [Int]) ?? [1]
        switch kind {
        case "dense":
            return product([last + 1, int("units")])
        case "conv1d", "conv2d":
            guard let window = product(kernel + [last]) else { return nil }
            return product([window + 1, int("filters")])
        case "embedding":
            return product([int("input_dim"), int("output_dim")])
        case "lstm", "gru", "simple_rnn":
            let gates = kind == "lstm" ? 4 : kind == "gru" ? 3 : 1
            return product([gates, last + int("units") + 2, int("units")])
        case "bidirectional":
            guard let inner = settings["layer"] as? [String: Any], let (innerKind, innerSettings) = inner.first,
                  let one = weightEstimate(kind: innerKind, settings: innerSettings as? [String: Any] ?? [:], input: input)
            else { return nil }
            return product([2, one])
        case "multi_head_attention":
            let value = settings["value_dim"] as? Int ?? int("key_dim")
            let width = max(last, settings["output_shape"] as? Int ?? last)
            guard let perHead = product([int("num_heads"), 2 * int("key_dim") + 2 * value]) else { return nil }
            return product([perHead + 4, width + 1])
        case "transformer_encoder":
            return product([4 * last + 2 * int("intermediate_dim") + 8, last + 1])
        case "positional_embedding":
            return product(input)
        default:
            return product([4, last + 1])
        }
    }
}

extension ModelTemplate {
    /// Sizes the network for samples of `inputShape` layer by layer: each layer's weights are
    /// estimated from its settings and refused past `StudyLimits.maxParameters` before it is
    /// built, then counted exactly once built, with its outputs for one batch (and their
    /// gradients) counted against `StudyLimits.maxActivationBytes`.
    func checkSize(inputShape: [Int], layers: [LayerSpec], batchSize: Int, describe: String) throws {
        let where_ = node["layers"] ?? node
        var shape = inputShape
        var parameters = 0
        var activations = 0
        for (index, spec) in layers.enumerated() {
            guard let estimate = NetworkLimits.weightEstimate(spec, input: shape), estimate <= StudyLimits.maxParameters else {
                throw where_.error(
                    "model.layers\(describe): layer \(index + 1) (\(spec.kind)) on inputs of shape \(shape) would have more than \(StudyLimits.maxParameters) weights (the limit)")
            }
            let model: Sequential
            do {
                model = try Sequential(inputShape: shape, layers: [spec], seed: 0)
            } catch {
                // The full build below reports a layer that refuses its input, with the settings.
                return
            }
            parameters += model.parameterCount
            guard parameters <= StudyLimits.maxParameters else {
                throw where_.error(
                    "model.layers\(describe): the network has more than \(StudyLimits.maxParameters) weights (the limit) by layer \(index + 1) (\(spec.kind))")
            }
            shape = model.outputShape
            var elements = 1
            for extent in shape {
                let (next, overflow) = elements.multipliedReportingOverflow(by: max(extent, 1))
                elements = overflow ? Int.max : next
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: batchSize * 4 * 2)
            activations = overflow ? Int.max : activations.addingReportingOverflow(bytes).partialValue
            guard !overflow, activations >= 0, activations <= StudyLimits.maxActivationBytes else {
                throw where_.error(
                    "model.layers\(describe): one batch of \(batchSize) needs more than \(StudyLimits.maxActivationBytes >> 20) MiB for layer outputs and gradients (the limit) by layer \(index + 1) (\(spec.kind), output \(shape))")
            }
        }
    }
}
