import TunaTensor

/// The maximum or mean over each window of channels-last sequences `(batch, steps, channels)` or
/// images `(batch, height, width, channels)`, per channel, as Keras's `MaxPooling1D`,
/// `AveragePooling2D` and the rest (see `PoolingOperation`).
public final class Pooling<Reduction: PoolingReduction, Axes: WindowAxes>: Layer {
    /// Settings (Keras names); extents are one number for sequences and `[height, width]` pairs
    /// for images, and `strides` defaults to `poolSize`.
    public struct Config: LayerConfig {
        public var poolSize: Axes.Extent
        public var strides: Axes.Extent?
        public var padding: Padding
        public var name: String?

        public init(poolSize: Axes.Extent = Axes.uniform(2), strides: Axes.Extent? = nil, padding: Padding = .valid, name: String? = nil) {
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

    /// `MaxPooling2D(poolSize: 2)`, as in Keras; sizes are the same along every axis.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Config(poolSize: Axes.uniform(poolSize), strides: strides.map(Axes.uniform), padding: padding, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        let poolSize = Axes.sizes(config.poolSize), strides = Axes.sizes(config.strides ?? config.poolSize)
        guard poolSize.count == Axes.spatialRank, strides.count == Axes.spatialRank else {
            throw NNError.invalidArgument(
                "layer '\(name)': pool_size and strides must be one number or [height, width], got \(poolSize) and \(strides)")
        }
        return try engine.build(inputShape: inputShape, poolSize: poolSize, strides: strides, padding: config.padding, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

/// Keras's names for each rank; `MaxPooling1D` and the rest name the reduction too.
public typealias Pooling1D<Reduction: PoolingReduction> = Pooling<Reduction, SequenceAxes>
public typealias Pooling2D<Reduction: PoolingReduction> = Pooling<Reduction, ImageAxes>

extension Pooling.Config {
    public static var standard: Self? { Self() }
    public static var kind: String { "\(Reduction.operation.rawValue)_pooling\(Axes.spatialRank)d" }
    public static var settingsLabel: String { "pooling" }
    public func makeLayer() -> any Layer { Pooling(self) }
    public var spec: LayerSpec { Axes.box(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case poolSize = "pool_size"
        case strides, padding, name
    }

    /// Decodes `{"pool_size": 2, "strides": [2, 1], "padding": "same"}`, or just the pool size
    /// (`2`, or `[2, 3]` for images).
    public init(from decoder: Decoder) throws {
        guard (try? decoder.container(keyedBy: CodingKeys.self)) != nil else {
            self.init(poolSize: try Axes.extent(from: decoder, label: "pool_size"))
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            poolSize: try Axes.decodeExtent(c, .poolSize) ?? Axes.uniform(2),
            strides: try Axes.decodeExtent(c, .strides),
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
