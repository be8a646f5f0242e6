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

    public var spec: LayerSpec { .randomFlip(config) }
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
