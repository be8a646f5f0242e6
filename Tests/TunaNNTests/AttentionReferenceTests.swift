import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// PyTorch's values through its own modules (Fixtures/attention_reference.json, made by
/// make_attention_fixtures.py, which documents the weight-layout conversions):
/// torch.nn.MultiheadAttention and torch.nn.TransformerEncoderLayer forward outputs and
/// torch.autograd's gradients of sum(output * upstream), and Keras's output_shape by formula.
struct AttentionReference: Decodable {
    struct Attention: Decodable {
        let name: String, num_heads: Int, key_dim: Int, causal: Bool
        let input_shape: [Int], input: [Float], output: [Float], upstream: [Float], input_gradient: [Float]
        let weights: [String: [Float]], gradients: [String: [Float]]
    }
    struct OutputShape: Decodable {
        let name: String, num_heads: Int, key_dim: Int, value_dim: Int, output_shape: Int
        let input_shape: [Int], input: [Float], output: [Float]
        let weights: [String: [Float]]
    }
    struct Encoder: Decodable {
        let name: String, num_heads: Int, intermediate_dim: Int, activation: String, normalize_first: Bool
        let layer_norm_epsilon: Float
        let input_shape: [Int], input: [Float], output: [Float], upstream: [Float], input_gradient: [Float]
        let weights: [String: [Float]], gradients: [String: [Float]]
    }
    let attention: [Attention]
    let output_shape: [OutputShape]
    let encoder: [Encoder]

    static func load() throws -> AttentionReference {
        let url = try #require(Bundle.module.url(forResource: "attention_reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(AttentionReference.self, from: Data(contentsOf: url))
    }

    /// Builds `layer` for the case's input and loads every weight by name (all must be given).
    static func load(_ weights: [String: [Float]], into layer: any Layer, inputShape: [Int]) throws {
        var g = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: Array(inputShape.dropFirst()), generator: &g)
        #expect(Set(layer.parameters.map(\.name)) == Set(weights.keys), "\(layer.name): weight names")
        for parameter in layer.parameters {
            let values = try #require(weights[parameter.name], "no reference for \(parameter.name)")
            try #require(values.count == parameter.value.count, "\(parameter.name): \(values.count) vs \(parameter.value.count)")
            parameter.value = Tensor(values, shape: parameter.value.shape)
        }
    }

    /// Forward (training mode, dropout 0) and backward of `sum(y * upstream)`, compared.
    static func compare(
        _ layer: any Layer, name: String, input: [Float], inputShape: [Int], output: [Float], upstream: [Float],
        inputGradient: [Float], gradients: [String: [Float]], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let y = try layer.forward(Tensor(input, shape: inputShape), training: true)
        let forward = SequenceReferenceTests.error(y.scalars, output)
        #expect(forward < 2e-6, "\(name) forward: \(forward)", sourceLocation: sourceLocation)
        let dx = try #require(try layer.backward(Tensor(upstream, shape: y.shape), needsInputGradient: true))
        let e = SequenceReferenceTests.error(dx.scalars, inputGradient)
        #expect(e < 1e-5, "\(name) input gradient: \(e)", sourceLocation: sourceLocation)
        for parameter in layer.parameters {
            let expected = try #require(gradients[parameter.name], "no reference gradient for \(parameter.name)")
            let e = SequenceReferenceTests.error(parameter.gradient.scalars, expected)
            #expect(e < 1e-5, "\(name) \(parameter.name) gradient: \(e)", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct AttentionReferenceTests {
    @Test func multiHeadAttentionMatchesTorchModule() throws {
        let reference = try AttentionReference.load()
        try #require(reference.attention.count >= 3)
        for c in reference.attention {
            let layer = MultiHeadAttention(numHeads: c.num_heads, keyDim: c.key_dim, causal: c.causal)
            try AttentionReference.load(c.weights, into: layer, inputShape: c.input_shape)
            try AttentionReference.compare(
                layer, name: c.name, input: c.input, inputShape: c.input_shape, output: c.output, upstream: c.upstream,
                inputGradient: c.input_gradient, gradients: c.gradients)
        }
    }

    @Test func outputShapeMatchesTheFormula() throws {
        for c in try AttentionReference.load().output_shape {
            let layer = MultiHeadAttention(numHeads: c.num_heads, keyDim: c.key_dim, valueDim: c.value_dim, outputShape: c.output_shape)
            try AttentionReference.load(c.weights, into: layer, inputShape: c.input_shape)
            let y = try layer.forward(Tensor(c.input, shape: c.input_shape), training: false)
            #expect(y.shape == [c.input_shape[0], c.input_shape[1], c.output_shape])
            let e = SequenceReferenceTests.error(y.scalars, c.output)
            #expect(e < 2e-6, "\(c.name): \(e)")
        }
    }

    @Test func transformerEncoderMatchesTorchEncoderLayer() throws {
        let reference = try AttentionReference.load()
        try #require(Set(reference.encoder.map(\.normalize_first)) == [false, true], "both norm orders")
        for c in reference.encoder {
            let layer = TransformerEncoder(.init(
                intermediateDim: c.intermediate_dim, numHeads: c.num_heads, activation: try Activation(name: c.activation),
                layerNormEpsilon: c.layer_norm_epsilon, normalizeFirst: c.normalize_first))
            try AttentionReference.load(c.weights, into: layer, inputShape: c.input_shape)
            try AttentionReference.compare(
                layer, name: c.name, input: c.input, inputShape: c.input_shape, output: c.output, upstream: c.upstream,
                inputGradient: c.input_gradient, gradients: c.gradients)
            // Inference gives the same values (no dropout, no batch statistics).
            let y = try layer.forward(Tensor(c.input, shape: c.input_shape), training: false)
            #expect(SequenceReferenceTests.error(y.scalars, c.output) < 2e-6, "\(c.name) inference")
        }
    }
}
