import TunaTensor

/// Adds zero-mean Gaussian noise of standard deviation `stddev` while training (Keras's
/// `GaussianNoise`), a regulariser for inputs of any shape; inference passes inputs through.
public final class GaussianNoise: Layer {
    public struct Config: Hashable, Sendable {
        public var stddev: Float
        public var seed: UInt64?
        public var name: String?
        public init(stddev: Float, seed: UInt64? = nil, name: String? = nil) {
            self.stddev = stddev
            self.seed = seed
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private var generator = SeededGenerator(seed: 0)
    private var inputShape: [Int] = []
    private var output = Tensor.empty
    /// The last draw, kept only while `freezesDraws` is set.
    private var frozenNoise: [Float] = []
    /// Tests set this to keep the last draw, so finite differences see one fixed noise.
    var freezesDraws = false

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "gaussian_noise"
    }

    public convenience init(_ stddev: Float, seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(stddev: stddev, seed: seed, name: name))
    }

    public var spec: LayerSpec { config.spec }
    public var forwardFlopsPerSample: Int { inputShape.reduce(1, *) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.stddev >= 0, config.stddev.isFinite else {
            throw NNError.invalidArgument("layer '\(name)': stddev must be a non-negative number, got \(config.stddev)")
        }
        self.generator = config.seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        self.inputShape = inputShape
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try checkInput(input, expected: inputShape, layer: name)
        guard training, config.stddev > 0 else { return input }
        output.reuse(shape: input.shape)
        let stddev = Double(config.stddev)
        if freezesDraws && frozenNoise.count == input.count {
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    for i in x.indices { y[i] = x[i] + frozenNoise[i] }
                }
            }
            return output
        }
        if freezesDraws { frozenNoise.removeAll(keepingCapacity: true) }
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in x.indices {
                    let noise = Float(generator.nextNormal() * stddev)
                    if freezesDraws { frozenNoise.append(noise) }
                    y[i] = x[i] + noise
                }
            }
        }
        return output
    }

    /// The noise is added, so the gradient passes through unchanged.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        needsInputGradient ? outputGradient : nil
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension GaussianNoise.Config: LayerConfig {
    public static var kind: String { "gaussian_noise" }
    public func makeLayer() -> any Layer { GaussianNoise(self) }
    public var spec: LayerSpec { .gaussianNoise(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable { case stddev, seed, name }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let stddev = try? single.decode(Float.self) {
            self.init(stddev: stddev)
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            stddev: try c.decode(Float.self, forKey: .stddev),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
