import TunaTensor

/// The settings every recurrent layer shares (Keras names), so LSTM and GRU decode and encode
/// the same way.
public struct RecurrentConfig: Hashable, Sendable {
    public var units: Int
    /// Output every step's state `(batch, steps, units)` instead of the last `(batch, units)`.
    public var returnSequences: Bool = false
    public var name: String?

    public init(units: Int, returnSequences: Bool = false, name: String? = nil) {
        self.units = units
        self.returnSequences = returnSequences
        self.name = name
    }
}

extension RecurrentConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case units, returnSequences = "return_sequences", name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "recurrent layer")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            units: try c.decode(Int.self, forKey: .units),
            returnSequences: try c.decodeIfPresent(Bool.self, forKey: .returnSequences) ?? false,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        try c.encode(returnSequences, forKey: .returnSequences)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// Checks a recurrent layer's settings and input shape `(steps, features)`.
func checkRecurrent(_ config: RecurrentConfig, inputShape: [Int], layer: String) throws {
    guard config.units > 0 else { throw NNError.invalidArgument("layer '\(layer)': units must be positive, got \(config.units)") }
    guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
        throw NNError.shapeMismatch("layer '\(layer)' needs sequences (steps, features) with at least one step, got \(inputShape)")
    }
}

/// Copies the last step of `(batch, steps, units)` states into `output` `(batch, units)`.
func copyLastStep(_ states: Tensor, steps: Int, units: Int, into output: inout Tensor) {
    let batch = states.shape.first ?? 0
    output.reuse(shape: [batch, units])
    states.withUnsafeBufferPointer { ph in
        output.withUnsafeMutableBufferPointer { po in
            for r in 0..<batch { (po.baseAddress! + r * units).update(from: ph.baseAddress! + (r * steps + steps - 1) * units, count: units) }
        }
    }
}
