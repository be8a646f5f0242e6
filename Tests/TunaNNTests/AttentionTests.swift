import Foundation
import Testing
import TunaTensor
@testable import TunaNN

@Suite struct AttentionTests {
    @Test func layerNormalizationGradients() throws {
        try GradientCheck.check(LayerNormalization(), inputShape: [3, 5], batch: 2, awayFromZero: 0, tolerance: 2e-2)
        let layer = LayerNormalization(epsilon: 1e-5)
        var g = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: [4], generator: &g)
        let y = try layer.forward(Tensor([1, 2, 3, 4, -2, 0, 2, 4], shape: [2, 4]), training: false)
        // Each row: zero mean, unit (biased) variance.
        for r in 0..<2 {
            let row = (0..<4).map { y[r, $0] }
            #expect(abs(row.reduce(0, +)) < 1e-5)
            #expect(abs(row.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-3)
        }
    }

    @Test(arguments: [false, true])
    func attentionGradientsThroughTheSoftmax(_ causal: Bool) throws {
        let layer = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2, causal: causal)
        try GradientCheck.check(layer, inputShape: [4, 5], batch: 2, awayFromZero: 0, samples: 50)
    }

    @Test func attentionGradientsWithAPaddingMask() throws {
        let mask = SequenceMask(lengths: [3, 5], steps: 5)
        try GradientCheck.check(MultiHeadAttention(numHeads: 2, keyDim: 2), inputShape: [5, 3], batch: 2, awayFromZero: 0, samples: 50, mask: mask)
    }

    /// A padded key gets no weight: changing it leaves the real steps' outputs alone.
    @Test func paddedKeysAreIgnoredAndCausalLooksBackOnly() throws {
        let layer = MultiHeadAttention(numHeads: 1, keyDim: 4)
        var g = SeededGenerator(seed: 4)
        _ = try layer.build(inputShape: [4, 3], generator: &g)
        var x = GradientCheck.random([1, 4, 3], seed: 2)
        let mask = SequenceMask(lengths: [2], steps: 4)
        let before = try layer.forward(x, mask: mask, training: false)
        x[0, 3, 1] += 5
        let after = try layer.forward(x, mask: mask, training: false)
        for s in 0..<2 { for j in 0..<3 { #expect(abs(before[0, s, j] - after[0, s, j]) < 1e-6) } }

        let causal = MultiHeadAttention(numHeads: 1, keyDim: 4, causal: true)
        var g2 = SeededGenerator(seed: 4)
        _ = try causal.build(inputShape: [4, 3], generator: &g2)
        let first = try causal.forward(x, training: false)
        x[0, 2, 0] -= 3
        let second = try causal.forward(x, training: false)
        for s in 0..<2 { for j in 0..<3 { #expect(abs(first[0, s, j] - second[0, s, j]) < 1e-6, "step \(s) saw the future") } }
        #expect(abs(first[0, 2, 0] - second[0, 2, 0]) > 1e-6)
    }

    @Test(arguments: [PositionalEmbedding.Kind.learned, .sinusoidal])
    func positionalEmbedding(_ kind: PositionalEmbedding.Kind) throws {
        try GradientCheck.check(PositionalEmbedding(kind: kind), inputShape: [3, 4], batch: 2)
        let layer = PositionalEmbedding(kind: .sinusoidal)
        var g = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: [3, 4], generator: &g)
        let y = try layer.forward(Tensor(zeros: [1, 3, 4]), training: false)
        // Position 1: sin(1), cos(1), sin(1/100), cos(1/100).
        let expected: [Float] = [sin(1), cos(1), sin(0.01), cos(0.01)]
        for j in 0..<4 { #expect(abs(y[0, 1, j] - expected[j]) < 1e-6) }
    }

    @Test(arguments: [false, true])
    func transformerEncoderGradients(_ normalizeFirst: Bool) throws {
        // gelu: relu's kink would trip the finite differences.
        let layer = TransformerEncoder(.init(intermediateDim: 6, numHeads: 2, activation: .gelu, normalizeFirst: normalizeFirst))
        try GradientCheck.check(layer, inputShape: [3, 4], batch: 2, awayFromZero: 0, tolerance: 2e-2, samples: 30)
        #expect(Set(layer.parameters.map(\.name)).count == layer.parameters.count, "unique weight names for model files")
    }

    /// Is the marker (a 1 in feature 0) in the first or the second half of the sequence?
    /// Order matters, so the positional embedding is needed.
    @Test func aSmallTransformerLearnsWhereTheMarkerIs() throws {
        var g = SeededGenerator(seed: 5)
        let rows = 800, steps = 8
        var x = Tensor(zeros: [rows, steps, 2]), y = Tensor(zeros: [rows])
        for r in 0..<rows {
            for s in 0..<steps { x[r, s, 1] = Float(g.nextNormal()) * 0.5 }
            let position = g.nextInt(below: steps)
            x[r, position, 0] = 1
            y[r] = position < steps / 2 ? 0 : 1
        }
        let model = try Sequential(inputShape: [steps, 2], layers: [
            .dense(.init(units: 8)),
            .positionalEmbedding(.init()),
            .transformerEncoder(.init(intermediateDim: 16, numHeads: 2)),
            .globalAveragePooling1d(.init()),
            .dense(.init(units: 2)),
        ], seed: 1)
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy(fromLogits: true), metrics: ["accuracy"])
        let history = try model.fit(x, y, epochs: 20, batchSize: 32, validationSplit: 0.25)
        let accuracy = try #require(history["val_accuracy"].last)
        #expect(accuracy > 0.95, "\(history["val_accuracy"])")
    }

    @Test func specsRoundTripAndBadSettingsAreErrors() throws {
        let json = #"""
        ["layer_normalization", {"positional_embedding": "sinusoidal"},
         {"multi_head_attention": {"num_heads": 2, "key_dim": 4, "causal": true}},
         {"transformer_encoder": {"intermediate_dim": 16, "num_heads": 2, "dropout": 0.1, "normalize_first": true}},
         {"global_average_pooling1d": null}, {"dense": {"units": 3}}]
        """#
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        let same = try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs
        #expect(same)
        let model = try Sequential(inputShape: [5, 4], layers: specs, seed: 0)
        #expect(model.outputShape == [3])
        let data = try ModelFile.encode(model)
        let loaded = try ModelFile.decode(data, source: "test")
        let x = GradientCheck.random([2, 5, 4], seed: 1)
        #expect(try loaded.predict(x) == model.predict(x))

        func message(_ body: () throws -> Void) -> String { do { try body(); return "ok" } catch { return "\(error)" } }
        #expect(message { _ = try Sequential(inputShape: [5, 6], seed: 0) { TransformerEncoder(intermediateDim: 8, numHeads: 4) } }
            .contains("the 6 features do not split into 4 heads"))
        #expect(message { _ = try Sequential(inputShape: [6], seed: 0) { MultiHeadAttention(numHeads: 2, keyDim: 2) } }
            .contains("needs sequences (steps, features)"))
        #expect(message { _ = try Sequential(inputShape: [5, 6], seed: 0) { MultiHeadAttention(numHeads: 0, keyDim: 2) } }
            .contains("num_heads, key_dim and value_dim must be positive"))
        #expect(message { _ = try Sequential(inputShape: [5, 6], seed: 0) { MultiHeadAttention(numHeads: 1, keyDim: 2, dropout: 1) } }
            .contains("dropout must be in [0, 1)"))
        let attention = try Sequential(inputShape: [5, 6], seed: 0) { MultiHeadAttention(numHeads: 1, keyDim: 2) }
        #expect(message { _ = try attention.predict(Tensor(zeros: [1, 5, 4])) }.contains("[1, 5, 4]"))
        func decodeError(_ text: String) -> String {
            do { _ = try JSONDecoder().decode([LayerSpec].self, from: Data(text.utf8)); return "ok" } catch { return "\(error)" }
        }
        #expect(decodeError(#"[{"multi_head_attention": {"num_heads": 2, "key_dims": 4}}]"#).contains("key_dims"))
        #expect(decodeError(#"[{"positional_embedding": {"kind": "rotary"}}]"#).contains("rotary"))
    }

    /// Keras's output_shape (a width other than the input's) and use_bias false, through the softmax.
    @Test func attentionGradientsWithOutputShapeAndNoBias() throws {
        let layer = MultiHeadAttention(.init(numHeads: 2, keyDim: 2, valueDim: 3, useBias: false, outputShape: 4))
        try GradientCheck.check(layer, inputShape: [3, 5], batch: 2, awayFromZero: 0, samples: 40)
        #expect(layer.parameters.map(\.name) == ["query_kernel", "key_kernel", "value_kernel", "output_kernel"])
        #expect(layer.outputKernel?.value.shape == [2, 3, 4])
    }

    /// Glorot-uniform over Keras's 3-D shapes: the query kernel (features, heads, key_dim) has
    /// fan_in = features·heads and fan_out = features·key_dim, as Keras's EinsumDense draws it.
    @Test func attentionKernelsStartAsKerasDoes() throws {
        let layer = MultiHeadAttention(numHeads: 4, keyDim: 8)
        var g = SeededGenerator(seed: 3)
        _ = try layer.build(inputShape: [10, 32], generator: &g)
        let query = try #require(layer.queryKernel).value.scalars, output = try #require(layer.outputKernel).value.scalars
        let queryLimit = (6 / Float(32 * 4 + 32 * 8)).squareRoot(), outputLimit = (6 / Float(4 * 8 + 4 * 32)).squareRoot()
        #expect(query.allSatisfy { abs($0) <= queryLimit } && (query.map(abs).max() ?? 0) > 0.95 * queryLimit)
        #expect(output.allSatisfy { abs($0) <= outputLimit } && (output.map(abs).max() ?? 0) > 0.95 * outputLimit)
    }

    @Test func specsRoundTripWithEverySetting() throws {
        let json = #"""
        [{"layer_normalization": {"epsilon": 0.001, "center": false, "scale": true, "name": "ln"}},
         {"positional_embedding": {"kind": "learned", "name": "pos"}},
         {"multi_head_attention": {"num_heads": 2, "key_dim": 3, "value_dim": 5, "dropout": 0.25, "use_bias": false,
                                   "causal": true, "output_shape": [6], "name": "mha"}},
         {"transformer_encoder": {"intermediate_dim": 8, "num_heads": 3, "dropout": 0.1, "activation": "gelu",
                                  "layer_norm_epsilon": 1e-6, "normalize_first": true, "name": "block"}}]
        """#
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        // Compared outside #expect (reflecting a LayerSpec crashes the runtime's Mirror).
        let expected: [LayerSpec] = [
            .layerNormalization(.init(epsilon: 1e-3, center: false, name: "ln")),
            .positionalEmbedding(.init(kind: .learned, name: "pos")),
            .multiHeadAttention(.init(numHeads: 2, keyDim: 3, valueDim: 5, dropout: 0.25, useBias: false, causal: true, outputShape: 6, name: "mha")),
            .transformerEncoder(.init(
                intermediateDim: 8, numHeads: 3, dropout: 0.1, activation: .gelu, layerNormEpsilon: 1e-6, normalizeFirst: true, name: "block")),
        ]
        let decodedAsWritten = specs == expected
        #expect(decodedAsWritten, "\(specs.map(\.kind))")
        let roundTrips = try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs
        #expect(roundTrips)
        let model = try Sequential(inputShape: [4, 6], layers: specs, seed: 0)
        #expect(model.outputShape == [4, 6])
        #expect(model.layers.map(\.name) == ["ln", "pos", "mha", "block"])
    }

    @Test func unknownSettingsAreRefusedByName() {
        func decodeError(_ text: String) -> String {
            do { _ = try JSONDecoder().decode([LayerSpec].self, from: Data(text.utf8)); return "ok" } catch { return "\(error)" }
        }
        #expect(decodeError(#"[{"layer_normalization": {"epsilom": 0.1}}]"#).contains("did you mean 'epsilon'"))
        #expect(decodeError(#"[{"positional_embedding": {"knd": "learned"}}]"#).contains("knd"))
        #expect(decodeError(#"[{"transformer_encoder": {"intermediate_dim": 8, "num_heads": 2, "norm_first": true}}]"#)
            .contains("unknown transformer_encoder setting 'norm_first'"))
        #expect(decodeError(#"[{"multi_head_attention": {"num_heads": 2, "key_dim": 4, "output_shape": [2, 3]}}]"#)
            .contains("output_shape"))
    }

    /// Bad shapes and settings are errors that name the layer and the shapes, never a trap.
    @Test func badInputNamesTheLayerAndShapes() throws {
        func message(_ body: () throws -> Void) -> String { do { try body(); return "no error" } catch { return "\(error)" } }
        func build(_ layer: any Layer, _ shape: [Int]) -> String {
            message { var g = SeededGenerator(seed: 0); _ = try layer.build(inputShape: shape, generator: &g) }
        }
        let layers: [() -> any Layer] = [
            { MultiHeadAttention(numHeads: 2, keyDim: 2) }, { PositionalEmbedding() },
            { TransformerEncoder(intermediateDim: 8, numHeads: 2) },
        ]
        for make in layers {
            let name = make().name
            // Wrong rank, and sequences without steps.
            for shape in [[6], [2, 3, 4], [0, 4], [5, 0]] {
                let text = build(make(), shape)
                #expect(text.contains("layer '\(name)' needs sequences (steps, features)") && text.contains("\(shape)"), "\(text)")
            }
            // Built for (5, 4); fed other features, other steps, no steps, or no step axis.
            let layer = make()
            #expect(build(layer, [5, 4]) == "no error")
            for shape in [[2, 5, 6], [2, 6, 4], [2, 0, 4], [2, 20]] {
                let text = message { _ = try layer.forward(Tensor(zeros: shape), training: true) }
                #expect(text.contains("layer '\(name)' expects input of shape (batch, 5, 4), got \(shape)"), "\(text)")
            }
            // Backward with no training pass before it.
            #expect(message { _ = try layer.backward(Tensor(zeros: [2, 5, 4]), needsInputGradient: true) } != "no error")
        }
        #expect(build(LayerNormalization(), [5, 0]).contains("layer 'layer_normalization' needs an input with a non-empty last axis"))
        #expect(build(LayerNormalization(epsilon: 0), [5, 4]).contains("epsilon must be positive"))
        let norm = LayerNormalization()
        #expect(build(norm, [5, 4]) == "no error")
        #expect(message { _ = try norm.forward(Tensor(zeros: [2, 5, 3]), training: false) }.contains("(batch, 5, 4), got [2, 5, 3]"))

        for (config, expected) in [
            (MultiHeadAttention.Config(numHeads: 0, keyDim: 2), "num_heads, key_dim and value_dim must be positive, got 0, 2, 2"),
            (.init(numHeads: 2, keyDim: 0), "got 2, 0, 0"),
            (.init(numHeads: 2, keyDim: -1, valueDim: 3), "got 2, -1, 3"),
            (.init(numHeads: 2, keyDim: 2, valueDim: 0), "got 2, 2, 0"),
            (.init(numHeads: 2, keyDim: 2, dropout: -0.1), "dropout must be in [0, 1), got -0.1"),
            (.init(numHeads: 2, keyDim: 2, dropout: 1), "dropout must be in [0, 1), got 1.0"),
            (.init(numHeads: 2, keyDim: 2, outputShape: 0), "output_shape must be positive"),
        ] {
            let text = build(MultiHeadAttention(config), [5, 4])
            #expect(text.contains("layer 'multi_head_attention'") && text.contains(expected), "\(text)")
        }
        for (config, expected) in [
            (TransformerEncoder.Config(intermediateDim: 8, numHeads: 0), "num_heads and intermediate_dim must be positive"),
            (.init(intermediateDim: 0, numHeads: 2), "num_heads and intermediate_dim must be positive"),
            (.init(intermediateDim: 8, numHeads: 3), "the 4 features do not split into 3 heads"),
            (.init(intermediateDim: 8, numHeads: 2, dropout: 1), "dropout must be in [0, 1), got 1.0"),
            (.init(intermediateDim: 8, numHeads: 2, dropout: -0.5), "dropout must be in [0, 1), got -0.5"),
            (.init(intermediateDim: 8, numHeads: 2, layerNormEpsilon: 0), "layer_norm_epsilon must be positive"),
            (.init(intermediateDim: 8, numHeads: 2, activation: .softmax), "softmax is not a feed-forward activation"),
        ] {
            // The block's own name, not one of its parts'.
            let text = build(TransformerEncoder(config), [5, 4])
            #expect(text.contains("layer 'transformer_encoder'") && text.contains(expected), "\(text)")
        }
    }
}
