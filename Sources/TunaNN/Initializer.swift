import TunaTensor

/// How a weight tensor is filled before training, with Keras's names and formulas.
///
/// Fans follow Keras: for a kernel of shape `(..., in, out)` the receptive field (the product of
/// the leading axes) multiplies both fans, so convolution kernels use the same rules.
public enum Initializer: Hashable, Sendable {
    case zeros
    case ones
    case constant(Float)
    case glorotUniform
    case glorotNormal
    case heUniform
    case heNormal
    case lecunUniform
    case lecunNormal
    case randomNormal(mean: Float, stddev: Float)
    case randomUniform(min: Float, max: Float)
    case orthogonal

    public static let knownNames = [
        "zeros", "ones", "constant", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
        "lecun_uniform", "lecun_normal", "random_normal", "random_uniform", "orthogonal",
    ]

    public init(name: String) throws {
        switch name.lowercased() {
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "constant": self = .constant(0)
        case "glorot_uniform", "xavier_uniform": self = .glorotUniform
        case "glorot_normal", "xavier_normal": self = .glorotNormal
        case "he_uniform": self = .heUniform
        case "he_normal": self = .heNormal
        case "lecun_uniform": self = .lecunUniform
        case "lecun_normal": self = .lecunNormal
        case "random_normal": self = .randomNormal(mean: 0, stddev: 0.05)
        case "random_uniform": self = .randomUniform(min: -0.05, max: 0.05)
        case "orthogonal": self = .orthogonal
        default: throw NNError.unknownName(kind: "initializer", name: name, known: Self.knownNames)
        }
    }

    public var name: String {
        switch self {
        case .zeros: "zeros"
        case .ones: "ones"
        case .constant: "constant"
        case .glorotUniform: "glorot_uniform"
        case .glorotNormal: "glorot_normal"
        case .heUniform: "he_uniform"
        case .heNormal: "he_normal"
        case .lecunUniform: "lecun_uniform"
        case .lecunNormal: "lecun_normal"
        case .randomNormal: "random_normal"
        case .randomUniform: "random_uniform"
        case .orthogonal: "orthogonal"
        }
    }

    /// Fan-in and fan-out of a kernel shape, as Keras computes them.
    public static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Double(shape[0]), Double(shape[0]))
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (Double(shape[shape.count - 2] * receptive), Double(shape[shape.count - 1] * receptive))
        }
    }

    /// A new tensor of `shape` drawn from this initializer.
    public func make(shape: [Int], generator: inout SeededGenerator) -> Tensor {
        let (fanIn, fanOut) = Self.fans(shape)
        // Keras divides the truncated normal's stddev by this to keep the requested variance.
        let truncatedCorrection = 0.87962566103423978
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { p in
            func uniform(_ limit: Double) {
                for i in p.indices { p[i] = Float((generator.nextDouble() * 2 - 1) * limit) }
            }
            func truncated(_ variance: Double) {
                let stddev = variance.squareRoot() / truncatedCorrection
                for i in p.indices { p[i] = Float(generator.nextTruncatedNormal() * stddev) }
            }
            switch self {
            case .zeros: break
            case .ones: p.update(repeating: 1)
            case .constant(let value): p.update(repeating: value)
            case .glorotUniform: uniform((6 / (fanIn + fanOut)).squareRoot())
            case .glorotNormal: truncated(2 / (fanIn + fanOut))
            case .heUniform: uniform((6 / fanIn).squareRoot())
            case .heNormal: truncated(2 / fanIn)
            case .lecunUniform: uniform((3 / fanIn).squareRoot())
            case .lecunNormal: truncated(1 / fanIn)
            case .randomNormal(let mean, let stddev):
                for i in p.indices { p[i] = mean + stddev * Float(generator.nextNormal()) }
            case .randomUniform(let low, let high):
                for i in p.indices { p[i] = low + (high - low) * generator.nextFloat() }
            case .orthogonal:
                Self.fillOrthogonal(p, shape: shape, generator: &generator)
            }
        }
        return t
    }

    /// Rows (or columns) of a Gaussian matrix orthonormalised by Gram-Schmidt, as recurrent
    /// kernels want.
    private static func fillOrthogonal(_ p: UnsafeMutableBufferPointer<Float>, shape: [Int], generator: inout SeededGenerator) {
        let cols = shape.last ?? 1
        let rows = cols == 0 ? 0 : p.count / cols
        let (n, m, transposed) = rows >= cols ? (cols, rows, true) : (rows, cols, false)
        // n vectors of length m, orthonormal.
        var vectors = [[Double]](repeating: [], count: n)
        for k in 0..<n {
            var v = (0..<m).map { _ in generator.nextNormal() }
            for previous in vectors[0..<k] {
                let dot = zip(v, previous).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<m { v[i] -= dot * previous[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vectors[k] = v.map { $0 / Swift.max(norm, 1e-12) }
        }
        for k in 0..<n {
            for i in 0..<m {
                let index = transposed ? i * cols + k : k * cols + i
                p[index] = Float(vectors[k][i])
            }
        }
    }
}

extension Initializer: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let name = try? container.decode(String.self) {
            self = try decodingName(decoder) { try Initializer(name: name) }
        } else if let value = try? container.decode(Float.self) {
            self = .constant(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an initializer is a name or a number")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if case .constant(let value) = self { try container.encode(value) } else { try container.encode(name) }
    }
}
