import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// The recurrent family's options (activations, go_backwards, dropout, masks), SimpleRNN,
/// Bidirectional and Embedding: gradients through time against finite differences, and the
/// behaviour each option promises.
@Suite struct RecurrentOptionsTests {
    enum Kind: String, CaseIterable, Sendable { case simpleRNN, lstm, gru }

    static func layer(_ kind: Kind, _ config: RecurrentConfig) -> any Layer {
        switch kind {
        case .simpleRNN: SimpleRNN(config)
        case .lstm: LSTM(config)
        case .gru: GRU(config)
        }
    }

    /// Non-zero biases everywhere (the GRU's recurrent bias included), so their gradients count.
    static func perturbBiases(_ layer: any Layer) {
        for parameter in layer.parameters where parameter.name.hasSuffix("bias") {
            parameter.value = Tensor(shape: parameter.value.shape) { i in Float(i % 5) * 0.1 - 0.2 }
        }
    }

    static func built(_ kind: Kind, _ config: RecurrentConfig, inputShape: [Int], seed: UInt64 = 5) throws -> any Layer {
        let layer = layer(kind, config)
        var g = SeededGenerator(seed: seed)
        _ = try layer.build(inputShape: inputShape, generator: &g)
        perturbBiases(layer)
        return layer
    }

    @Test(arguments: Kind.allCases, [false, true])
    func simpleAndGoBackwardsGradientsThroughTime(_ kind: Kind, _ returnSequences: Bool) throws {
        let config = RecurrentConfig(units: 4, returnSequences: returnSequences, goBackwards: true)
        try GradientCheck.check(try Self.built(kind, config, inputShape: [5, 3]), inputShape: [5, 3], batch: 2, awayFromZero: 0, samples: 60)
    }

    /// Other activations take the generic (non-C-kernel) path of each cell.
    @Test(arguments: Kind.allCases)
    func otherActivationsGradientsThroughTime(_ kind: Kind) throws {
        let config = RecurrentConfig(units: 3, activation: .softplus, recurrentActivation: .tanh, returnSequences: true)
        try GradientCheck.check(try Self.built(kind, config, inputShape: [4, 2]), inputShape: [4, 2], batch: 2, awayFromZero: 0, samples: 60)
        let elu = RecurrentConfig(units: 3, activation: .elu(alpha: 1), recurrentActivation: .sigmoid)
        try GradientCheck.check(try Self.built(kind, elu, inputShape: [4, 2]), inputShape: [4, 2], batch: 2, awayFromZero: 0, samples: 60)
    }

    /// Keras's default activations run through one fused C loop per LSTM or GRU step; the
    /// generic cell, made to take the same tanh and sigmoid, must agree with it forwards and
    /// backwards (outputs, input gradients and every weight's gradient).
    @Test(arguments: [Kind.lstm, .gru])
    func fusedCellMatchesTheGenericCell(_ kind: Kind) throws {
        let config = RecurrentConfig(units: 4, returnSequences: true)
        func make(fused: Bool) throws -> RecurrentLayer {
            let layer: RecurrentLayer = kind == .lstm ? LSTM(config, fusedCell: fused) : GRU(config, fusedCell: fused)
            var g = SeededGenerator(seed: 5)
            _ = try layer.build(inputShape: [6, 3], generator: &g)
            Self.perturbBiases(layer)
            return layer
        }
        let fused = try make(fused: true), generic = try make(fused: false)
        let x = GradientCheck.random([3, 6, 3], seed: 4)
        let yFused = try fused.forward(x, training: true), yGeneric = try generic.forward(x, training: true)
        #expect(yFused.shape == yGeneric.shape)
        #expect(zip(yFused.scalars, yGeneric.scalars).allSatisfy { abs($0 - $1) < 1e-5 }, "\(kind) outputs")
        let upstream = GradientCheck.random(yFused.shape, seed: 8)
        let dxFused = try #require(try fused.backward(upstream, needsInputGradient: true))
        let dxGeneric = try #require(try generic.backward(upstream, needsInputGradient: true))
        #expect(dxFused.scalars.contains { $0 != 0 }, "the gradient reaches the input")
        #expect(zip(dxFused.scalars, dxGeneric.scalars).allSatisfy { abs($0 - $1) < 1e-5 }, "\(kind) input gradients")
        for (a, b) in zip(fused.parameters, generic.parameters) {
            #expect(zip(a.gradient.scalars, b.gradient.scalars).allSatisfy { abs($0 - $1) < 1e-5 }, "\(kind) \(a.name) gradients")
        }
    }

