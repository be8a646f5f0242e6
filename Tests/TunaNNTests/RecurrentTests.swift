import Foundation
import Testing
import TunaTensor
@testable import TunaNN

@Suite struct RecurrentTests {
    /// Gradients through time: every input step and every weight, last state or all states.
    @Test(arguments: [false, true])
    func lstmGradientsThroughTime(_ returnSequences: Bool) throws {
        try GradientCheck.check(LSTM(4, returnSequences: returnSequences), inputShape: [5, 3], batch: 2, awayFromZero: 0, samples: 60)
    }

    /// A value seen at the first step must be remembered to the last: the target is the sign of
    /// the first step's feature, the other steps are noise.
    @Test func lstmRemembersTheFirstStep() throws {
        var g = SeededGenerator(seed: 3)
        let rows = 1024, steps = 8
        let x = Tensor(shape: [rows, steps, 1]) { _ in Float(g.nextNormal()) }
        let y = Tensor(shape: [rows, 1]) { r in x[r, 0, 0] > 0 ? 1 : 0 }
        let model = try Sequential(inputShape: [steps, 1], seed: 1) {
            LSTM(16)
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy(fromLogits: false), metrics: ["accuracy"])
        let history = try model.fit(x, y, epochs: 25, batchSize: 32, validationSplit: 0.25)
        let accuracy = try #require(history["val_accuracy"].last)
        #expect(accuracy > 0.9, "validation accuracy by epoch: \(history["val_accuracy"]); loss \(history["loss"])")
    }

    @Test func lstmSpecsRoundTripAndBadShapesAreErrors() throws {
        let json = #"[{"lstm": {"units": 8, "return_sequences": true}}, {"lstm": {"units": 4}}, {"dense": {"units": 1}}]"#
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        #expect(specs[0] == .lstm(LSTM.Config(units: 8, returnSequences: true)))
        #expect(try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs)
        let model = try Sequential(inputShape: [6, 2], layers: specs, seed: 0)
        #expect(model.outputShape == [1])
        func message(_ body: () throws -> Void) -> String { do { try body(); return "ok" } catch { return "\(error)" } }
        #expect(message { _ = try Sequential(inputShape: [6], seed: 0) { LSTM(4) } }.contains("needs sequences (steps, features)"))
        #expect(message { _ = try model.predict(Tensor(zeros: [2, 5, 2])) }.contains("[2, 5, 2]"))
    }
}

@Suite struct GRUTests {
    @Test(arguments: [false, true])
    func gruGradientsThroughTime(_ returnSequences: Bool) throws {
        let layer = GRU(4, returnSequences: returnSequences)
        var g = SeededGenerator(seed: 5)
        _ = try layer.build(inputShape: [5, 3], generator: &g)
        // Non-zero recurrent biases, so their gradient is checked too.
        layer.bias?.value = Tensor(shape: [2, 12]) { i in Float(i % 5) * 0.1 - 0.2 }
        try GradientCheck.check(layer, inputShape: [5, 3], batch: 2, awayFromZero: 0, samples: 60)
    }

    @Test func gruRemembersTheFirstStepAndRoundTrips() throws {
        var g = SeededGenerator(seed: 3)
        let rows = 1024, steps = 8
        let x = Tensor(shape: [rows, steps, 1]) { _ in Float(g.nextNormal()) }
        let y = Tensor(shape: [rows, 1]) { r in x[r, 0, 0] > 0 ? 1 : 0 }
        let model = try Sequential(inputShape: [steps, 1], seed: 1) {
            GRU(16)
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy(fromLogits: false), metrics: ["accuracy"])
        let history = try model.fit(x, y, epochs: 25, batchSize: 32, validationSplit: 0.25)
        let accuracy = try #require(history["val_accuracy"].last)
        #expect(accuracy > 0.9, "\(history["val_accuracy"])")
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(#"[{"gru": {"units": 8, "return_sequences": true}}]"#.utf8))
        #expect(specs == [.gru(GRU.Config(units: 8, returnSequences: true))])
        #expect(try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs)
    }
}
