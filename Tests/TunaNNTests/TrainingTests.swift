import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// Lines a progress logger wrote, collected for assertions.
final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
}

func uniformData(rows: Int, columns: Int, seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor(shape: [rows, columns]) { _ in g.nextFloat() }
}

func kerasTutorialModel(seed: UInt64) throws -> Sequential {
    try Sequential(inputShape: [10], seed: seed) {
        Dense(64, activation: .relu)
        Dense(32, activation: .relu)
        Dense(16, activation: .relu)
        Dense(8, activation: .relu)
        Dense(4, activation: .relu)
        Dense(1, activation: .sigmoid)
    }
}

@Suite struct TrainingTests {
    /// The Keras tutorial: 10000x10 uniform data, random 0/1 labels, the 64-32-16-8-4-1 network,
    /// binary cross-entropy with Adam, 2 epochs with validation data. Random labels cannot be
    /// learned, so the loss must sit at ln 2 and accuracy near one half; the log lines must be
    /// the ones Keras prints.
    @Test func kerasTutorialExampleLogsLikeKeras() throws {
        let x = uniformData(rows: 10_000, columns: 10, seed: 1)
        var g = SeededGenerator(seed: 2)
        let y = Tensor(shape: [10_000, 1]) { _ in Float(g.nextInt(below: 2)) }
        let xVal = uniformData(rows: 1_000, columns: 10, seed: 3)
        let yVal = Tensor(shape: [1_000, 1]) { _ in Float(g.nextInt(below: 2)) }
        let model = try kerasTutorialModel(seed: 0)
        try model.compile(optimizer: Adam(), loss: .binaryCrossentropy(fromLogits: false), metrics: ["accuracy"])
        let sink = LineSink()
        let history = try model.fit(
            x, y, epochs: 2, batchSize: 32, validationData: (xVal, yVal),
            callbacks: [ProgressLogger(verbose: 1, write: { sink.append($0) })])

        #expect(model.parameterCount == 11 * 64 + 65 * 32 + 33 * 16 + 17 * 8 + 9 * 4 + 5)
        #expect(history.epochCount == 2)
        #expect(history.keys == ["loss", "accuracy", "val_loss", "val_accuracy"])
        for loss in history["loss"] + history["val_loss"] { #expect(abs(loss - log(2.0)) < 0.02, "loss \(loss) should be ln 2") }
        for accuracy in history["accuracy"] + history["val_accuracy"] { #expect(abs(accuracy - 0.5) < 0.05) }

        let lines = sink.lines
        #expect(lines.count == 4)
        #expect(lines[0] == "Epoch 1/2")
        #expect(lines[2] == "Epoch 2/2")
        let pattern = #/^313/313 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: 0\.\d{4} - accuracy: 0\.\d{4} - val_loss: 0\.\d{4} - val_accuracy: 0\.\d{4}$/#
        #expect(lines[1].wholeMatch(of: pattern) != nil, "got: \(lines[1])")
        #expect(lines[3].wholeMatch(of: pattern) != nil, "got: \(lines[3])")
    }

    /// The same network learns a target it can learn: x0 + x1 > 1.
    @Test func tutorialNetworkLearnsALearnableTarget() throws {
        let x = uniformData(rows: 10_000, columns: 10, seed: 4)
        let y = Tensor(shape: [10_000, 1]) { r in x[r, 0] + x[r, 1] > 1 ? 1 : 0 }
        let model = try kerasTutorialModel(seed: 0)
        try model.compile(optimizer: Adam(learningRate: 3e-3), loss: .binaryCrossentropy(fromLogits: false), metrics: ["accuracy", "auc"])
        let history = try model.fit(x, y, epochs: 4, batchSize: 32, validationSplit: 0.2)
        #expect(try #require(history["val_accuracy"].last) > 0.95)
        #expect(try #require(history["val_auc"].last) > 0.98)
    }

    @Test func xorIsLearned() throws {
        let x = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
        let y = Tensor([0, 1, 1, 0], shape: [4, 1])
        let model = try Sequential(inputShape: [2], seed: 3) {
            Dense(8, activation: .tanh)
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy(fromLogits: false))
        try model.fit(x, y, epochs: 400, batchSize: 4)
        let p = try model.predict(x).scalars
        #expect(p[0] < 0.1 && p[1] > 0.9 && p[2] > 0.9 && p[3] < 0.1, "predictions \(p)")
    }

    @Test func irisReachesHeldOutAccuracy() throws {
        let (x, y) = try Iris.load()
        // Stratified split: every fifth row of each class is held out (30 test rows).
        var train: [Int] = [], test: [Int] = []
        var seen: [Float: Int] = [:]
        for r in 0..<y.count {
            let k = seen[y[flat: r], default: 0]
            seen[y[flat: r]] = k + 1
            if k % 5 == 4 { test.append(r) } else { train.append(r) }
        }
        // Standardise with the training rows' statistics only.
        var xTrain = x.gatherRows(train), xTest = x.gatherRows(test)
        for c in 0..<4 {
            let column = train.indices.map { Double(xTrain[$0, c]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)).squareRoot()
            for r in 0..<train.count { xTrain[r, c] = Float((Double(xTrain[r, c]) - mean) / std) }
            for r in 0..<test.count { xTest[r, c] = Float((Double(xTest[r, c]) - mean) / std) }
        }
        let model = try Sequential(inputShape: [4], seed: 7) {
            Dense(16, activation: .relu)
            Dropout(0.1)
            Dense(3, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy(fromLogits: false), metrics: ["accuracy"])
        try model.fit(xTrain, y.gatherRows(train), epochs: 100, batchSize: 16)
        let logs = try model.evaluate(xTest, y.gatherRows(test))
        #expect(try #require(logs["accuracy"]) >= 0.93, "held-out accuracy \(logs["accuracy"] ?? 0)")
    }

    @Test func sameSeedGivesIdenticalWeightsAndOtherSeedsDiffer() throws {
        let x = uniformData(rows: 500, columns: 10, seed: 5)
        let y = Tensor(shape: [500, 1]) { r in x[r, 3] > 0.5 ? 1 : 0 }
        func train(seed: UInt64) throws -> [Tensor] {
            let model = try Sequential(inputShape: [10], seed: seed) {
                Dense(16, activation: .relu)
                Dropout(0.3)
                BatchNormalization()
                Dense(1, activation: .sigmoid)
            }
            try model.compile(optimizer: Adam(), loss: .binaryCrossentropy(fromLogits: false))
            try model.fit(x, y, epochs: 3, batchSize: 16)
            return model.weights()
        }
        #expect(try train(seed: 11) == train(seed: 11))
        #expect(try train(seed: 11) != train(seed: 12))
    }

    @Test func classWeightsChangeTheLossAsKerasDefinesIt() throws {
        let model = try Sequential(inputShape: [1], seed: 0) { Dense(1, activation: .sigmoid, kernelInitializer: .zeros) }
        try model.compile(optimizer: SGD(learningRate: 0), loss: .binaryCrossentropy(fromLogits: false))
        let x = Tensor([1, 2, 3, 4], shape: [4, 1]), y = Tensor([0, 1, 1, 1], shape: [4, 1])
        // All outputs are 0.5, so every row's loss is ln 2; weights {0: 3, 1: 1} average to 6/4.
        let history = try model.fit(x, y, epochs: 1, batchSize: 4, shuffle: false, classWeight: [0: 3, 1: 1])
        #expect(abs(history["loss"][0] - log(2.0) * 6 / 4) < 1e-5)
    }

    @Test func earlyStoppingRestoresTheBestWeights() throws {
        let x = uniformData(rows: 200, columns: 3, seed: 8)
        let y = Tensor(shape: [200, 1]) { r in x[r, 0] * 2 - x[r, 1] }
        let model = try Sequential(inputShape: [3], seed: 1) { Dense(8, activation: .relu); Dense(1) }
        // A learning rate this large makes validation loss worse after the first epochs.
        try model.compile(optimizer: SGD(learningRate: 0.6), loss: .meanSquaredError)
        let stopper = EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)
        let history = try model.fit(x, y, epochs: 50, batchSize: 20, validationSplit: 0.25, callbacks: [stopper])
        if let stopped = stopper.stoppedEpoch {
            #expect(history.epochCount == stopped + 1)
            #expect(history.stopReason?.contains("early stopping") == true)
            let best = try #require(history["val_loss"].min())
            let now = try #require(try model.evaluate(x.rows(150..<200), y.rows(150..<200))["loss"])
            #expect(abs(now - best) < 1e-4, "restored weights give the best val_loss \(best), got \(now)")
        } else {
            Issue.record("expected early stopping within 50 epochs; val_loss \(history["val_loss"])")
        }
    }

    @Test func reduceLROnPlateauAndSchedulerChangeTheRate() throws {
        let x = uniformData(rows: 64, columns: 2, seed: 9)
        let y = Tensor(shape: [64, 1]) { _ in 0.5 }
        let model = try Sequential(inputShape: [2], seed: 0) { Dense(1, kernelInitializer: .zeros, biasInitializer: .constant(0.5)) }
        let optimizer = SGD(learningRate: 0.1)
        try model.compile(optimizer: optimizer, loss: .meanSquaredError)
        // The model is already perfect: loss never improves after the first epoch.
        try model.fit(x, y, epochs: 4, batchSize: 64, callbacks: [ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 1)])
        #expect(abs(optimizer.learningRate - 0.1 * 0.5 * 0.5 * 0.5) < 1e-7)
        try model.fit(x, y, epochs: 3, batchSize: 64, callbacks: [LearningRateScheduler { epoch, _ in Float(epoch + 1) }])
        #expect(optimizer.learningRate == 3)
    }

    @Test func nanLossStopsTrainingWithTheReason() throws {
        let x = uniformData(rows: 64, columns: 4, seed: 10)
        let y = Tensor(shape: [64, 1]) { _ in 1e30 }
        let model = try Sequential(inputShape: [4], seed: 0) { Dense(1) }
        try model.compile(optimizer: SGD(learningRate: 1), loss: .meanSquaredError)
        let history = try model.fit(x, y, epochs: 5, batchSize: 8)
        let reason = try #require(history.stopReason)
        #expect(reason.contains("loss became"), "\(reason)")
        #expect(reason.contains("epoch 1, batch 1"), "\(reason)")
        #expect(history.epochCount == 0)
    }

    @Test func regularizersAddToTheLossAndConstraintsHold() throws {
        let model = try Sequential(inputShape: [3], seed: 0) {
            Dense(4, kernelRegularizer: .l2(0.1), kernelConstraint: .maxNorm(0.5))
            Dense(1)
        }
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let x = uniformData(rows: 32, columns: 3, seed: 1)
        let y = Tensor(shape: [32, 1]) { r in 5 * x[r, 0] }
        try model.fit(x, y, epochs: 5, batchSize: 8)
        let kernel = try #require((model.layers[0] as? Dense)?.kernel?.value)
        for j in 0..<4 {
            let norm = (0..<3).map { kernel[$0, j] * kernel[$0, j] }.reduce(0, +).squareRoot()
            #expect(norm <= 0.5 + 1e-5)
        }
        let withPenalty = try #require(try model.evaluate(x, y)["loss"])
        var g = Tensor.empty
        let plain = try Loss.meanSquaredError.compute(predictions: try model.predict(x), targets: y, gradient: &g)
        let penalty = 0.1 * kernel.scalars.reduce(0) { $0 + Double($1 * $1) }
        #expect(abs(withPenalty - plain - penalty) < 1e-5)
    }
}

/// The iris data set shipped in datasets/, parsed here without the data target so that the
/// engine's tests stand on their own.
enum Iris {
    static func load() throws -> (Tensor, Tensor) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../datasets/iris.csv").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        var features: [Float] = [], labels: [Float] = []
        var classes: [String: Float] = [:]
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(separator: ",")
            features += fields.prefix(4).compactMap { Float($0) }
            let name = String(fields[4])
            if classes[name] == nil { classes[name] = Float(classes.count) }
            labels.append(classes[name] ?? 0)
        }
        return (Tensor(features, shape: [labels.count, 4]), Tensor(labels, shape: [labels.count]))
    }
}
