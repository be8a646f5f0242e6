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
}
