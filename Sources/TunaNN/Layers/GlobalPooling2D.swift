import TunaTensor

/// The maximum or mean over every position, per channel, of channels-last images `(batch, height, width, channels)`, giving
/// `(batch, channels)` as Keras's `GlobalMaxPooling2D` / `GlobalAveragePooling2D`: the usual
/// bridge from a convolutional stack to a classifier head without the many weights a Flatten +
/// Dense needs.
public final class GlobalPooling2D<Reduction: PoolingReduction>: Layer {
    /// Settings: only a name (every position is reduced).
    public struct Config: LayerConfig {
        public var name: String?
        public init(name: String? = nil) { self.name = name }
    }

    public let config: Config
    public var name: String
    private let engine = GlobalPoolingEngine(kind: Reduction.operation)

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? Config.kind
    }

    public convenience init(name: String?) { self.init(Config(name: name)) }

    public var spec: LayerSpec { config.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try engine.build(inputShape: inputShape, rank: 3, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

extension GlobalPooling2D.Config {
    public static var standard: Self? { Self() }
    public static var kind: String { "global_\(Reduction.operation.rawValue)_pooling2d" }
    public static var settingsLabel: String { "global pooling" }
    public func makeLayer() -> any Layer { GlobalPooling2D(self) }
    public var spec: LayerSpec { Reduction.box(self) }

    public init(from decoder: Decoder) throws {
        self.init(name: try Self.settings(decoder, NameCodingKeys.self).decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NameCodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
