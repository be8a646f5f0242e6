import TunaTensor

/// An L1/L2 weight penalty, added to the loss as Keras does: `l1 * sum|w| + l2 * sum(w^2)`.
public struct Regularizer: Hashable, Sendable, Codable {
    public var l1: Float
    public var l2: Float

    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    /// Keras's `l1()` / `l2()` default strength.
    public static func l1(_ strength: Float = 0.01) -> Regularizer { Regularizer(l1: strength) }
    public static func l2(_ strength: Float = 0.01) -> Regularizer { Regularizer(l2: strength) }

    /// The penalty for `value`; adds its gradient into `gradient`.
    public func apply(value: Tensor, gradient: inout Tensor) -> Double {
        var penalty = 0.0
        value.withUnsafeBufferPointer { w in
            gradient.withUnsafeMutableBufferPointer { g in
                for i in w.indices {
                    let x = w[i]
                    penalty += Double(l1 * abs(x) + l2 * x * x)
                    g[i] += l1 * (x > 0 ? 1 : (x < 0 ? -1 : 0)) + 2 * l2 * x
                }
            }
        }
        return penalty
    }

    /// The penalty alone (for reporting).
    public func penalty(_ value: Tensor) -> Double {
        value.withUnsafeBufferPointer { w in
            w.reduce(0.0) { $0 + Double(l1 * abs($1) + l2 * $1 * $1) }
        }
    }
}

/// A projection of a weight after each update (Keras constraints).
public enum Constraint: Hashable, Sendable, Codable {
    /// Each unit's incoming weight vector (the kernel's column in Dense) has norm at most `maxValue`.
    case maxNorm(Float)
    /// Negative weights are set to zero.
    case nonNegative

    /// Projects `value` (a kernel whose last axis is the output units).
    public func apply(_ value: inout Tensor) {
        let units = value.shape.last ?? 1
        value.withUnsafeMutableBufferPointer { w in
            switch self {
            case .nonNegative:
                for i in w.indices where w[i] < 0 { w[i] = 0 }
            case .maxNorm(let maxValue):
                let rows = units == 0 ? 0 : w.count / units
                for j in 0..<units {
                    var sumSquares: Float = 0
                    for i in 0..<rows { sumSquares += w[i * units + j] * w[i * units + j] }
                    let norm = sumSquares.squareRoot()
                    // Keras scales by clip(norm, 0, max) / (epsilon + norm).
                    let scale = Swift.min(norm, maxValue) / (1e-7 + norm)
                    for i in 0..<rows { w[i * units + j] *= scale }
                }
            }
        }
    }
}

extension Regularizer {
    /// Decodes `"l2"` (Keras default 0.01), `{"l2": 0.001}`, or `{"l1": 0.01, "l2": 0.01}`.
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            switch name {
            case "l1": self = .l1()
            case "l2": self = .l2()
            case "l1_l2": self = Regularizer(l1: 0.01, l2: 0.01)
            default: self = try decodingName(decoder) { () -> Regularizer in throw NNError.unknownName(kind: "regularizer", name: name, known: ["l1", "l2", "l1_l2"]) }
            }
            return
        }
        try checkKeys(decoder, known: ["l1", "l2"], layer: "regularizer")
        let c = try decoder.container(keyedBy: DynamicKey.self)
        self.init(
            l1: try c.decodeIfPresent(Float.self, forKey: DynamicKey("l1")) ?? 0,
            l2: try c.decodeIfPresent(Float.self, forKey: DynamicKey("l2")) ?? 0)
    }
}

extension Constraint {
    /// Decodes `"non_neg"`, `"max_norm"` (Keras default 2) or `{"max_norm": 3}`.
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            switch name {
            case "non_neg", "nonneg": self = .nonNegative
            case "max_norm": self = .maxNorm(2)
            default: self = try decodingName(decoder) { () -> Constraint in throw NNError.unknownName(kind: "constraint", name: name, known: ["max_norm", "non_neg"]) }
            }
            return
        }
        try checkKeys(decoder, known: ["max_norm"], layer: "constraint")
        let c = try decoder.container(keyedBy: DynamicKey.self)
        self = .maxNorm(try c.decode(Float.self, forKey: DynamicKey("max_norm")))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .nonNegative:
            var c = encoder.singleValueContainer()
            try c.encode("non_neg")
        case .maxNorm(let value):
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(value, forKey: DynamicKey("max_norm"))
        }
    }
}
