import TunaTensor

/// The maximum or mean over every position, per channel, of channels-last sequences
/// `(batch, steps, channels)` or images `(batch, height, width, channels)`, giving
/// `(batch, channels)` as Keras's `GlobalMaxPooling1D`, `GlobalAveragePooling2D` and the rest: the
/// usual bridge from a convolutional stack to a classifier head without the many weights a
/// Flatten + Dense needs.
public final class GlobalPooling<Reduction: PoolingReduction, Axes: GlobalPoolingAxes>: Layer {
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
        try engine.build(inputShape: inputShape, rank: Axes.rank, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    /// Padded steps (masked) of a sequence are left out of the pool, as in Keras; images have no
    /// padding mask.
    public func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        try engine.forward(input, mask: Axes.readsMask ? mask : nil, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

extension GlobalPooling.Config {
    public static var standard: Self? { Self() }
    public static var kind: String { "global_\(Reduction.operation.rawValue)_pooling\(Axes.rank - 1)d" }
    public static var settingsLabel: String { "global pooling" }
    public func makeLayer() -> any Layer { GlobalPooling(self) }
    public var spec: LayerSpec { Axes.box(self) }

    /// Only a name (every position is reduced); Swift's synthesised `encode(to:)` writes it.
    enum CodingKeys: String, CodingKey, CaseIterable { case name }

    public init(from decoder: Decoder) throws {
        self.init(name: try Self.settings(decoder, CodingKeys.self).decodeIfPresent(String.self, forKey: .name))
    }
}

/// The positions a global pooling reduces: the steps of a sequence or the pixels of an image.
public protocol GlobalPoolingAxes: Sendable {
    /// The rank of one sample, channels included.
    static var rank: Int { get }
    /// Whether a padding mask can reach this input (sequences only).
    static var readsMask: Bool { get }
    /// Puts settings with these axes in their `LayerSpec` case (via the reduction, which knows
    /// the rest of the case's name).
    static func box<R: PoolingReduction>(_ config: GlobalPooling<R, Self>.Config) -> LayerSpec
}

public enum SequenceAxes: GlobalPoolingAxes {
    public static var rank: Int { 2 }
    public static var readsMask: Bool { true }
    public static func box<R: PoolingReduction>(_ config: GlobalPooling<R, Self>.Config) -> LayerSpec { R.box(config) }
}

public enum ImageAxes: GlobalPoolingAxes {
    public static var rank: Int { 3 }
    public static var readsMask: Bool { false }
    public static func box<R: PoolingReduction>(_ config: GlobalPooling<R, Self>.Config) -> LayerSpec { R.box(config) }
}
