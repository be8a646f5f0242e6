import Testing
import TunaTensor
@testable import TunaNN

@Suite struct DataParallelTests {
    func model(seed: UInt64, replicas: Int, dropout: Float = 0) throws -> Sequential {
        let model = try Sequential(inputShape: [6], seed: seed) {
            Dense(16, activation: .tanh, kernelRegularizer: .l2(1e-3))
            Dropout(dropout)
            Dense(3, activation: .softmax)
        }
        model.replicas = replicas
        model.minimumFlopsPerReplica = 0  // split even this small network, to test the mechanism
        try model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .sparseCategoricalCrossentropy(fromLogits: false), metrics: ["accuracy"])
        return model
    }

    /// Splitting a batch across replicas must give the update of the whole batch: the parts'
    /// losses are normalised by the whole batch and their gradients summed.
    @Test func twoReplicasGiveTheSameUpdateAsOneBatch() throws {
        let x = uniformData(rows: 64, columns: 6, seed: 3)
        let y = Tensor(shape: [64]) { r in Float(Int(x[r, 0] * 3)) }
        let single = try model(seed: 5, replicas: 1), split = try model(seed: 5, replicas: 2)
        let a = try single.fit(x, y, epochs: 3, batchSize: 32, shuffle: false)
        let b = try split.fit(x, y, epochs: 3, batchSize: 32, shuffle: false)
        for (p, q) in zip(single.weights(), split.weights()) {
            #expect(p.maxAbsDifference(q) < 1e-5, "weights drift \(p.maxAbsDifference(q))")
        }
        for (l1, l2) in zip(a["loss"], b["loss"]) { #expect(abs(l1 - l2) < 1e-5) }
        #expect(a["accuracy"] == b["accuracy"], "metrics see every part's predictions")
    }

    /// The split decision counts real work: a convolution's kernel once per output position, an
    /// LSTM's weights once per step.
    @Test func layersReportTheirForwardFlops() throws {
        var g = SeededGenerator(seed: 0)
        let conv = Conv2D(4, kernelSize: 3)
        _ = try conv.build(inputShape: [6, 6, 2], generator: &g)
        #expect(conv.forwardFlopsPerSample == 2 * (4 * 4) * (3 * 3 * 2 * 4))
        let lstm = LSTM(5)
        _ = try lstm.build(inputShape: [7, 3], generator: &g)
        #expect(lstm.forwardFlopsPerSample == 2 * 7 * (3 + 5) * 4 * 5)
        let dense = Dense(10)
        _ = try dense.build(inputShape: [4], generator: &g)
        #expect(dense.forwardFlopsPerSample == 2 * (4 * 10 + 10))
    }

    @Test func smallNetworksAreNotSplitByDefault() throws {
        let m = try model(seed: 1, replicas: 2)
        m.minimumFlopsPerReplica = 4_000_000
        #expect(try m.prepareReplicas(batchSize: 32) == false)
        m.minimumFlopsPerReplica = 0
        #expect(try m.prepareReplicas(batchSize: 32) == true)
        #expect(m.replicaModels.count == 1)
    }

    @Test func replicatedTrainingWithDropoutIsReproducibleAndLearns() throws {
        let x = uniformData(rows: 600, columns: 6, seed: 4)
        let y = Tensor(shape: [600]) { r in x[r, 1] > 0.5 ? (x[r, 2] > 0.5 ? 2 : 1) : 0 }
        func run() throws -> (Sequential, History) {
            let m = try model(seed: 9, replicas: 2, dropout: 0.2)
            return (m, try m.fit(x, y, epochs: 30, batchSize: 32))
        }
        let (m1, h1) = try run()
        let (m2, _) = try run()
        #expect(m1.weights() == m2.weights())
        #expect(try #require(h1["accuracy"].last) > 0.85, "\(h1["accuracy"].last ?? 0)")
    }
}
