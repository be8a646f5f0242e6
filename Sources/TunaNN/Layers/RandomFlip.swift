import TunaTensor

/// Flips each training image left-right and/or upside down with probability 1/2 per axis
/// (Keras's `RandomFlip`); inference passes images through.
public final class RandomFlip: ImageAugmentationLayer {
    public enum Mode: String, Hashable, Sendable, Codable, CaseIterable {
        case horizontal, vertical
        case horizontalAndVertical = "horizontal_and_vertical"
    }

    public struct Config: Hashable, Sendable {
        public var mode: Mode
        public var seed: UInt64?
        public var name: String?
        public init(mode: Mode = .horizontalAndVertical, seed: UInt64? = nil, name: String? = nil) {
            self.mode = mode
            self.seed = seed
            self.name = name
        }
    }

    public let config: Config

    /// Flips move whole pixels, so the nearest pixel is exact and nothing is filled.
    public init(_ config: Config = Config()) {
        self.config = config
        super.init(
            spec: config.spec, name: config.name ?? Config.kind, fill: WarpFill(fillMode: .nearest, interpolation: .nearest),
            seed: config.seed)
    }

    public convenience init(_ mode: Mode, seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(mode: mode, seed: seed, name: name))
    }

    public override var forwardFlopsPerSample: Int { 0 }

    override func drawMap(_ generator: inout SeededGenerator) -> PixelMap {
        var map = PixelMap.identity
        if config.mode != .vertical, generator.nextFloat() < 0.5 { map.a11 = -1; map.bx = Float(warp.width - 1) }
        if config.mode != .horizontal, generator.nextFloat() < 0.5 { map.a00 = -1; map.by = Float(warp.height - 1) }
        return map
    }
}

extension RandomFlip.Config: LayerConfig {
    public static var kind: String { "random_flip" }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { RandomFlip(self) }
    public var spec: LayerSpec { .randomFlip(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable { case mode, seed, name }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let mode = try? single.decode(RandomFlip.Mode.self) {
            self.init(mode: mode)
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            mode: try c.decodeIfPresent(RandomFlip.Mode.self, forKey: .mode) ?? .horizontalAndVertical,
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