    @Test func simpleRNNWithReluMatchesHandComputation() throws {
        let layer = SimpleRNN(2, activation: .relu, returnSequences: true)
        var g = SeededGenerator(seed: 1)
        _ = try layer.build(inputShape: [3, 1], generator: &g)
        let w = try #require(layer.kernel), u = try #require(layer.recurrentKernel), b = try #require(layer.bias)
        w.value = Tensor([1, -1], shape: [1, 2])
        u.value = Tensor([0.5, 0, 0, 0.5], shape: [2, 2])
        b.value = Tensor([0.1, 0.2], shape: [2])
        let y = try layer.forward(Tensor([1, 2, -3], shape: [1, 3, 1]), training: false)
        // h1 = relu(1·[1,-1] + b) = [1.1, 0]; h2 = relu([2,-2] + b + 0.5 h1) = [2.65, 0]; h3 = relu([-3, 3] + b + 0.5 h2) = [0, 3.2]
        let expected: [Float] = [1.1, 0, 2.65, 0, 0, 3.2]
        for (a, e) in zip(y.scalars, expected) { #expect(abs(a - e) < 1e-5, "\(y.scalars)") }
    }

    /// Dropout masks frozen for the finite differences: the gradient goes through both masks.
    @Test(arguments: Kind.allCases)
    func dropoutAndRecurrentDropoutGradients(_ kind: Kind) throws {
        let config = RecurrentConfig(units: 4, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, seed: 9)
        let layer = try Self.built(kind, config, inputShape: [4, 3])
        let recurrent = try #require(layer as? RecurrentLayer)
        recurrent.sequence.freezesDropoutMasks = true
        try GradientCheck.check(layer, inputShape: [4, 3], batch: 3, awayFromZero: 0, samples: 60)
    }

    @Test func dropoutActsOnlyWhileTraining() throws {
        let plain = try Self.built(.lstm, RecurrentConfig(units: 4, returnSequences: true), inputShape: [6, 3])
        let dropped = try Self.built(.lstm, RecurrentConfig(units: 4, returnSequences: true, dropout: 0.5, recurrentDropout: 0.5, seed: 1), inputShape: [6, 3])
        try dropped.setWeightsFrom(plain)
        let x = GradientCheck.random([2, 6, 3], seed: 4)
        #expect(try dropped.forward(x, training: false) == plain.forward(x, training: false))
        let first = try dropped.forward(x, training: true), second = try dropped.forward(x, training: true)
        #expect(first != (try plain.forward(x, training: true)))
        #expect(first != second, "a new mask each batch")
    }

    /// Padding at the end, masked, leaves every recurrent layer's last state as if the sequence
    /// had been short; padding at the start does the same for a layer going backwards.
    @Test(arguments: Kind.allCases)
    func maskedPaddingIsSkipped(_ kind: Kind) throws {
        let short = GradientCheck.random([1, 3, 2], seed: 7)
        for backwards in [false, true] {
            let config = RecurrentConfig(units: 3, goBackwards: backwards)
            let reference = try Self.built(kind, config, inputShape: [3, 2])
            let padded = try Self.built(kind, config, inputShape: [5, 2])
            try padded.setWeightsFrom(reference)
            // Real steps then two padding steps (zeros), masked.
            let x = Tensor(shape: [1, 5, 2]) { i in i < 6 ? short[flat: i] : 0 }
            let mask = SequenceMask(lengths: [3], steps: 5)
            let expected = try reference.forward(short, training: false)
            let got = try padded.forward(x, mask: mask, training: false)
            for (a, b) in zip(got.scalars, expected.scalars) { #expect(abs(a - b) < 1e-6, "\(kind) backwards \(backwards): \(got.scalars) vs \(expected.scalars)") }
            let unmasked = try padded.forward(x, training: false)
            #expect(zip(unmasked.scalars, expected.scalars).contains { abs($0 - $1) > 1e-4 }, "without the mask the padding changes the state")
        }
    }

    @Test(arguments: Kind.allCases, [false, true])
    func maskedGradientsThroughTime(_ kind: Kind, _ returnSequences: Bool) throws {
        // Row 0 padded at the end, row 1 with a hole in the middle.
        let mask = SequenceMask(batch: 2, steps: 5, values: [true, true, true, false, false, true, false, true, true, true])
        let config = RecurrentConfig(units: 3, returnSequences: returnSequences)
        try GradientCheck.check(try Self.built(kind, config, inputShape: [5, 2]), inputShape: [5, 2], batch: 2, awayFromZero: 0, samples: 60, mask: mask)
    }

    @Test func maskingLayerMasksAllZeroSteps() throws {
        let model = try Sequential(inputShape: [4, 2], seed: 0) {
            Masking(maskValue: 0)
            LSTM(3)
        }
        let short = try Sequential(inputShape: [2, 2], seed: 0) { LSTM(3) }
        try short.setWeights(model.weights())
        let x = Tensor([1, 2, -1, 0.5, 0, 0, 0, 0], shape: [1, 4, 2])
        let y = try model.predict(x)
        let expected = try short.predict(x.sliceSteps(2))
        for (a, b) in zip(y.scalars, expected.scalars) { #expect(abs(a - b) < 1e-6) }
        let mask = try #require(Masking(maskValue: 0).outputMask(nil, input: x))
        #expect(mask.lengths == [2])
    }

    @Test(arguments: [Bidirectional.MergeMode.concat, .sum, .mul, .ave], [false, true])
    func bidirectionalGradients(_ mode: Bidirectional.MergeMode, _ returnSequences: Bool) throws {
        let layer = Bidirectional(GRU(3, returnSequences: returnSequences), mergeMode: mode)
        try GradientCheck.check(layer, inputShape: [4, 2], batch: 2, awayFromZero: 0, samples: 60)
        #expect(layer.parameters.map(\.name) == ["forward/kernel", "forward/recurrent_kernel", "forward/bias", "backward/kernel", "backward/recurrent_kernel", "backward/bias"])
    }

    /// The second half of a concat Bidirectional is a go_backwards layer's output put back in
    /// time order.
    @Test func bidirectionalIsForwardAndReversedBackward() throws {
        let bidirectional = Bidirectional(LSTM(2, returnSequences: true))
        var g = SeededGenerator(seed: 2)
        _ = try bidirectional.build(inputShape: [3, 2], generator: &g)
        let backwards = LSTM(RecurrentConfig(units: 2, returnSequences: true, goBackwards: true))
        var g2 = SeededGenerator(seed: 9)
        _ = try backwards.build(inputShape: [3, 2], generator: &g2)
        for (mine, theirs) in zip(backwards.parameters, bidirectional.parameters.suffix(3)) { mine.value = theirs.value }
        let x = GradientCheck.random([1, 3, 2], seed: 3)
        let y = try bidirectional.forward(x, training: false)
        let b = try backwards.forward(x, training: false)
        #expect(y.shape == [1, 3, 4])
        for s in 0..<3 {
            for j in 0..<2 { #expect(abs(y[0, s, 2 + j] - b[0, 2 - s, j]) < 1e-6) }
        }
    }

    @Test func embeddingGradientsAndLookup() throws {
        let layer = Embedding(inputDim: 6, outputDim: 3)
        let ids = Tensor([0, 5, 2, 2, 1, 0], shape: [2, 3])
        try GradientCheck.check(layer, inputShape: [3], batch: 2, input: ids, checksInput: false)
        let table = try #require(layer.embeddings).value
        let y = try layer.forward(ids, training: false)
        for j in 0..<3 { #expect(y[0, 1, j] == table[5, j]) }
        let message = { (body: () throws -> Void) -> String in do { try body(); return "ok" } catch { return "\(error)" } }
        #expect(message { _ = try layer.forward(Tensor([0, 6, 1], shape: [1, 3]), training: false) }.contains("token id 6.0 at position 1"))
        #expect(message { _ = try layer.forward(Tensor([0, 1.5, 1], shape: [1, 3]), training: false) }.contains("not a whole number"))
    }

    /// Token sequences of different lengths, padded with 0 and masked by the embedding: is
    /// token 3 among them? Padding would otherwise flood the final state.
    @Test func embeddingWithMaskZeroLearnsVariableLengthSequences() throws {
        var g = SeededGenerator(seed: 11)
        let rows = 1200, steps = 12
        var x = Tensor(zeros: [rows, steps]), y = Tensor(zeros: [rows, 1])
        for r in 0..<rows {
            let length = 2 + g.nextInt(below: 5)
            var hasThree = false
            for s in 0..<length {
                let token = 1 + g.nextInt(below: 5)
                x[r, s] = Float(token)
                if token == 3 { hasThree = true }
            }
            y[r, 0] = hasThree ? 1 : 0
        }
        let model = try Sequential(inputShape: [steps], layers: [
            .embedding(.init(inputDim: 6, outputDim: 8, maskZero: true)),
            .bidirectional(.init(layer: .gru(.init(units: 8)))),
            .dense(.init(units: 1, activation: .sigmoid)),
        ], seed: 3)
        try model.compile(optimizer: Adam(learningRate: 0.02), loss: .binaryCrossentropy(fromLogits: false), metrics: ["accuracy"])
        let history = try model.fit(x, y, epochs: 15, batchSize: 32, validationSplit: 0.25)
        let accuracy = try #require(history["val_accuracy"].last)
        #expect(accuracy > 0.95, "\(history["val_accuracy"])")
    }

    @Test func specsRoundTripAndRefuseWhatTheyCannotRun() throws {
        let json = #"""
        [{"embedding": {"input_dim": 10, "output_dim": 4, "mask_zero": true}},
         {"bidirectional": {"layer": {"lstm": {"units": 5, "return_sequences": true, "dropout": 0.1}}, "merge_mode": "sum"}},
         {"simple_rnn": {"units": 3, "activation": "relu", "go_backwards": true, "recurrent_dropout": 0.2}},
         {"dense": {"units": 1}}]
        """#
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        let again = try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs))
        let same = again == specs
        #expect(same)
        let model = try Sequential(inputShape: [7], layers: specs, seed: 0)
        #expect(model.outputShape == [1])
        let masking = try JSONDecoder().decode([LayerSpec].self, from: Data(#"["masking", {"masking": -1}, {"masking": {"mask_value": 2}}]"#.utf8))
        let maskingSame = masking == [.masking(.init(maskValue: 0)), .masking(.init(maskValue: -1)), .masking(.init(maskValue: 2))]
        #expect(maskingSame)

        func decodeError(_ text: String) -> String {
            do { _ = try JSONDecoder().decode([LayerSpec].self, from: Data(text.utf8)); return "ok" } catch { return "\(error)" }
        }
        #expect(decodeError(#"[{"simple_rnn": {"units": 3, "recurrent_activation": "sigmoid"}}]"#).contains("recurrent_activation"))
        #expect(decodeError(#"[{"bidirectional": {"layer": {"dense": {"units": 3}}}}]"#).contains("wraps lstm, gru or simple_rnn"))
        #expect(decodeError(#"[{"bidirectional": {"layer": {"gru": {"units": 3}}, "merge_mode": "max"}}]"#).contains("max"))
        #expect(decodeError(#"[{"embedding": {"input_dim": 3}}]"#).contains("output_dim"))
    }

    @Test func badSettingsAndShapesNameTheLayer() throws {
        func message(_ body: () throws -> Void) -> String { do { try body(); return "ok" } catch { return "\(error)" } }
        #expect(message { _ = try Sequential(inputShape: [5, 2], seed: 0) { LSTM(RecurrentConfig(units: 3, activation: .gelu)) } }
            .contains("activation 'gelu' is not supported"))
        #expect(message { _ = try Sequential(inputShape: [5, 2], seed: 0) { GRU(RecurrentConfig(units: 3, dropout: 1)) } }
            .contains("dropout must be in [0, 1)"))
        #expect(message { _ = try Sequential(inputShape: [0, 2], seed: 0) { SimpleRNN(3) } }.contains("input shape [0, 2] has an empty axis"))
        #expect(message { _ = try Sequential(inputShape: [5], seed: 0) { Bidirectional(LSTM(3)) } }.contains("needs sequences (steps, features)"))
        #expect(message { _ = try Sequential(inputShape: [4, 2], seed: 0) { Embedding(inputDim: 0, outputDim: 2) } }.contains("input_dim and output_dim must be positive"))
        let model = try Sequential(inputShape: [5, 2], seed: 0) { SimpleRNN(3) }
        #expect(message { _ = try model.predict(Tensor(zeros: [2, 4, 2])) }.contains("[2, 4, 2]"))
    }

    @Test func bidirectionalSurvivesAModelFile() throws {
        let model = try Sequential(inputShape: [4, 2], seed: 1) {
            Bidirectional(LSTM(3))
            Dense(1)
        }
        let data = try ModelFile.encode(model)
        let loaded = try ModelFile.decode(data, source: "test")
        let x = GradientCheck.random([2, 4, 2], seed: 3)
        #expect(try loaded.predict(x) == model.predict(x))
    }
}

extension Layer {
    /// Copies another built layer's weights (same shapes) into this one.
    func setWeightsFrom(_ other: any Layer) throws {
        for (mine, theirs) in zip(parameters, other.parameters) {
            guard mine.value.shape == theirs.value.shape else { throw NNError.shapeMismatch("\(mine.name) \(mine.value.shape) vs \(theirs.value.shape)") }
            mine.value = theirs.value
        }
    }
}

extension Tensor {
    /// The first `count` steps of a (1, steps·2) row viewed as (1, count, 2) (test helper).
    func sliceSteps(_ count: Int) -> Tensor {
        Tensor(shape: [1, count, 2]) { i in self[flat: i] }
    }
}

@Suite struct MaskedPoolingTests {
    @Test func sequencePoolingSkipsPaddedSteps() throws {
        let mask = SequenceMask(batch: 2, steps: 4, values: [true, true, false, false, false, true, true, true])
        try GradientCheck.check(GlobalAveragePooling1D(), inputShape: [4, 3], batch: 2, mask: mask)
        try GradientCheck.check(GlobalMaxPooling1D(), inputShape: [4, 3], batch: 2, awayFromZero: 0.3, mask: mask)
        let x = Tensor([1, 10, 3, -20, 5, 100, 7, -2], shape: [2, 4, 1])
        let average = GlobalAveragePooling1D(), maximum = GlobalMaxPooling1D()
        var g = SeededGenerator(seed: 0)
        _ = try average.build(inputShape: [4, 1], generator: &g)
        _ = try maximum.build(inputShape: [4, 1], generator: &g)
        #expect(try average.forward(x, mask: mask, training: false).scalars == [5.5, 35])
        #expect(try maximum.forward(x, mask: mask, training: false).scalars == [10, 100])
        let empty = SequenceMask(lengths: [0, 4], steps: 4)
        #expect(try average.forward(x, mask: empty, training: false).scalars == [0, 27.5])
    }
}

@Suite struct RecurrentInitializerTests {
    @Test func initializersAndTheForgetBiasAreSettings() throws {
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(#"""
            [{"lstm": {"units": 2, "bias_initializer": "ones", "recurrent_initializer": "glorot_uniform", "kernel_initializer": "zeros"}},
             {"gru": {"units": 2, "unit_forget_bias": false, "bias_initializer": "ones"}}]
            """#.utf8))
        let same = try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs
        #expect(same)
        let lstm = specs[0].makeLayer(), gru = specs[1].makeLayer()
        var g = SeededGenerator(seed: 0)
        _ = try lstm.build(inputShape: [3, 2], generator: &g)
        _ = try gru.build(inputShape: [3, 2], generator: &g)
        #expect(lstm.parameters[0].value.scalars.allSatisfy { $0 == 0 })
        #expect(lstm.parameters[2].value.scalars == [1, 1, 2, 2, 1, 1, 1, 1], "ones, plus 1 on the forget gate")
        #expect(gru.parameters[2].value.scalars.allSatisfy { $0 == 1 })
        let error = { (text: String) -> String in
            do { _ = try JSONDecoder().decode([LayerSpec].self, from: Data(text.utf8)); return "ok" } catch { return "\(error)" }
        }
        #expect(error(#"[{"simple_rnn": {"units": 2, "unit_forget_bias": true}}]"#).contains("unit_forget_bias"))
    }
}
