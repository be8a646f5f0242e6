#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// A training objective, with Keras's names, defaults and reduction: the per-sample loss is
/// averaged over the last axis where Keras does so, multiplied by the sample weight, and summed
/// over the batch divided by the batch size ("sum over batch size").
public enum Loss: Hashable, Sendable {
    case meanSquaredError
    case meanAbsoluteError
    case huber(delta: Float)
    /// Labels in {0, 1} (mapped to {-1, 1}) or {-1, 1}.
    case hinge
    case squaredHinge
    case binaryCrossentropy(fromLogits: Bool)
    case categoricalCrossentropy(fromLogits: Bool)
    /// Targets are class indices, one per sample.
    case sparseCategoricalCrossentropy(fromLogits: Bool)

    public static let knownNames = [
        "mean_squared_error", "mse", "mean_absolute_error", "mae", "huber", "hinge", "squared_hinge",
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    ]

    /// Keras's probability clipping for cross-entropies computed from probabilities.
    static let epsilon: Float = 1e-7

    public init(name: String) throws {
        switch name.lowercased() {
        case "mean_squared_error", "mse": self = .meanSquaredError
        case "mean_absolute_error", "mae": self = .meanAbsoluteError
        case "huber", "huber_loss": self = .huber(delta: 1)
        case "hinge": self = .hinge
        case "squared_hinge": self = .squaredHinge
        case "binary_crossentropy", "bce": self = .binaryCrossentropy(fromLogits: false)
        case "categorical_crossentropy": self = .categoricalCrossentropy(fromLogits: false)
        case "sparse_categorical_crossentropy": self = .sparseCategoricalCrossentropy(fromLogits: false)
        default: throw NNError.unknownName(kind: "loss", name: name, known: Self.knownNames)
        }
    }

    public var name: String {
        switch self {
        case .meanSquaredError: "mean_squared_error"
        case .meanAbsoluteError: "mean_absolute_error"
        case .huber: "huber"
        case .hinge: "hinge"
        case .squaredHinge: "squared_hinge"
        case .binaryCrossentropy: "binary_crossentropy"
        case .categoricalCrossentropy: "categorical_crossentropy"
        case .sparseCategoricalCrossentropy: "sparse_categorical_crossentropy"
        }
    }

    /// True when targets hold one class index per sample rather than one value per output.
    public var usesSparseLabels: Bool {
        if case .sparseCategoricalCrossentropy = self { return true }
        return false
    }

    /// The activation whose gradient this loss can fold into its own (cross-entropy on
    /// probabilities after softmax or sigmoid); nil when no fusion applies.
    public var fusableActivation: Activation? {
        switch self {
        case .binaryCrossentropy(false): .sigmoid
        case .categoricalCrossentropy(false), .sparseCategoricalCrossentropy(false): .softmax
        default: nil
        }
    }

    /// The mean loss over the batch; writes the gradient with respect to `predictions` into
    /// `gradient` — or, when `fused`, with respect to the pre-activation of the softmax/sigmoid
    /// that produced them.
    /// `normalizer` replaces the batch size as the divisor: a batch split across replicas is
    /// normalised by the whole batch's size in each part, so the parts' losses and gradients add up.
    public func compute(
        predictions: Tensor, targets: Tensor, sampleWeights: UnsafePointer<Float>? = nil,
        gradient: inout Tensor, fused: Bool = false, normalizer: Int? = nil
    ) throws -> Double {
        guard predictions.rank >= 1, predictions.count > 0 else {
            throw NNError.shapeMismatch("loss '\(name)': empty predictions \(predictions.shape)")
        }
        let rows = predictions.shape[0]
        let width = predictions.count / rows
        let expected = usesSparseLabels ? rows : predictions.count
        guard targets.count == expected else {
            throw NNError.shapeMismatch(
                "loss '\(name)': predictions \(predictions.shape) need \(usesSparseLabels ? "one class index per sample" : "targets of the same size"), got targets \(targets.shape)")
        }
        gradient.reuse(shape: predictions.shape)
        let divisor = normalizer ?? rows
        let batchScale = 1 / Float(divisor)
        var total = 0.0
        try predictions.withUnsafeBufferPointer { pp in
            try targets.withUnsafeBufferPointer { pt in
                try gradient.withUnsafeMutableBufferPointer { pg in
                    let p = pp.baseAddress!, t = pt.baseAddress!, g = pg.baseAddress!
                    for r in 0..<rows {
                        let weight = sampleWeights?[r] ?? 1
                        let base = r * width
                        let rowLoss = try self.row(
                            p + base, t: usesSparseLabels ? t + r : t + base, g + base,
                            width: width, scale: weight * batchScale, fused: fused)
                        total += Double(weight) * rowLoss
                    }
                }
            }
        }
        return total / Double(divisor)
    }

