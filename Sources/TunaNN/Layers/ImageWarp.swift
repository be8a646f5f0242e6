#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// How an augmentation layer reads pixels that fall outside the image (Keras's `fill_mode`):
/// `reflect` (d c b a | a b c d | d c b a), `wrap` (a b c d | a b c d), `nearest`
/// (a a a a | a b c d | d d d d) or `constant` (`fill_value`).
public enum FillMode: String, Hashable, Sendable, Codable, CaseIterable {
    case reflect, wrap, nearest, constant
}

/// How a pixel between grid points is read (Keras's `interpolation`).
public enum Interpolation: String, Hashable, Sendable, Codable, CaseIterable {
    case bilinear, nearest
}

/// The fill settings every geometric augmentation layer shares.
public struct WarpFill: Hashable, Sendable {
    public var fillMode: FillMode = .reflect
    public var interpolation: Interpolation = .bilinear
    public var fillValue: Float = 0
    public init(fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear, fillValue: Float = 0) {
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
    }
}

/// An affine map from output pixel coordinates to input ones (`(y, x) ↦ A (y, x) + b`), the
/// inverse of the transform the image undergoes: each output pixel reads where it came from.
struct PixelMap: Hashable, Sendable {
    var a00: Float, a01: Float, a10: Float, a11: Float, by: Float, bx: Float

    static let identity = PixelMap(a00: 1, a01: 0, a10: 0, a11: 1, by: 0, bx: 0)

    /// Scales by (`sy`, `sx`) and rotates by `angle` (radians, counter-clockwise) about the
    /// image centre, then shifts by (`dy`, `dx`) pixels — as a map from output to input.
    static func transform(height: Int, width: Int, angle: Float = 0, sy: Float = 1, sx: Float = 1, dy: Float = 0, dx: Float = 0) -> PixelMap {
        let cy = Float(height - 1) / 2, cx = Float(width - 1) / 2
        // input = centre + S · R · (output − centre − shift). Rows grow downwards, so reading
        // through R(−angle) turns the picture counter-clockwise, as Keras's positive factor does.
        let c = cosf(angle), s = -sinf(angle)
        let a00 = sy * c, a01 = -sy * s, a10 = sx * s, a11 = sx * c
        let oy = cy + dy, ox = cx + dx
        return PixelMap(a00: a00, a01: a01, a10: a10, a11: a11, by: cy - a00 * oy - a01 * ox, bx: cx - a10 * oy - a11 * ox)
    }
}

/// Resamples a batch of channels-last images through one `PixelMap` per sample, and maps
/// gradients back through the same sampling (its transpose), so augmentation layers can sit
/// anywhere in a network.
final class ImageWarp {
    let fill: WarpFill
    private(set) var height = 0, width = 0, channels = 0
    private(set) var maps: [PixelMap] = []
    /// Tests set this to keep the last draw, so finite differences see one fixed transform.
    var freezesDraws = false
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty

    init(fill: WarpFill) { self.fill = fill }

