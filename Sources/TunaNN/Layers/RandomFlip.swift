import TunaTensor

/// Flips each training image left-right and/or upside down with probability 1/2 per axis
/// (Keras's `RandomFlip`); inference passes images through.
public final class RandomFlip: Layer, WarpingLayer {
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
    public var name: String
    let warp = ImageWarp(fill: WarpFill(fillMode: .nearest, interpolation: .nearest))
    var generator = SeededGenerator(seed: 0)

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? "random_flip"
    }

    public convenience init(_ mode: Mode, seed: UInt64? = nil, name: String? = nil) {
        self.init(Config(mode: mode, seed: seed, name: name))
    }

    public var spec: LayerSpec { config.spec }
    public var forwardFlopsPerSample: Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        self.generator = config.seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        return try warp.build(inputShape: inputShape, layer: name)
    }

    func drawMap(_ generator: inout SeededGenerator) -> PixelMap {
        var map = PixelMap.identity
        if config.mode != .vertical, generator.nextFloat() < 0.5 { map.a11 = -1; map.bx = Float(warp.width - 1) }
        if config.mode != .horizontal, generator.nextFloat() < 0.5 { map.a00 = -1; map.by = Float(warp.height - 1) }
        return map
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor { try warpForward(input, training: training) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try warpBackward(outputGradient, needsInputGradient: needsInputGradient)
    }
}

extension RandomFlip.Config: LayerConfig {
    public static var kind: String { "random_flip" }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { RandomFlip(self) }
    public var spec: LayerSpec { .randomFlip(self) }

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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
