import TunaTensor

/// Shifts each training image by a random fraction of its height and width (Keras's
/// `RandomTranslation`: a factor `f` draws from [−f, f], a pair from [lower, upper]).
public final class RandomTranslation: ImageAugmentationLayer {
    public struct Config: Hashable, Sendable {
        public var heightFactor: FactorRange
        public var widthFactor: FactorRange
        public var fill: WarpFill
        public var seed: UInt64?
        public var name: String?
        public init(heightFactor: FactorRange, widthFactor: FactorRange, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
            self.heightFactor = heightFactor
            self.widthFactor = widthFactor
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

    public convenience init(heightFactor: Float, widthFactor: Float, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(heightFactor: FactorRange(heightFactor), widthFactor: FactorRange(widthFactor), fill: fill, seed: seed, name: name))
    }

    public override func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try config.heightFactor.check("height_factor", layer: name, limit: 1)
        try config.widthFactor.check("width_factor", layer: name, limit: 1)
        return try super.build(inputShape: inputShape, generator: &generator)
    }

    override func drawMap(_ generator: inout SeededGenerator) -> PixelMap {
        let dy = config.heightFactor.draw(&generator) * Float(warp.height)
        let dx = config.widthFactor.draw(&generator) * Float(warp.width)
        return .transform(height: warp.height, width: warp.width, dy: dy, dx: dx)
    }
}

extension RandomTranslation.Config: WarpConfig {
    public static var kind: String { "random_translation" }
    public func makeLayer() -> any Layer { RandomTranslation(self) }
    public var spec: LayerSpec { .randomTranslation(self) }

    public init(from decoder: Decoder) throws {
        let c = try Self.warpSettings(decoder, factors: [.heightFactor, .widthFactor])
        self.init(
            heightFactor: try c.decode(FactorRange.self, forKey: .heightFactor),
            widthFactor: try c.decode(FactorRange.self, forKey: .widthFactor))
        try decodeWarp(c)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(heightFactor, forKey: .heightFactor)
        try c.encode(widthFactor, forKey: .widthFactor)
        try encodeWarp(&c)
    }
}