    func build(inputShape: [Int], layer: String) throws -> [Int] {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError.shapeMismatch("layer '\(layer)' needs images of shape (height, width, channels), got \(inputShape)")
        }
        height = inputShape[0]
        width = inputShape[1]
        channels = inputShape[2]
        return inputShape
    }

    /// Keeps the frozen draw when asked to and it fits the batch; else draws a new one.
    func prepare(batch: Int, draw: () -> PixelMap) {
        if freezesDraws && maps.count == batch { return }
        maps = (0..<batch).map { _ in draw() }
    }

    /// The input position `index` along an axis of `size` pixels, by the fill mode; nil
    /// outside the image for `constant`.
    @inline(__always)
    private func resolve(_ index: Int, size: Int) -> Int? {
        if index >= 0 && index < size { return index }
        switch fill.fillMode {
        case .constant: return nil
        case .nearest: return index < 0 ? 0 : size - 1
        case .wrap: return ((index % size) + size) % size
        case .reflect:
            // Period 2·size: (d c b a | a b c d | d c b a).
            let period = 2 * size
            var i = ((index % period) + period) % period
            if i >= size { i = period - 1 - i }
            return i
        }
    }

    /// The input pixels and weights output pixel (y, x) of sample `map` reads (up to four).
    @inline(__always)
    private func taps(_ map: PixelMap, y: Int, x: Int, body: (_ row: Int?, _ column: Int?, _ weight: Float) -> Void) {
        let sy = map.a00 * Float(y) + map.a01 * Float(x) + map.by
        let sx = map.a10 * Float(y) + map.a11 * Float(x) + map.bx
        switch fill.interpolation {
        case .nearest:
            body(resolve(Int((sy + 0.5).rounded(.down)), size: height), resolve(Int((sx + 0.5).rounded(.down)), size: width), 1)
        case .bilinear:
            let y0 = sy.rounded(.down), x0 = sx.rounded(.down)
            let fy = sy - y0, fx = sx - x0
            let iy = Int(y0), ix = Int(x0)
            for (dy, wy) in [(0, 1 - fy), (1, fy)] where wy != 0 {
                let row = resolve(iy + dy, size: height)
                for (dx, wx) in [(0, 1 - fx), (1, fx)] where wx != 0 {
                    body(row, resolve(ix + dx, size: width), wy * wx)
                }
            }
        }
    }

    func forward(_ x: Tensor) -> Tensor {
        let batch = x.shape[0], c = channels, h = height, w = width
        output.reuse(shape: x.shape)
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { po in
                for b in 0..<batch {
                    let map = maps[b], image = b * h * w * c
                    for y in 0..<h {
                        for xx in 0..<w {
                            let out = po.baseAddress! + image + (y * w + xx) * c
                            out.update(repeating: 0, count: c)
                            taps(map, y: y, x: xx) { row, column, weight in
                                if let row, let column {
                                    let source = px.baseAddress! + image + (row * w + column) * c
                                    for k in 0..<c { out[k] += weight * source[k] }
                                } else {
                                    for k in 0..<c { out[k] += weight * fill.fillValue }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    func backward(_ dy: Tensor) -> Tensor {
        let batch = dy.shape[0], c = channels, h = height, w = width
        inputGradient.reuse(shape: dy.shape)
        dy.withUnsafeBufferPointer { pd in
            inputGradient.withUnsafeMutableBufferPointer { pg in
                pg.update(repeating: 0)
                for b in 0..<batch {
                    let map = maps[b], image = b * h * w * c
                    for y in 0..<h {
                        for xx in 0..<w {
                            let upstream = pd.baseAddress! + image + (y * w + xx) * c
                            taps(map, y: y, x: xx) { row, column, weight in
                                guard let row, let column else { return }
                                let target = pg.baseAddress! + image + (row * w + column) * c
                                for k in 0..<c { target[k] += weight * upstream[k] }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}

/// A factor Keras accepts as one number `f` (the range [−f, f]) or a `[lower, upper]` pair.
public struct FactorRange: Hashable, Sendable {
    public var lower: Float
    public var upper: Float
    public init(_ factor: Float) { lower = -abs(factor); upper = abs(factor) }
    public init(lower: Float, upper: Float) { self.lower = lower; self.upper = upper }

    func draw(_ generator: inout SeededGenerator) -> Float { lower + (upper - lower) * generator.nextFloat() }

    func check(_ what: String, layer: String, limit: Float? = nil) throws {
        guard lower <= upper, lower.isFinite, upper.isFinite else {
            throw NNError.invalidArgument("layer '\(layer)': \(what) lower bound \(lower) is above its upper bound \(upper)")
        }
        if let limit, lower < -limit || upper > limit {
            throw NNError.invalidArgument("layer '\(layer)': \(what) must lie in [-\(limit), \(limit)], got [\(lower), \(upper)]")
        }
    }
}

/// A layer built on `ImageWarp`, so that code holding any of them can reach the warp (tests
/// freeze its draws to check gradients).
protocol WarpingLayer: AnyObject {
    var warp: ImageWarp { get }
}

/// The random geometric augmentations (Keras's `BaseImageAugmentationLayer`): each subclass
/// checks its factors and draws one sample's transform; seeding, the training-only warp and its
/// backward are here, so that every augmentation draws from its generator the same way.
public class ImageAugmentationLayer: Layer, WarpingLayer {
    public var name: String
    public let spec: LayerSpec
    let warp: ImageWarp
    private let seed: UInt64?
    private var generator = SeededGenerator(seed: 0)

    init(spec: LayerSpec, name: String, fill: WarpFill, seed: UInt64?) {
        self.spec = spec
        self.name = name
        self.warp = ImageWarp(fill: fill)
        self.seed = seed
    }

    /// A fixed seed gives the same transforms whatever the model; by default the model's
    /// generator seeds the layer.
    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        self.generator = seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        return try warp.build(inputShape: inputShape, layer: name)
    }

    public var forwardFlopsPerSample: Int { 8 * warp.height * warp.width * warp.channels }

    /// The output-to-input map of one sample's random transform (each subclass draws its own).
    func drawMap(_ generator: inout SeededGenerator) -> PixelMap { .identity }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try checkInput(x, expected: [warp.height, warp.width, warp.channels], layer: name)
        guard training else { return x }
        var g = generator
        warp.prepare(batch: x.shape[0]) { drawMap(&g) }
        generator = g
        return warp.forward(x)
    }

    public func backward(_ dy: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard needsInputGradient else { return nil }
        guard dy.rank == 4, dy.shape[0] == warp.maps.count else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(dy.shape) does not match the last training batch")
        }
        return warp.backward(dy)
    }
}

extension FactorRange: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let factor = try? c.decode(Float.self) {
            self.init(factor)
            return
        }
        guard let pair = try? c.decode([Float].self), pair.count == 2 else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a factor is one number f (for [-f, f]) or a [lower, upper] pair")
        }
        self.init(lower: pair[0], upper: pair[1])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if lower == -upper { try c.encode(upper) } else { try c.encode([lower, upper]) }
    }
}

/// The keys every geometric augmentation layer takes besides its factors.
enum WarpCodingKeys: String, CodingKey, CaseIterable {
    case factor, seed, name
    case heightFactor = "height_factor"
    case widthFactor = "width_factor"
    case fillMode = "fill_mode"
    case interpolation
    case fillValue = "fill_value"

    static func known(_ factors: [WarpCodingKeys]) -> [String] {
        (factors + [.seed, .name, .fillMode, .interpolation, .fillValue]).map(\.rawValue)
    }
}

/// The settings of a geometric augmentation layer besides its factors (how the image is
/// filled, the seed, the name), read and written one way for all of them.
protocol WarpConfig: LayerConfig {
    var fill: WarpFill { get set }
    var seed: UInt64? { get set }
    var name: String? { get set }
}

extension WarpConfig {
    /// The settings object, after refusing keys that are neither `factors` nor warp settings.
    static func warpSettings(_ decoder: Decoder, factors: [WarpCodingKeys]) throws -> KeyedDecodingContainer<WarpCodingKeys> {
        try checkKeys(decoder, known: WarpCodingKeys.known(factors), layer: kind)
        return try decoder.container(keyedBy: WarpCodingKeys.self)
    }

    /// Reads the fill, seed and name, after the factors the layer read itself.
    mutating func decodeWarp(_ c: KeyedDecodingContainer<WarpCodingKeys>) throws {
        fill = try WarpFill(from: c)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    /// Writes the fill, seed and name after the factors.
    func encodeWarp(_ c: inout KeyedEncodingContainer<WarpCodingKeys>) throws {
        try fill.encode(to: &c)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension WarpFill {
    init(from c: KeyedDecodingContainer<WarpCodingKeys>) throws {
        self.init(
            fillMode: try c.decodeIfPresent(FillMode.self, forKey: .fillMode) ?? .reflect,
            interpolation: try c.decodeIfPresent(Interpolation.self, forKey: .interpolation) ?? .bilinear,
            fillValue: try c.decodeIfPresent(Float.self, forKey: .fillValue) ?? 0)
    }

    func encode(to c: inout KeyedEncodingContainer<WarpCodingKeys>) throws {
        try c.encode(fillMode, forKey: .fillMode)
        try c.encode(interpolation, forKey: .interpolation)
        try c.encode(fillValue, forKey: .fillValue)
    }
}
