import TunaTensor

/// Builds a layer list from Swift statements: `Sequential(inputShape: [10]) { Dense(64, activation: .relu); Dense(1) }`.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// A stack of layers, each feeding the next: Keras's `Sequential`.
public final class Sequential {
    public private(set) var layers: [any Layer]
    /// The input shape without the batch axis; nil until known (given, or taken from the data).
    public private(set) var inputShape: [Int]?
    public private(set) var outputShape: [Int] = []
    /// The seed of the weight initialisation, dropout masks and shuffles.
    public let seed: UInt64
    public private(set) var loss: Loss?
    public internal(set) var optimizer: (any Optimizer)?
    public private(set) var metricNames: [String] = []
    var generator: SeededGenerator
    var lossGradient = Tensor.empty
    /// Splits every training batch across this many copies of the network, one per core, each
    /// with single-threaded BLAS; their gradients are summed before the update (see
    /// `DataParallel.swift`). 1 trains on one thread of control with BLAS's own threads.
    public var replicas = 1
    /// Below this many multiply-add FLOPs per part and step, a batch is not split (the hand-over
    /// between threads would cost more than it saves).
    public var minimumFlopsPerReplica = 4_000_000
    /// The copies (the model itself is the first part).
    var replicaModels: [Sequential] = []
    /// A replica's own batch buffers.
    var partBuffers = (x: Tensor.empty, y: Tensor.empty)

    public init(inputShape: [Int]? = nil, seed: UInt64 = 0, @LayerBuilder _ layers: () -> [any Layer]) throws {
        self.layers = layers()
        self.seed = seed
        self.generator = SeededGenerator(seed: seed)
        if let inputShape { try build(inputShape: inputShape) }
    }

    /// A model from a declarative layer list (study files, model files).
    public init(inputShape: [Int]? = nil, layers specs: [LayerSpec], seed: UInt64 = 0) throws {
        self.layers = specs.map { $0.makeLayer() }
        self.seed = seed
        self.generator = SeededGenerator(seed: seed)
        if let inputShape { try build(inputShape: inputShape) }
    }

    /// The declarative description of the layers.
    public var layerSpecs: [LayerSpec] { layers.map(\.spec) }

    public var isBuilt: Bool { inputShape != nil }

