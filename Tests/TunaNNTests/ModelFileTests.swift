import Foundation
import Testing
import TunaTensor
@testable import TunaNN

@Suite struct ModelFileTests {
    /// Adam with settings away from the defaults, so the round trip shows they are kept.
    static let adjustedAdam = OptimizerSpec(name: "adam", learningRate: 0.01, beta1: 0.8, amsgrad: true, gradientOptions: .init(clipNorm: 1))

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tuna-\(UUID().uuidString)-\(name)").path
    }

    @Test func roundTripGivesBitIdenticalPredictions() throws {
        let x = uniformData(rows: 300, columns: 6, seed: 1)
        let y = Tensor(shape: [300]) { r in x[r, 0] > 0.5 ? (x[r, 1] > 0.5 ? 2 : 1) : 0 }
        let model = try Sequential(inputShape: [6], seed: 4) {
            Dense(12, activation: .leakyReLU(alpha: 0.1), kernelRegularizer: .l2(1e-4))
            BatchNormalization()
            Dropout(0.2)
            Dense(8, activation: .gelu)
            Dense(3, activation: .softmax)
        }
        try model.compile(optimizer: ModelFileTests.adjustedAdam, loss: .sparseCategoricalCrossentropy(fromLogits: false), metrics: ["accuracy"])
        try model.fit(x, y, epochs: 3, batchSize: 32)
        let path = temporaryPath("model.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try Sequential.load(from: path)
        #expect(loaded.layerSpecs == model.layerSpecs)
        #expect(loaded.metricNames == ["accuracy"])
        #expect(loaded.loss == model.loss)
        #expect(try loaded.predict(x) == model.predict(x), "bit-identical predictions")
        // Moving statistics (not trainable) travel too.
        let bn = try #require(loaded.layers[1] as? BatchNormalization)
        #expect(bn.movingMean?.value == (model.layers[1] as? BatchNormalization)?.movingMean?.value)
    }

    @Test func fileFollowsTheSafetensorsLayout() throws {
        let model = try Sequential(inputShape: [2], seed: 0) { Dense(3, name: "hidden"); Dense(1) }
        let data = try ModelFile.encode(model)
        let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect((8 + headerLength) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let kernel = try #require(header["hidden/kernel"] as? [String: Any])
        #expect(kernel["dtype"] as? String == "F32")
        #expect(kernel["shape"] as? [Int] == [2, 3])
        let offsets = try #require(kernel["data_offsets"] as? [Int])
        let first = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[0] + 4))
        let value = first.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        #expect(value == (model.layers[0] as? Dense)?.kernel?.value[flat: 0])
        #expect(data.count == 8 + headerLength + (2 * 3 + 3 + 3 * 1 + 1) * 4)
        #expect(header["dense/kernel"] != nil)
    }

    @Test func damagedFilesGiveClearErrors() throws {
        let model = try Sequential(inputShape: [2], seed: 0) { Dense(3) }
        let good = try ModelFile.encode(model)
        func message(_ data: Data) -> String {
            do { _ = try ModelFile.decode(data, source: "m.safetensors"); return "no error" } catch { return "\(error)" }
        }
        #expect(message(Data([1, 2, 3])).contains("too short"))
        #expect(message(good.prefix(good.count - 4)).contains("data_offsets"))
        var huge = good
        huge.replaceSubrange(0..<8, with: [0xff, 0xff, 0, 0, 0, 0, 0, 1])
        #expect(message(huge).contains("runs past the end"))
        #expect(message(Data([4, 0, 0, 0, 0, 0, 0, 0]) + Data("nope".utf8)).contains("not a JSON object"))
        #expect(message(good).contains("no error"))
        #expect(throws: NNError.self) { try Sequential.load(from: "/nonexistent/model.safetensors") }
    }

    @Test func layerSpecsDecodeTheStudyFileShape() throws {
        let json = """
        [{"dense": {"units": 64, "activation": "relu", "kernel_regularizer": {"l2": 0.001}, "kernel_constraint": {"max_norm": 3}}},
         {"dropout": 0.25},
         {"batch_normalization": {"momentum": 0.9}},
         {"dense": {"units": 3, "activation": {"leaky_relu": {"alpha": 0.1}}, "kernel_initializer": "he_normal"}},
         {"activation": "softmax"},
         "flatten"]
        """
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        #expect(specs.count == 6)
        guard case .dense(let first) = specs[0] else { Issue.record("not dense"); return }
        #expect(first.units == 64 && first.activation == .relu && first.kernelRegularizer == Regularizer(l2: 0.001))
        #expect(first.kernelConstraint == .maxNorm(3))
        #expect(specs[1] == .dropout(.init(rate: 0.25)))
        guard case .dense(let last) = specs[3] else { Issue.record("not dense"); return }
        #expect(last.activation == .leakyReLU(alpha: 0.1) && last.kernelInitializer == .heNormal)
        let again = try JSONDecoder().decode([LayerSpec].self, from: try JSONEncoder().encode(specs))
        #expect(again == specs)
    }
}

