import TunaTensor

/// Rotates each training image about its centre by a random fraction of a full turn (Keras's
/// `RandomRotation`: positive is counter-clockwise; `0.1` draws from [−36°, 36°]).
public final class RandomRotation: ImageAugmentationLayer {
    public struct Config: Hashable, Sendable {
        public var factor: FactorRange
        public var fill: WarpFill
        public var seed: UInt64?
        public var name: String?
        public init(factor: FactorRange, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
            self.factor = factor
            self.fill = fill
            self.seed = seed
            self.name = name
        }
    }

    public let config: Config

    public init(_ config: Config) {
        self.config = config
        super.init(spec: config.spec, name: config.name ?? Config.kind, fill: config.fill, seed: config.seed)
    }

    public convenience init(_ factor: Float, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(factor: FactorRange(factor), fill: fill, seed: seed, name: name))
    }

    public override func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try config.factor.check("factor", layer: name)
        return try super.build(inputShape: inputShape, generator: &generator)
    }

    override func drawMap(_ generator: inout SeededGenerator) -> PixelMap {
        .transform(height: warp.height, width: warp.width, angle: config.factor.draw(&generator) * 2 * .pi)
    }
}

extension RandomRotation.Config: WarpConfig {
    public static var kind: String { "random_rotation" }
    public func makeLayer() -> any Layer { RandomRotation(self) }
    public var spec: LayerSpec { .randomRotation(self) }

    public init(from decoder: Decoder) throws {
        if let factor = try? FactorRange(from: decoder) {
            self.init(factor: factor)
            return
        }
        let c = try Self.warpSettings(decoder, factors: [.factor])
        self.init(factor: try c.decode(FactorRange.self, forKey: .factor))
        try decodeWarp(c)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(factor, forKey: .factor)
        try encodeWarp(&c)
    }
}