    /// All weights in layer order (trainable and not).
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// The number of weights, as Keras's summary counts them.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Creates every layer's weights for `inputShape` (batch axis excluded), naming layers uniquely.
    public func build(inputShape: [Int]) throws {
        guard !layers.isEmpty else { throw NNError.invalidArgument("a model needs at least one layer") }
        guard inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError.shapeMismatch("input shape \(inputShape) has an empty axis")
        }
        generator = SeededGenerator(seed: seed)
        var used: [String: Int] = [:]
        var shape = inputShape
        for layer in layers {
            let base = layer.name
            if let n = used[base] { layer.name = "\(base)_\(n)" }
            used[base, default: 0] += 1
            do {
                shape = try layer.build(inputShape: shape, generator: &generator)
            } catch let error as NNError {
                throw error
            }
        }
        self.inputShape = inputShape
        self.outputShape = shape
    }

    /// Sets the loss, optimizer and metrics for `fit` and `evaluate`.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [String] = []) throws {
        for name in metrics { _ = try MetricName.make(name, loss: loss) }
        self.optimizer = optimizer
        self.loss = loss
        self.metricNames = metrics
    }

    /// `compile` from declarative descriptions.
    public func compile(optimizer: OptimizerSpec, loss: Loss, metrics: [String] = []) throws {
        try compile(optimizer: try optimizer.makeOptimizer(), loss: loss, metrics: metrics)
    }

    /// Maps a batch through every layer, handing each the padding mask of its input (made by
    /// a `Masking` or `Embedding(mask_zero:)` layer and carried by the layers that keep the
    /// time axis).
    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        var x = input
        var mask: SequenceMask?
        for layer in layers {
            let layerInput = x
            x = try layer.forward(layerInput, mask: mask, training: training)
            mask = layer.outputMask(mask, input: layerInput)
        }
        return x
    }

    /// The model's outputs for `x`, computed `batchSize` rows at a time.
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor {
        if !isBuilt { try build(inputShape: Array(x.shape.dropFirst())) }
        try checkFeatures(x, role: "x")
        let rows = x.shape[0]
        var result = Tensor(zeros: [rows] + outputShape)
        var batch = Tensor.empty
        var start = 0
        let width = outputShape.reduce(1, *)
        while start < rows {
            let end = Swift.min(start + Swift.max(batchSize, 1), rows)
            x.gatherRows(Array(start..<end)[...], into: &batch)
            let out = try forward(batch, training: false)
            out.withUnsafeBufferPointer { src in
                result.withUnsafeMutableBufferPointer { dst in
                    (dst.baseAddress! + start * width).update(from: src.baseAddress!, count: src.count)
                }
            }
            start = end
        }
        return result
    }

    /// The loss and metrics on `(x, y)` without training.
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, sampleWeight: [Float]? = nil) throws -> Logs {
        guard let loss else { throw NNError.notReady("the model must be compiled before evaluate") }
        let predictions = try predict(x, batchSize: batchSize)
        try checkTargets(y, rows: x.shape[0], loss: loss, role: "y")
        var gradient = Tensor.empty
        let value = try sampleWeight.withOptionalPointer { weights in
            try loss.compute(predictions: predictions, targets: y, sampleWeights: weights, gradient: &gradient)
        }
        var logs = Logs()
        logs["loss"] = value + regularizationPenalty()
        for name in metricNames {
            var metric = try MetricName.make(name, loss: loss)
            metric.update(predictions: predictions, targets: y)
            logs[metric.name] = metric.result()
        }
        return logs
    }

    /// The sum of the weight penalties (included in the reported loss, as in Keras).
    func regularizationPenalty() -> Double {
        parameters.reduce(0) { total, p in total + (p.regularizer?.penalty(p.value) ?? 0) }
    }

    /// Copies of all weights in layer order (for early stopping's restore and for model files).
    public func weights() -> [Tensor] { parameters.map(\.value) }

    /// Replaces all weights; shapes must match.
    public func setWeights(_ weights: [Tensor]) throws {
        let params = parameters
        guard weights.count == params.count else {
            throw NNError.shapeMismatch("model has \(params.count) weight tensors, got \(weights.count)")
        }
        for (p, w) in zip(params, weights) {
            guard p.value.shape == w.shape else {
                throw NNError.shapeMismatch("weight '\(p.name)' has shape \(p.value.shape), got \(w.shape)")
            }
        }
        for (p, w) in zip(params, weights) { p.value = w }
    }

    /// Checks that features have the model's input shape and are finite, naming the first bad cell.
    func checkFeatures(_ x: Tensor, role: String) throws {
        guard let inputShape else { throw NNError.notReady("the model is not built") }
        guard x.rank == inputShape.count + 1, Array(x.shape.dropFirst()) == inputShape else {
            throw NNError.shapeMismatch("\(role) has shape \(x.shape) but the model expects (rows, \(inputShape.map(String.init).joined(separator: ", ")))")
        }
        try checkFinite(x, role: role)
    }

    func checkTargets(_ y: Tensor, rows: Int, loss: Loss, role: String) throws {
        guard y.rank >= 1, y.shape[0] == rows else {
            throw NNError.shapeMismatch("\(role) has \(y.shape.first ?? 0) rows but x has \(rows)")
        }
        try checkFinite(y, role: role)
        let outputs = outputShape.reduce(1, *)
        if loss.usesSparseLabels {
            guard y.count == rows else {
                throw NNError.shapeMismatch("\(role) must hold one class index per row for \(loss.name), got shape \(y.shape)")
            }
            try y.withUnsafeBufferPointer { labels in
                for (row, label) in labels.enumerated() where Int(exactly: label).map({ $0 < 0 || $0 >= outputs }) ?? true {
                    throw NNError.invalidData("\(role) row \(row): label \(label) is not a class index in 0..<\(outputs) (the last layer has \(outputs) units)")
                }
            }
        } else if y.count != rows * outputs {
            throw NNError.shapeMismatch("\(role) has shape \(y.shape) but the model outputs \([rows] + outputShape)")
        }
    }

    func checkFinite(_ t: Tensor, role: String) throws {
        let width = Swift.max(t.rowLength, 1)
        try t.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress, let i = VectorLoops.firstNonFinite(base, count: p.count) else { return }
            throw NNError.invalidData("\(role) has \(p[i]) at row \(i / width), column \(i % width)")
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Runs `body` with a pointer to the array's elements, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let array = self else { return try body(nil) }
        return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}