    /// One sample's loss (averaged over its outputs as Keras does); writes `scale * dloss/dp`.
    @inline(__always)
    private func row(
        _ p: UnsafePointer<Float>, t: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        width: Int, scale: Float, fused: Bool
    ) throws -> Double {
        let perOutput = scale / Float(width)
        var loss = 0.0
        switch self {
        case .meanSquaredError:
            for j in 0..<width {
                let e = p[j] - t[j]
                loss += Double(e * e)
                g[j] = 2 * e * perOutput
            }
            return loss / Double(width)
        case .meanAbsoluteError:
            for j in 0..<width {
                let e = p[j] - t[j]
                loss += Double(abs(e))
                g[j] = (e > 0 ? 1 : (e < 0 ? -1 : 0)) * perOutput
            }
            return loss / Double(width)
        case .huber(let delta):
            for j in 0..<width {
                let e = p[j] - t[j]
                if abs(e) <= delta {
                    loss += Double(0.5 * e * e)
                    g[j] = e * perOutput
                } else {
                    loss += Double(delta * (abs(e) - 0.5 * delta))
                    g[j] = delta * (e > 0 ? 1 : -1) * perOutput
                }
            }
            return loss / Double(width)
        case .hinge, .squaredHinge:
            let squared = self == .squaredHinge
            for j in 0..<width {
                let y: Float = t[j] == 0 ? -1 : t[j]
                let margin = 1 - y * p[j]
                if margin > 0 {
                    loss += Double(squared ? margin * margin : margin)
                    g[j] = (squared ? -2 * margin * y : -y) * perOutput
                } else {
                    g[j] = 0
                }
            }
            return loss / Double(width)
        case .binaryCrossentropy(let fromLogits):
            for j in 0..<width {
                let y = t[j]
                if fromLogits {
                    // max(x, 0) - x y + log(1 + exp(-|x|)): no overflow for any x.
                    let x = p[j]
                    loss += Double(Swift.max(x, 0) - x * y + log1pf(expf(-abs(x))))
                    g[j] = (Activation.sigmoid(x) - y) * perOutput
                } else {
                    let q = Swift.min(Swift.max(p[j], Self.epsilon), 1 - Self.epsilon)
                    loss -= Double(y * logf(q) + (1 - y) * logf(1 - q))
                    g[j] = fused ? (p[j] - y) * perOutput : (q - y) / (q * (1 - q)) * perOutput
                }
            }
            return loss / Double(width)
        case .categoricalCrossentropy(let fromLogits):
            return Self.crossEntropy(p, width: width, label: { t[$0] }, g, scale: scale, fromLogits: fromLogits, fused: fused)
        case .sparseCategoricalCrossentropy(let fromLogits):
            let label = t[0]
            let index = Int(exactly: label) ?? -1
            guard index >= 0, index < width else {
                throw NNError.invalidData("loss '\(name)': label \(label) is not a class index in 0..<\(width)")
            }
            return Self.crossEntropy(p, width: width, label: { $0 == index ? 1 : 0 }, g, scale: scale, fromLogits: fromLogits, fused: fused)
        }
    }

    @inline(__always)
    private static func crossEntropy(
        _ p: UnsafePointer<Float>, width: Int, label: (Int) -> Float, _ g: UnsafeMutablePointer<Float>,
        scale: Float, fromLogits: Bool, fused: Bool
    ) -> Double {
        var loss = 0.0
        if fromLogits {
            var maximum = -Float.infinity
            for j in 0..<width { maximum = Swift.max(maximum, p[j]) }
            var total: Float = 0
            for j in 0..<width { total += expf(p[j] - maximum) }
            let logTotal = logf(total) + maximum
            for j in 0..<width {
                let y = label(j)
                loss -= Double(y * (p[j] - logTotal))
                g[j] = (expf(p[j] - logTotal) - y) * scale
            }
            return loss
        }
        // Keras renormalises the probabilities, then clips them to [eps, 1 - eps]; the gradient
        // of -sum y log(p / S) with respect to p_k is (sum(y) - y_k / q_k) / S.
        var total: Float = 0, labelSum: Float = 0
        for j in 0..<width { total += p[j]; labelSum += label(j) }
        let inverse = total > 0 ? 1 / total : 1
        for j in 0..<width {
            let y = label(j)
            let q = Swift.min(Swift.max(p[j] * inverse, epsilon), 1 - epsilon)
            loss -= Double(y * logf(q))
            g[j] = fused ? (p[j] - y) * scale : (labelSum - y / q) * inverse * scale
        }
        return loss
    }
}

extension Loss: Codable {
    /// A name (`"mse"`) or a one-key object with settings (`{"huber": {"delta": 2}}`,
    /// `{"binary_crossentropy": {"from_logits": true}}`).
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self = try decodingName(decoder) { try Loss(name: name) }
            return
        }
        let container = try decoder.container(keyedBy: DynamicKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a loss is a name or an object with one key"))
        }
        let settings = try container.nestedContainer(keyedBy: DynamicKey.self, forKey: key)
        let fromLogits = try settings.decodeIfPresent(Bool.self, forKey: DynamicKey("from_logits")) ?? false
        let named = try decodingName(decoder) { try Loss(name: key.stringValue) }
        switch named {
        case .huber: self = .huber(delta: try settings.decodeIfPresent(Float.self, forKey: DynamicKey("delta")) ?? 1)
        case .binaryCrossentropy: self = .binaryCrossentropy(fromLogits: fromLogits)
        case .categoricalCrossentropy: self = .categoricalCrossentropy(fromLogits: fromLogits)
        case .sparseCategoricalCrossentropy: self = .sparseCategoricalCrossentropy(fromLogits: fromLogits)
        case let other: self = other
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .huber(let delta):
            var c = encoder.container(keyedBy: DynamicKey.self)
            var s = c.nestedContainer(keyedBy: DynamicKey.self, forKey: DynamicKey(name))
            try s.encode(delta, forKey: DynamicKey("delta"))
        case .binaryCrossentropy(true), .categoricalCrossentropy(true), .sparseCategoricalCrossentropy(true):
            var c = encoder.container(keyedBy: DynamicKey.self)
            var s = c.nestedContainer(keyedBy: DynamicKey.self, forKey: DynamicKey(name))
            try s.encode(true, forKey: DynamicKey("from_logits"))
        default:
            var c = encoder.singleValueContainer()
            try c.encode(name)
        }
    }
}
