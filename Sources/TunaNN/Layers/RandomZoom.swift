import TunaTensor

/// Zooms each training image about its centre by a random factor (Keras's `RandomZoom`:
/// positive factors zoom out, `0.2` draws from [−20%, +20%]); without a width factor the
/// aspect ratio is kept.
public final class RandomZoom: ImageAugmentationLayer {
    public struct Config: Hashable, Sendable {
        public var heightFactor: FactorRange
        public var widthFactor: FactorRange?
        public var fill: WarpFill
        public var seed: UInt64?
        public var name: String?
        public init(heightFactor: FactorRange, widthFactor: FactorRange? = nil, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
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

    public convenience init(_ heightFactor: Float, widthFactor: Float? = nil, fill: WarpFill = WarpFill(), seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(heightFactor: FactorRange(heightFactor), widthFactor: widthFactor.map(FactorRange.init), fill: fill, seed: seed, name: name))
    }

    public override func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        // A factor of −1 would zoom in infinitely.
        try config.heightFactor.check("height_factor", layer: name, limit: 0.99)
        try config.widthFactor?.check("width_factor", layer: name, limit: 0.99)
        return try super.build(inputShape: inputShape, generator: &generator)
    }

    override func drawMap(_ generator: inout SeededGenerator) -> PixelMap {
        let sy = 1 + config.heightFactor.draw(&generator)
        let sx = config.widthFactor.map { 1 + $0.draw(&generator) } ?? sy
        return .transform(height: warp.height, width: warp.width, sy: sy, sx: sx)
    }
}

extension RandomZoom.Config: WarpConfig {
    public static var kind: String { "random_zoom" }
    public func makeLayer() -> any Layer { RandomZoom(self) }
    public var spec: LayerSpec { .randomZoom(self) }

    public init(from decoder: Decoder) throws {
        if let factor = try? FactorRange(from: decoder) {
            self.init(heightFactor: factor)
            return
        }
        let c = try Self.warpSettings(decoder, factors: [.heightFactor, .widthFactor])
        self.init(
            heightFactor: try c.decode(FactorRange.self, forKey: .heightFactor),
            widthFactor: try c.decodeIfPresent(FactorRange.self, forKey: .widthFactor))
        try decodeWarp(c)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(heightFactor, forKey: .heightFactor)
        try c.encodeIfPresent(widthFactor, forKey: .widthFactor)
        try encodeWarp(&c)
    }
}
