import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// Bad input is reported as an error that says what and where, never a trap.
@Suite struct BadInputTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    func decode<T: Decodable>(_ type: T.Type, _ json: String) -> String {
        message { _ = try JSONDecoder().decode(type, from: Data(json.utf8)) }
    }

    @Test func unknownNamesSuggestTheNearestOne() {
        #expect(decode([LayerSpec].self, #"[{"dense": {"units": 3, "activation": "relux"}}]"#).contains("did you mean 'relu'"))
        #expect(decode([LayerSpec].self, #"[{"dense": {"units": 3, "activaton": "relu"}}]"#).contains("did you mean 'activation'"))
        #expect(decode([LayerSpec].self, #"[{"dense": {"units": 3, "kernel_initializer": "glorot_unifrm"}}]"#).contains("glorot_uniform"))
        #expect(decode([LayerSpec].self, #"[{"dens": {"units": 3}}]"#).contains("did you mean 'dense'"))
        #expect(decode(Loss.self, #""binary_crossentropi""#).contains("binary_crossentropy"))
        #expect(message { _ = try OptimizerSpec(name: "adamm").makeOptimizer() }.contains("did you mean 'adam'"))
        #expect(decode(OptimizerSpec.self, #"{"name": "sgd", "learnin_rate": 0.1}"#).contains("learning_rate"))
        #expect(message { _ = try MetricName.make("acuracy", loss: .meanSquaredError) }.contains("accuracy"))
    }

    @Test func shapeMismatchesNameTheShapes() throws {
        let model = try Sequential(inputShape: [4], seed: 0) { Dense(2, activation: .softmax) }
        try model.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy(fromLogits: false))
        let text = message { try model.fit(Tensor(zeros: [10, 5]), Tensor(zeros: [10]), epochs: 1) }
        #expect(text.contains("[10, 5]") && text.contains("(rows, 4)"), "\(text)")
        let rows = message { try model.fit(Tensor(zeros: [10, 4]), Tensor(zeros: [9]), epochs: 1) }
        #expect(rows.contains("9 rows"), "\(rows)")
        let layer = Dense(3)
        var g = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: [4], generator: &g)
        #expect(message { _ = try layer.forward(Tensor(zeros: [2, 5]), training: false) }.contains("layer 'dense' expects input of shape (batch, 4)"))
    }

    @Test func labelsOutOfRangeNameTheRow() throws {
        let model = try Sequential(inputShape: [2], seed: 0) { Dense(3, activation: .softmax) }
        try model.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy(fromLogits: false))
        let text = message { try model.fit(Tensor(zeros: [4, 2]), Tensor([0, 1, 3, 2]), epochs: 1) }
        #expect(text.contains("row 2") && text.contains("label 3.0") && text.contains("0..<3"), "\(text)")
        #expect(message { try model.fit(Tensor(zeros: [2, 2]), Tensor([0, 1.5]), epochs: 1) }.contains("row 1"))
    }

    @Test func nanAndInfinityInDataNameTheCell() throws {
        let model = try Sequential(inputShape: [3], seed: 0) { Dense(1) }
        try model.compile(optimizer: Adam(), loss: .meanSquaredError)
        var x = Tensor(zeros: [4, 3])
        x[2, 1] = .nan
        #expect(message { try model.fit(x, Tensor(zeros: [4, 1])) }.contains("x has nan at row 2, column 1"))
        var y = Tensor(zeros: [4, 1])
        y[3, 0] = .infinity
        #expect(message { try model.fit(Tensor(zeros: [4, 3]), y) }.contains("y has inf at row 3"))
    }

    @Test func invalidSettingsAreRefused() throws {
        #expect(message { _ = try Sequential(inputShape: [3], seed: 0) { Dense(0) } }.contains("units must be positive"))
        #expect(message { _ = try Sequential(inputShape: [3], seed: 0) { Dropout(1) } }.contains("dropout rate"))
        #expect(message { _ = try Sequential(inputShape: [3], layers: []) }.contains("at least one layer"))
        #expect(message { _ = try OptimizerSpec(name: "adam", learningRate: -1).makeOptimizer() }.contains("learning_rate"))
        let model = try Sequential(inputShape: [3], seed: 0) { Dense(1) }
        #expect(message { try model.fit(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 1])) }.contains("compiled"))
        try model.compile(optimizer: Adam(), loss: .meanSquaredError)
        #expect(message { try model.fit(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 1]), validationSplit: 1.5) }.contains("validation_split"))
    }
}
