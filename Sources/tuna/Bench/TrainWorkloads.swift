import TunaNN
import TunaTensor

/// The reference training workloads of shared/bench/README.md, built the same way here as
/// train_bench.py builds them for PyTorch: same shapes, data distributions, losses, optimizer,
/// batch size and epochs. (The random numbers differ; throughput does not depend on them.)
struct TrainWorkload: Sendable {
    let id: String
    let name: String
    let rows: Int
    let batchSize: Int
    let epochs: Int
    /// Multiply-adds counted as 2 FLOPs, forward only, as train_bench.py counts them.
    let forwardFlopsPerSample: Int
    let makeData: @Sendable () -> (x: Tensor, y: Tensor)
    let makeModel: @Sendable () throws -> Sequential

    static func denseFlops(_ sizes: [Int]) -> Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + 2 * $1.0 * $1.1 }
    }

    /// Uniform inputs and labels, seeded (the MNIST-shaped workloads): throughput does not
    /// depend on what there is to learn.
    static func randomClasses(rows: Int, sample: [Int], classes: Int) -> (x: Tensor, y: Tensor) {
        var g = SeededGenerator(seed: 0)
        let x = Tensor(shape: [rows] + sample) { _ in g.nextFloat() }
        let y = Tensor(shape: [rows]) { _ in Float(g.nextInt(below: classes)) }
        return (x, y)
    }

    static let all: [TrainWorkload] = [seedMLP, mnistMLP, cnn, lstm]

    static let seedMLP = TrainWorkload(
        id: "W1", name: "seed-mlp", rows: 10_000, batchSize: 32, epochs: 2,
        forwardFlopsPerSample: denseFlops([10, 64, 32, 16, 8, 4, 1]),
        makeData: {
            var g = SeededGenerator(seed: 0)
            let x = Tensor(shape: [10_000, 10]) { _ in g.nextFloat() }
            let y = Tensor(shape: [10_000, 1]) { r in (0..<10).reduce(Float(0)) { $0 + x[r, $1] } > 5 ? 1 : 0 }
            return (x, y)
        },
        makeModel: {
            let model = try Sequential(inputShape: [10], seed: 0) {
                for units in [64, 32, 16, 8, 4] { Dense(units, activation: .relu) }
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .binaryCrossentropy(fromLogits: false))
            return model
        })

    static let mnistMLP = TrainWorkload(
        id: "W2", name: "mnist-mlp", rows: 60_000, batchSize: 128, epochs: 1,
        forwardFlopsPerSample: denseFlops([784, 256, 128, 10]),
        makeData: { randomClasses(rows: 60_000, sample: [784], classes: 10) },
        makeModel: {
            let model = try Sequential(inputShape: [784], seed: 0) {
                Dense(256, activation: .relu)
                Dense(128, activation: .relu)
                Dense(10)
            }
            try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .sparseCategoricalCrossentropy(fromLogits: true))
            return model
        })

    static let cnn = TrainWorkload(
        id: "W3", name: "cnn", rows: 10_000, batchSize: 64, epochs: 1,
        forwardFlopsPerSample: 26 * 26 * 32 * 9 * 2 + 11 * 11 * 64 * 9 * 32 * 2 + 2 * 1600 * 128 + 2 * 128 * 10,
        makeData: { randomClasses(rows: 10_000, sample: [28, 28, 1], classes: 10) },
        makeModel: {
            let model = try Sequential(inputShape: [28, 28, 1], seed: 0) {
                Conv2D(32, kernelSize: 3, activation: .relu)
                MaxPooling2D(poolSize: 2)
                Conv2D(64, kernelSize: 3, activation: .relu)
                MaxPooling2D(poolSize: 2)
                Flatten()
                Dense(128, activation: .relu)
                Dense(10)
            }
            try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .sparseCategoricalCrossentropy(fromLogits: true))
            return model
        })

    static let lstm = TrainWorkload(
        id: "W4", name: "lstm", rows: 10_000, batchSize: 32, epochs: 1,
        forwardFlopsPerSample: 50 * 2 * 4 * 64 * (8 + 64) + 2 * 64,
        makeData: {
            var g = SeededGenerator(seed: 0)
            let x = Tensor(shape: [10_000, 50, 8]) { _ in Float(g.nextNormal()) }
            let y = Tensor(shape: [10_000, 1]) { r in
                (0..<50).reduce(Float(0)) { $0 + x[r, $1, 0] } / 50 + 0.1 * Float(g.nextNormal())
            }
            return (x, y)
        },
        makeModel: {
            let model = try Sequential(inputShape: [50, 8], seed: 0) {
                LSTM(64)
                Dense(1)
            }
            try model.compile(optimizer: Adam(learningRate: 1e-3), loss: .meanSquaredError)
            return model
        })
}
