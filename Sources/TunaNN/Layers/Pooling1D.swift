import TunaTensor

/// The maximum or mean over each window of channels-last sequences `(batch, steps, channels)`,
/// per channel, as Keras's `MaxPooling1D` / `AveragePooling1D` (see `PoolingOperation`).
public final class Pooling1D<Reduction: PoolingReduction>: Layer {
    /// Settings (Keras names); `strides` defaults to `poolSize`.
    public struct Config: LayerConfig {
        public var poolSize: Int
        public var strides: Int?
        public var padding: Padding
        public var name: String?

        public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
            self.poolSize = poolSize
            self.strides = strides
            self.padding = padding
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private let engine = PoolingEngine(kind: Reduction.operation)

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? Config.kind
    }

    /// `MaxPooling1D(poolSize: 2)`, as in Keras.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Config(poolSize: poolSize, strides: strides, padding: padding, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try engine.build(
            inputShape: inputShape, poolSize: [config.poolSize], strides: [config.strides ?? config.poolSize],
            padding: config.padding, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

extension Pooling1D.Config {
    public static var standard: Self? { Self() }
    public static var kind: String { "\(Reduction.operation.rawValue)_pooling1d" }
    public static var settingsLabel: String { "pooling" }
    public func makeLayer() -> any Layer { Pooling1D(self) }
    public var spec: LayerSpec { Reduction.box(self) }

    /// Decodes `{"pool_size": 2, "strides": 1, "padding": "same"}`, or just the pool size (`2`).
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let size = try? single.decode(Int.self) {
            self.init(poolSize: size)
            return
        }
        let c = try Self.settings(decoder, PoolingCodingKeys.self)
        self.init(
            poolSize: try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? 2,
            strides: try c.decodeIfPresent(Int.self, forKey: .strides),
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}

extension Pooling1D.Config {
    public func encode(to encoder: Encoder) throws {
        try encodePoolingWindow(to: encoder, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}
