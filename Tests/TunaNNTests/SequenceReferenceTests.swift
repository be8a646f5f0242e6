import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// PyTorch's values (Fixtures/sequence_reference.json, made by make_sequence_fixtures.py, which
/// documents the weight-layout conversions): forward outputs of LSTM, GRU, LayerNormalization
/// and MultiHeadAttention, and torch.autograd's gradients for the recurrent layers.
struct SequenceReference: Decodable {
    struct Recurrent: Decodable {
        let kind: String, name: String, units: Int, return_sequences: Bool
        let input_shape: [Int], input: [Float], kernel: [Float], recurrent_kernel: [Float], bias: [Float]
        let output_shape: [Int], output: [Float], upstream: [Float]
        let input_gradient: [Float], kernel_gradient: [Float], recurrent_kernel_gradient: [Float], bias_gradient: [Float]
    }
    struct LayerNorm: Decodable {
        let input_shape: [Int], input: [Float], gamma: [Float], beta: [Float], epsilon: Float, output: [Float]
    }
    struct Attention: Decodable {
        let name: String, num_heads: Int, key_dim: Int, value_dim: Int, causal: Bool
        let input_shape: [Int], input: [Float]
        let query_kernel: [Float], query_bias: [Float], key_kernel: [Float], key_bias: [Float]
        let value_kernel: [Float], value_bias: [Float], output_kernel: [Float], output_bias: [Float]
        let output: [Float]
    }
    let recurrent: [Recurrent]
    let layer_norm: [LayerNorm]
    let attention: [Attention]

    static func load() throws -> SequenceReference {
        let url = try #require(Bundle.module.url(forResource: "sequence_reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(SequenceReference.self, from: Data(contentsOf: url))
    }
}

@Suite struct SequenceReferenceTests {
    /// Largest |a − b| / (1 + |b|) over two arrays.
    static func error(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
    }

    static func set(_ parameter: Parameter?, _ values: [Float]) throws {
        let parameter = try #require(parameter)
        try #require(parameter.value.count == values.count, "\(parameter.name): \(parameter.value.count) vs \(values.count) values")
        parameter.value = Tensor(values, shape: parameter.value.shape)
    }

    @Test func recurrentLayersMatchPyTorchForwardAndBackward() throws {
        for c in try SequenceReference.load().recurrent {
            let config = RecurrentConfig(units: c.units, returnSequences: c.return_sequences)
            let layer: any Layer = c.kind == "lstm" ? LSTM(config) : GRU(config)
            var g = SeededGenerator(seed: 0)
            _ = try layer.build(inputShape: Array(c.input_shape.dropFirst()), generator: &g)
            let parameters = layer.parameters
            try #require(parameters.map(\.name) == ["kernel", "recurrent_kernel", "bias"])
            try Self.set(parameters[0], c.kernel)
            try Self.set(parameters[1], c.recurrent_kernel)
            try Self.set(parameters[2], c.bias)
            let x = Tensor(c.input, shape: c.input_shape)
            let y = try layer.forward(x, training: true)
            #expect(y.shape == c.output_shape, "\(c.name)")
            #expect(Self.error(y.scalars, c.output) < 2e-6, "\(c.name) forward: \(Self.error(y.scalars, c.output))")
            let dx = try #require(try layer.backward(Tensor(c.upstream, shape: c.output_shape), needsInputGradient: true))
            #expect(Self.error(dx.scalars, c.input_gradient) < 1e-5, "\(c.name) input gradient \(Self.error(dx.scalars, c.input_gradient))")
            for (parameter, expected) in zip(parameters, [c.kernel_gradient, c.recurrent_kernel_gradient, c.bias_gradient]) {
                let e = Self.error(parameter.gradient.scalars, expected)
                #expect(e < 1e-5, "\(c.name) \(parameter.name) gradient: \(e)")
            }
        }
    }

    @Test func layerNormalizationMatchesPyTorch() throws {
        for c in try SequenceReference.load().layer_norm {
            let layer = LayerNormalization(epsilon: c.epsilon)
            var g = SeededGenerator(seed: 0)
            _ = try layer.build(inputShape: Array(c.input_shape.dropFirst()), generator: &g)
            try Self.set(layer.gamma, c.gamma)
            try Self.set(layer.beta, c.beta)
            let y = try layer.forward(Tensor(c.input, shape: c.input_shape), training: false)
            #expect(Self.error(y.scalars, c.output) < 2e-6, "\(Self.error(y.scalars, c.output))")
        }
    }

    @Test func multiHeadAttentionMatchesPyTorch() throws {
        for c in try SequenceReference.load().attention {
            let layer = MultiHeadAttention(numHeads: c.num_heads, keyDim: c.key_dim, valueDim: c.value_dim, causal: c.causal)
            var g = SeededGenerator(seed: 0)
            _ = try layer.build(inputShape: Array(c.input_shape.dropFirst()), generator: &g)
            try Self.set(layer.queryKernel, c.query_kernel)
            try Self.set(layer.queryBias, c.query_bias)
            try Self.set(layer.keyKernel, c.key_kernel)
            try Self.set(layer.keyBias, c.key_bias)
            try Self.set(layer.valueKernel, c.value_kernel)
            try Self.set(layer.valueBias, c.value_bias)
            try Self.set(layer.outputKernel, c.output_kernel)
            try Self.set(layer.outputBias, c.output_bias)
            let y = try layer.forward(Tensor(c.input, shape: c.input_shape), training: false)
            #expect(Self.error(y.scalars, c.output) < 2e-6, "\(c.name): \(Self.error(y.scalars, c.output))")
        }
    }
}
