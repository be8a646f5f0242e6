import TunaTensor

/// Normalises each feature (the last axis) by the batch's mean and variance while training,
/// and by moving averages of them at inference, then scales by `gamma` and shifts by `beta`.
/// Defaults and update rule follow Keras (momentum 0.99, epsilon 1e-3, biased batch variance).
public final class BatchNormalization: Layer {
    public struct Config: Hashable, Sendable {
        public var momentum: Float = 0.99
        public var epsilon: Float = 1e-3
        public var center: Bool = true
        public var scale: Bool = true
        public var name: String?
        public init(momentum: Float = 0.99, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, name: String? = nil) {
            self.momentum = momentum
            self.epsilon = epsilon
            self.center = center
            self.scale = scale
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    public private(set) var gamma: Parameter?
    public private(set) var beta: Parameter?
    public private(set) var movingMean: Parameter?
    public private(set) var movingVariance: Parameter?
    private var inputShape: [Int] = []
    private var normalized = Tensor.empty
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private var inverseStd: [Float] = []
    private var mean: [Float] = []

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? "batch_normalization"
    }

    public var spec: LayerSpec { config.spec }

    public var parameters: [Parameter] { [gamma, beta, movingMean, movingVariance].compactMap { $0 } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard let features = inputShape.last, features > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs an input with a last axis, got \(inputShape)")
        }
        guard config.momentum >= 0, config.momentum <= 1, config.epsilon > 0 else {
            throw NNError.invalidArgument("layer '\(name)': momentum must be in [0, 1] and epsilon positive")
        }
        self.inputShape = inputShape
        (gamma, beta) = config.makeAffine(features: features)
        movingMean = Parameter(name: "moving_mean", value: Tensor(zeros: [features]), trainable: false)
        movingVariance = Parameter(name: "moving_variance", value: Tensor(repeating: 1, shape: [features]), trainable: false)
        mean = Array(repeating: 0, count: features)
        inverseStd = Array(repeating: 1, count: features)
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let movingMean, let movingVariance else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(x, expected: inputShape, layer: name)
        let features = inputShape[inputShape.count - 1]
        let rows = x.count / features
        if training {
            guard rows > 0 else { throw NNError.invalidData("layer '\(name)': empty batch") }
            var variance = [Float](repeating: 0, count: features)
            x.withUnsafeBufferPointer { p in
                var sums = [Double](repeating: 0, count: features)
                var squares = [Double](repeating: 0, count: features)
                for r in 0..<rows {
                    for j in 0..<features {
                        let v = Double(p[r * features + j])
                        sums[j] += v
                        squares[j] += v * v
                    }
                }
                for j in 0..<features {
                    let m = sums[j] / Double(rows)
                    mean[j] = Float(m)
                    variance[j] = Float(Swift.max(squares[j] / Double(rows) - m * m, 0))
                }
            }
            let momentum = config.momentum
            movingMean.value.withUnsafeMutableBufferPointer { mm in
                movingVariance.value.withUnsafeMutableBufferPointer { mv in
                    for j in 0..<features {
                        mm[j] = mm[j] * momentum + mean[j] * (1 - momentum)
                        mv[j] = mv[j] * momentum + variance[j] * (1 - momentum)
                    }
                }
            }
            for j in 0..<features { inverseStd[j] = 1 / (variance[j] + config.epsilon).squareRoot() }
        } else {
            movingMean.value.withUnsafeBufferPointer { mm in
                movingVariance.value.withUnsafeBufferPointer { mv in
                    for j in 0..<features {
                        mean[j] = mm[j]
                        inverseStd[j] = 1 / (mv[j] + config.epsilon).squareRoot()
                    }
                }
            }
        }
        normalized.reuse(shape: x.shape)
        output.reuse(shape: x.shape)
        let g = gamma?.value.scalars ?? Array(repeating: 1, count: features)
        let b = beta?.value.scalars ?? Array(repeating: 0, count: features)
        x.withUnsafeBufferPointer { px in
            normalized.withUnsafeMutableBufferPointer { pn in
                output.withUnsafeMutableBufferPointer { py in
                    for r in 0..<rows {
                        for j in 0..<features {
                            let i = r * features + j
                            let n = (px[i] - mean[j]) * inverseStd[j]
                            pn[i] = n
                            py[i] = g[j] * n + b[j]
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard dy.shape == normalized.shape else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(dy.shape) does not match output \(normalized.shape)")
        }
        let features = inputShape[inputShape.count - 1]
        let rows = dy.count / features
        var sumDy = [Float](repeating: 0, count: features)
        var sumDyN = [Float](repeating: 0, count: features)
        dy.withUnsafeBufferPointer { pdy in
            normalized.withUnsafeBufferPointer { pn in
                for r in 0..<rows {
                    for j in 0..<features {
                        sumDy[j] += pdy[r * features + j]
                        sumDyN[j] += pdy[r * features + j] * pn[r * features + j]
                    }
                }
            }
        }
        if let gamma { gamma.gradient = Tensor(sumDyN, shape: [features]) }
        if let beta { beta.gradient = Tensor(sumDy, shape: [features]) }
        guard needsInputGradient else { return nil }
        // dx = gamma * invstd / N * (N dy - sum(dy) - n * sum(dy n)).
        let g = gamma?.value.scalars ?? Array(repeating: 1, count: features)
        let n = Float(rows)
        inputGradient.reuse(shape: dy.shape)
        dy.withUnsafeBufferPointer { pdy in
            normalized.withUnsafeBufferPointer { pn in
                inputGradient.withUnsafeMutableBufferPointer { pdx in
                    for r in 0..<rows {
                        for j in 0..<features {
                            let i = r * features + j
                            pdx[i] = g[j] * inverseStd[j] / n * (n * pdy[i] - sumDy[j] - pn[i] * sumDyN[j])
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}

extension BatchNormalization.Config: NormalizationConfig {
    public static var kind: String { "batch_normalization" }
    public static var aliases: [String] { ["batchnorm"] }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { BatchNormalization(self) }
    public var spec: LayerSpec { .batchNormalization(self) }

    enum CodingKeys: String, CodingKey, CaseIterable { case momentum }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self, extra: NormalizationCodingKeys.allCases.map(\.rawValue))
        self.init(momentum: try c.decodeIfPresent(Float.self, forKey: .momentum) ?? 0.99)
        try decodeNormalization(decoder)
    }

    /// Momentum first, as Keras lists it.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(momentum, forKey: .momentum)
        try encodeNormalization(encoder)
    }
}
