#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A learning rate as a function of the optimizer step, with Keras's formulas.
/// (Reduce-on-plateau depends on validation results, so it is a callback instead.)
public enum LearningRateSchedule: Hashable, Sendable {
    /// `initial * rate^(step / decaySteps)` (the exponent floored when `staircase`).
    case exponentialDecay(initial: Float, decaySteps: Int, decayRate: Float, staircase: Bool)
    /// Cosine from `initial` down to `initial * alpha` over `decaySteps`, then flat.
    case cosineDecay(initial: Float, decaySteps: Int, alpha: Float)
    /// `values[i]` until step `boundaries[i]`, then the next value (`values` has one more entry).
    case piecewiseConstant(boundaries: [Int], values: [Float])
    /// `initial * factor^floor(step / stepSize)`: the classic step decay.
    case stepDecay(initial: Float, stepSize: Int, factor: Float)

    public func learningRate(at step: Int) -> Float {
        switch self {
        case .exponentialDecay(let initial, let decaySteps, let decayRate, let staircase):
            var exponent = Float(step) / Float(Swift.max(decaySteps, 1))
            if staircase { exponent = exponent.rounded(.down) }
            return initial * powf(decayRate, exponent)
        case .cosineDecay(let initial, let decaySteps, let alpha):
            let progress = Float(Swift.min(step, decaySteps)) / Float(Swift.max(decaySteps, 1))
            let cosine = 0.5 * (1 + cosf(Float.pi * progress))
            return initial * ((1 - alpha) * cosine + alpha)
        case .piecewiseConstant(let boundaries, let values):
            let index = boundaries.firstIndex { step <= $0 } ?? boundaries.count
            return values[Swift.min(index, values.count - 1)]
        case .stepDecay(let initial, let stepSize, let factor):
            return initial * powf(factor, Float(step / Swift.max(stepSize, 1)))
        }
    }

    /// Checks the settings, so that a bad schedule fails when the optimizer is made.
    public func validate() throws {
        switch self {
        case .exponentialDecay(let initial, let decaySteps, let decayRate, _):
            guard initial > 0, decaySteps > 0, decayRate > 0 else {
                throw NNError.invalidArgument("exponential_decay needs initial > 0, decay_steps > 0, decay_rate > 0")
            }
        case .cosineDecay(let initial, let decaySteps, let alpha):
            guard initial > 0, decaySteps > 0, (0...1).contains(alpha) else {
                throw NNError.invalidArgument("cosine_decay needs initial > 0, decay_steps > 0, alpha in [0, 1]")
            }
        case .piecewiseConstant(let boundaries, let values):
            guard values.count == boundaries.count + 1, zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw NNError.invalidArgument("piecewise_constant needs increasing boundaries and one more value than boundaries")
            }
        case .stepDecay(let initial, let stepSize, let factor):
            guard initial > 0, stepSize > 0, factor > 0 else {
                throw NNError.invalidArgument("step_decay needs initial > 0, step_size > 0, factor > 0")
            }
        }
    }
}

extension LearningRateSchedule: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, initial = "initial_learning_rate", decaySteps = "decay_steps", decayRate = "decay_rate"
        case staircase, alpha, boundaries, values, stepSize = "step_size", factor
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "exponential_decay":
            self = .exponentialDecay(
                initial: try c.decode(Float.self, forKey: .initial), decaySteps: try c.decode(Int.self, forKey: .decaySteps),
                decayRate: try c.decode(Float.self, forKey: .decayRate),
                staircase: try c.decodeIfPresent(Bool.self, forKey: .staircase) ?? false)
        case "cosine_decay":
            self = .cosineDecay(
                initial: try c.decode(Float.self, forKey: .initial), decaySteps: try c.decode(Int.self, forKey: .decaySteps),
                alpha: try c.decodeIfPresent(Float.self, forKey: .alpha) ?? 0)
        case "piecewise_constant":
            self = .piecewiseConstant(
                boundaries: try c.decode([Int].self, forKey: .boundaries), values: try c.decode([Float].self, forKey: .values))
        case "step_decay":
            self = .stepDecay(
                initial: try c.decode(Float.self, forKey: .initial), stepSize: try c.decode(Int.self, forKey: .stepSize),
                factor: try c.decodeIfPresent(Float.self, forKey: .factor) ?? 0.5)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription: NNError.unknownName(
                    kind: "learning-rate schedule", name: kind,
                    known: ["exponential_decay", "cosine_decay", "piecewise_constant", "step_decay"]).description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .exponentialDecay(let initial, let decaySteps, let decayRate, let staircase):
            try c.encode("exponential_decay", forKey: .kind)
            try c.encode(initial, forKey: .initial)
            try c.encode(decaySteps, forKey: .decaySteps)
            try c.encode(decayRate, forKey: .decayRate)
            try c.encode(staircase, forKey: .staircase)
        case .cosineDecay(let initial, let decaySteps, let alpha):
            try c.encode("cosine_decay", forKey: .kind)
            try c.encode(initial, forKey: .initial)
            try c.encode(decaySteps, forKey: .decaySteps)
            try c.encode(alpha, forKey: .alpha)
        case .piecewiseConstant(let boundaries, let values):
            try c.encode("piecewise_constant", forKey: .kind)
            try c.encode(boundaries, forKey: .boundaries)
            try c.encode(values, forKey: .values)
        case .stepDecay(let initial, let stepSize, let factor):
            try c.encode("step_decay", forKey: .kind)
            try c.encode(initial, forKey: .initial)
            try c.encode(stepSize, forKey: .stepSize)
            try c.encode(factor, forKey: .factor)
        }
    }
}
