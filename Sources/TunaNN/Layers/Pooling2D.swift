import TunaTensor

/// The maximum or mean over each window of channels-last images `(batch, height, width,
/// channels)`, per channel, as Keras's `MaxPooling2D` / `AveragePooling2D` (see
/// `PoolingOperation`).
public final class Pooling2D<Reduction: PoolingReduction>: Layer {
    /// Settings (Keras names); pairs are `[height, width]` and `strides` defaults to `poolSize`.
    public struct Config: LayerConfig {
        public var poolSize: [Int]
        public var strides: [Int]?
        public var padding: Padding
        public var name: String?

        public init(poolSize: [Int] = [2, 2], strides: [Int]? = nil, padding: Padding = .valid, name: String? = nil) {
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

    /// `MaxPooling2D(poolSize: 2)`, as in Keras; sizes are square.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Config(poolSize: [poolSize, poolSize], strides: strides.map { [$0, $0] }, padding: padding, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.poolSize.count == 2, config.strides.map({ $0.count == 2 }) ?? true else {
            throw NNError.invalidArgument(
                "layer '\(name)': pool_size and strides must be one number or [height, width], got \(config.poolSize) and \(config.strides ?? config.poolSize)")
        }
        return try engine.build(
            inputShape: inputShape, poolSize: config.poolSize, strides: config.strides ?? config.poolSize,
            padding: config.padding, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

extension Pooling2D.Config {
    public static var standard: Self? { Self() }
    public static var kind: String { "\(Reduction.operation.rawValue)_pooling2d" }
    public static var settingsLabel: String { "pooling" }
    public func makeLayer() -> any Layer { Pooling2D(self) }
    public var spec: LayerSpec { Reduction.box(self) }

    /// Decodes `{"pool_size": 2, "strides": [2, 1], "padding": "same"}`, or just the pool size
    /// (`2` or `[2, 3]`).
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer() {
            if let size = try? single.decode(Int.self) { self.init(poolSize: [size, size]); return }
            if let pair = try? single.decode([Int].self) {
                guard pair.count == 2 else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription: "pool_size is one whole number or a [height, width] pair, got \(pair)")
                }
                self.init(poolSize: pair)
                return
            }
        }
        let c = try Self.settings(decoder, PoolingCodingKeys.self)
        self.init(
            poolSize: try decodePair(c, .poolSize) ?? [2, 2],
            strides: try decodePair(c, .strides),
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        try encodePoolingWindow(to: encoder, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}
