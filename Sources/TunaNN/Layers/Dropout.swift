import TunaTensor

/// Sets a random fraction `rate` of inputs to zero while training and scales the rest by
/// `1 / (1 - rate)` (inverted dropout), so inference needs no rescaling.
public final class Dropout: Layer {
    public struct Config: Hashable, Sendable {
        public var rate: Float
        /// A fixed seed for the masks; by default the model's generator seeds the layer.
        public var seed: UInt64?
        public var name: String?
        public init(rate: Float, seed: UInt64? = nil, name: String? = nil) {
            self.rate = rate
            self.seed = seed
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private var generator = SeededGenerator(seed: 0)
    private var mask = Tensor.empty
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private var inputShape: [Int] = []

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "dropout"
    }

    public convenience init(_ rate: Float, seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(rate: rate, seed: seed, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.rate >= 0, config.rate < 1 else {
            throw NNError.invalidArgument("layer '\(name)': dropout rate must be in [0, 1), got \(config.rate)")
        }
        self.generator = config.seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        self.inputShape = inputShape
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try checkInput(input, expected: inputShape, layer: name)
        guard training, config.rate > 0 else { return input }
        let keep = 1 - config.rate
        let scale = 1 / keep
        mask.reuse(shape: input.shape)
        output.reuse(shape: input.shape)
        input.withUnsafeBufferPointer { x in
            mask.withUnsafeMutableBufferPointer { m in
                output.withUnsafeMutableBufferPointer { y in
                    for i in x.indices {
                        m[i] = generator.nextFloat() < keep ? scale : 0
                        y[i] = x[i] * m[i]
                    }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard needsInputGradient else { return nil }
        guard config.rate > 0 else { return outputGradient }
        guard outputGradient.shape == mask.shape else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match mask \(mask.shape)")
        }
        inputGradient.reuse(shape: outputGradient.shape)
        outputGradient.withUnsafeBufferPointer { dy in
            mask.withUnsafeBufferPointer { m in
                inputGradient.withUnsafeMutableBufferPointer { dx in
                    for i in dy.indices { dx[i] = dy[i] * m[i] }
                }
            }
        }
        return inputGradient
    }
}

extension Dropout.Config: LayerConfig {
    public static var kind: String { "dropout" }
    public func makeLayer() -> any Layer { Dropout(self) }
    public var spec: LayerSpec { .dropout(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable { case rate, seed, name }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let rate = try? single.decode(Float.self) {
            self.init(rate: rate)
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            rate: try c.decode(Float.self, forKey: .rate),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
