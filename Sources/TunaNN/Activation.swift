#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// An elementwise (or, for softmax, row-wise) nonlinearity, named as in Keras.
///
/// The loops work on raw pointers so that Dense can fuse bias, activation and their gradients
/// into single passes over its buffers.
public enum Activation: Hashable, Sendable {
    case linear
    case relu
    case leakyReLU(alpha: Float)
    case elu(alpha: Float)
    case sigmoid
    case tanh
    case softmax
    case softplus
    case swish
    case gelu

    /// Names accepted in model descriptions.
    public static let knownNames = [
        "linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "softplus", "swish", "silu", "gelu",
    ]

    /// Parses a Keras name; `leaky_relu` and `elu` take their Keras default alphas (0.2 and 1).
    public init(name: String) throws {
        switch name.lowercased() {
        case "linear", "none": self = .linear
        case "relu": self = .relu
        case "leaky_relu", "leakyrelu": self = .leakyReLU(alpha: 0.2)
        case "elu": self = .elu(alpha: 1)
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "softmax": self = .softmax
        case "softplus": self = .softplus
        case "swish", "silu": self = .swish
        case "gelu": self = .gelu
        default: throw NNError.unknownName(kind: "activation", name: name, known: Self.knownNames)
        }
    }

    /// The Keras name.
    public var name: String {
        switch self {
        case .linear: "linear"
        case .relu: "relu"
        case .leakyReLU: "leaky_relu"
        case .elu: "elu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case .softplus: "softplus"
        case .swish: "swish"
        case .gelu: "gelu"
        }
    }

    /// `y = f(z)` for `count` elements; softmax works over rows of `rowLength`.
    /// `z` and `y` may be the same buffer.
    public func apply(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        switch self {
        case .linear:
            if UnsafePointer(y) != z { y.update(from: z, count: count) }
        case .relu:
            VectorLoops.relu(z, y, count: count)
        case .leakyReLU(let alpha):
            for i in 0..<count { y[i] = z[i] > 0 ? z[i] : alpha * z[i] }
        case .elu(let alpha):
            for i in 0..<count { y[i] = z[i] > 0 ? z[i] : alpha * (expf(z[i]) - 1) }
        case .sigmoid:
            for i in 0..<count { y[i] = Self.sigmoid(z[i]) }
        case .tanh:
            for i in 0..<count { y[i] = tanhf(z[i]) }
        case .softmax:
            Self.softmaxRows(z, y, count: count, rowLength: rowLength)
        case .softplus:
            for i in 0..<count { y[i] = Swift.max(z[i], 0) + log1pf(expf(-abs(z[i]))) }
        case .swish:
            for i in 0..<count { y[i] = z[i] * Self.sigmoid(z[i]) }
        case .gelu:
            for i in 0..<count { y[i] = 0.5 * z[i] * (1 + erff(z[i] * 0.70710678118654752)) }
        }
    }

    /// `dz = dy * f'(z)`, using the saved input `z` and output `y` (whichever is cheaper).
    /// `dz` may alias `dy`.
    public func gradient(
        z: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dz: UnsafeMutablePointer<Float>, count: Int, rowLength: Int
    ) {
        switch self {
        case .linear:
            if UnsafePointer(dz) != dy { dz.update(from: dy, count: count) }
        case .relu:
            VectorLoops.reluGradient(z: z, dy: dy, dz: dz, count: count)
        case .leakyReLU(let alpha):
            for i in 0..<count { dz[i] = z[i] > 0 ? dy[i] : alpha * dy[i] }
        case .elu(let alpha):
            for i in 0..<count { dz[i] = z[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha) }
        case .sigmoid:
            for i in 0..<count { dz[i] = dy[i] * y[i] * (1 - y[i]) }
        case .tanh:
            for i in 0..<count { dz[i] = dy[i] * (1 - y[i] * y[i]) }
        case .softmax:
            // Row-wise Jacobian-vector product: dz_i = y_i (dy_i - sum_j y_j dy_j).
            let rows = rowLength == 0 ? 0 : count / rowLength
            for r in 0..<rows {
                let base = r * rowLength
                var dot: Float = 0
                for j in 0..<rowLength { dot += y[base + j] * dy[base + j] }
                for j in 0..<rowLength { dz[base + j] = y[base + j] * (dy[base + j] - dot) }
            }
        case .softplus:
            for i in 0..<count { dz[i] = dy[i] * Self.sigmoid(z[i]) }
        case .swish:
            for i in 0..<count {
                let s = Self.sigmoid(z[i])
                dz[i] = dy[i] * (s + z[i] * s * (1 - s))
            }
        case .gelu:
            for i in 0..<count {
                let x = z[i]
                let cdf = 0.5 * (1 + erff(x * 0.70710678118654752))
                let pdf = expf(-0.5 * x * x) * 0.39894228040143268
                dz[i] = dy[i] * (cdf + x * pdf)
            }
        }
    }

    /// A sigmoid that neither overflows nor loses precision for large |z|.
    @inline(__always)
    static func sigmoid(_ z: Float) -> Float {
        if z >= 0 {
            return 1 / (1 + expf(-z))
        }
        let e = expf(z)
        return e / (1 + e)
    }

    /// Numerically stable softmax over each row (the row maximum is subtracted first).
    static func softmaxRows(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        guard rowLength > 0 else { return }
        for r in 0..<(count / rowLength) {
            let base = r * rowLength
            var maximum = -Float.infinity
            for j in 0..<rowLength { maximum = Swift.max(maximum, z[base + j]) }
            var total: Float = 0
            for j in 0..<rowLength {
                let e = expf(z[base + j] - maximum)
                y[base + j] = e
                total += e
            }
            let inverse = 1 / total
            for j in 0..<rowLength { y[base + j] *= inverse }
        }
    }
}

extension Activation: Codable {
    /// Encoded as a bare name (`"relu"`), or a one-key object when it has a setting
    /// (`{"leaky_relu": {"alpha": 0.1}}`), the shape study files use.
    public init(from decoder: Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let name = try? container.decode(String.self) {
            self = try decodingName(decoder) { try Activation(name: name) }
            return
        }
        let container = try decoder.container(keyedBy: DynamicKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "an activation is a name or an object with one key"))
        }
        let settings = try container.nestedContainer(keyedBy: DynamicKey.self, forKey: key)
        let alpha = try settings.decodeIfPresent(Float.self, forKey: DynamicKey("alpha"))
        let named = try decodingName(decoder) { try Activation(name: key.stringValue) }
        switch named {
        case .leakyReLU(let defaultAlpha): self = .leakyReLU(alpha: alpha ?? defaultAlpha)
        case .elu(let defaultAlpha): self = .elu(alpha: alpha ?? defaultAlpha)
        case let other: self = other
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .leakyReLU(let alpha), .elu(let alpha):
            var container = encoder.container(keyedBy: DynamicKey.self)
            var settings = container.nestedContainer(keyedBy: DynamicKey.self, forKey: DynamicKey(name))
            try settings.encode(alpha, forKey: DynamicKey("alpha"))
        default:
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }
    }
}

/// A coding key made from any string, for the one-key-object shapes of model descriptions.
public struct DynamicKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}
