#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Normalises each sample's features (the last axis) to zero mean and unit variance, then
/// scales by `gamma` and shifts by `beta` (Keras's `LayerNormalization`, epsilon 1e-3). Unlike
/// batch normalisation it needs no batch statistics, so it behaves the same in training and
/// inference and suits sequences, where each step is normalised on its own.
public final class LayerNormalization: Layer {
    public struct Config: Hashable, Sendable {
        public var epsilon: Float
        public var center: Bool
        public var scale: Bool
        public var name: String?
        public init(epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, name: String? = nil) {
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
    private var inputShape: [Int] = []
    private var normalized = Tensor.empty     // x̂, kept from a training pass
    private var inverseStd: [Float] = []
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private var hasTrainingPass = false

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? "layer_normalization"
    }

    public convenience init(epsilon: Float, name: String? = nil) { self.init(Config(epsilon: epsilon, name: name)) }

    public var spec: LayerSpec { config.spec }
    public var parameters: [Parameter] { [gamma, beta].compactMap { $0 } }
    public var forwardFlopsPerSample: Int { 8 * inputShape.reduce(1, *) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard let features = inputShape.last, features > 0, inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError.shapeMismatch("layer '\(name)' needs an input with a non-empty last axis, got \(inputShape)")
        }
        guard config.epsilon > 0 else { throw NNError.invalidArgument("layer '\(name)': epsilon must be positive, got \(config.epsilon)") }
        self.inputShape = inputShape
        (gamma, beta) = config.makeAffine(features: features)
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try checkInput(x, expected: inputShape, layer: name)
        let features = inputShape[inputShape.count - 1], rows = x.count / features
        normalized.reuse(shape: x.shape)
        output.reuse(shape: x.shape)
        if inverseStd.count != rows { inverseStd = [Float](repeating: 0, count: rows) }
        let epsilon = config.epsilon
        x.withUnsafeBufferPointer { px in
            normalized.withUnsafeMutableBufferPointer { pn in
                output.withUnsafeMutableBufferPointer { po in
                    for r in 0..<rows {
                        let row = px.baseAddress! + r * features, n = pn.baseAddress! + r * features
                        var mean: Float = 0
                        for j in 0..<features { mean += row[j] }
                        mean /= Float(features)
                        var variance: Float = 0
                        for j in 0..<features { let d = row[j] - mean; variance += d * d }
                        variance /= Float(features)
                        let inverse = 1 / sqrtf(variance + epsilon)
                        inverseStd[r] = inverse
                        for j in 0..<features { n[j] = (row[j] - mean) * inverse }
                    }
                    scaleAndShift(pn.baseAddress!, po.baseAddress!, rows: rows, features: features)
                }
            }
        }
        hasTrainingPass = training
        return output
    }

    private func scaleAndShift(_ n: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, features: Int) {
        let ones = [Float](repeating: 1, count: features), zeros = [Float](repeating: 0, count: features)
        let g = gamma?.value.scalars ?? ones, b = beta?.value.scalars ?? zeros
        for r in 0..<rows {
            let base = r * features
            for j in 0..<features { y[base + j] = n[base + j] * g[j] + b[j] }
        }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard hasTrainingPass, outputGradient.shape == normalized.shape else {
            throw NNError.shapeMismatch(
                "layer '\(name)': gradient \(outputGradient.shape) does not match output \(normalized.shape) (backward without a training forward?)")
        }
        hasTrainingPass = false
        let features = inputShape[inputShape.count - 1], rows = outputGradient.count / features
        let g = gamma?.value.scalars ?? [Float](repeating: 1, count: features)
        var dGamma = [Float](repeating: 0, count: features), dBeta = [Float](repeating: 0, count: features)
        inputGradient.reuse(shape: outputGradient.shape)
        outputGradient.withUnsafeBufferPointer { dy in
            normalized.withUnsafeBufferPointer { n in
                inputGradient.withUnsafeMutableBufferPointer { dx in
                    for r in 0..<rows {
                        let base = r * features
                        // dx = σ⁻¹ (d̂ − mean(d̂) − x̂ · mean(d̂ ⊙ x̂)), with d̂ = dy ⊙ γ.
                        var sum: Float = 0, dot: Float = 0
                        for j in 0..<features {
                            let d = dy[base + j] * g[j]
                            sum += d
                            dot += d * n[base + j]
                            dGamma[j] += dy[base + j] * n[base + j]
                            dBeta[j] += dy[base + j]
                        }
                        let meanD = sum / Float(features), meanDot = dot / Float(features), inverse = inverseStd[r]
                        for j in 0..<features {
                            dx[base + j] = inverse * (dy[base + j] * g[j] - meanD - n[base + j] * meanDot)
                        }
                    }
                }
            }
        }
        if let gamma { gamma.gradient = Tensor(dGamma, shape: [features]) }
        if let beta { beta.gradient = Tensor(dBeta, shape: [features]) }
        return needsInputGradient ? inputGradient : nil
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension LayerNormalization.Config: NormalizationConfig {
    public static var kind: String { "layer_normalization" }
    public static var aliases: [String] { ["layernorm"] }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { LayerNormalization(self) }
    public var spec: LayerSpec { .layerNormalization(self) }

    public init(from decoder: Decoder) throws {
        _ = try Self.settings(decoder, NormalizationCodingKeys.self)
        self.init()
        try decodeNormalization(decoder)
    }

    public func encode(to encoder: Encoder) throws { try encodeNormalization(encoder) }
}

/// The settings batch and layer normalisation share (Keras's names and defaults), read, written
/// and turned into weights one way for both.
protocol NormalizationConfig: LayerConfig {
    var epsilon: Float { get set }
    /// Learn a shift `beta`.
    var center: Bool { get set }
    /// Learn a scale `gamma`.
    var scale: Bool { get set }
    var name: String? { get set }
}

enum NormalizationCodingKeys: String, CodingKey, CaseIterable { case epsilon, center, scale, name }

extension NormalizationConfig {
    /// Reads the shared keys beside the layer's own (the layer checks for unknown keys).
    mutating func decodeNormalization(_ decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: NormalizationCodingKeys.self)
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-3
        center = try c.decodeIfPresent(Bool.self, forKey: .center) ?? true
        scale = try c.decodeIfPresent(Bool.self, forKey: .scale) ?? true
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    /// Writes the shared keys after the layer's own.
    func encodeNormalization(_ encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NormalizationCodingKeys.self)
        try c.encode(epsilon, forKey: .epsilon)
        try c.encode(center, forKey: .center)
        try c.encode(scale, forKey: .scale)
        try c.encodeIfPresent(name, forKey: .name)
    }

    /// Keras's start, a scale of 1 and a shift of 0, so that a new layer only normalises.
    func makeAffine(features: Int) -> (gamma: Parameter?, beta: Parameter?) {
        (scale ? Parameter(name: "gamma", value: Tensor(repeating: 1, shape: [features])) : nil,
         center ? Parameter(name: "beta", value: Tensor(zeros: [features])) : nil)
    }
}
