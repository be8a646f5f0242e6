/// Study-file forms of the core layers' settings (Keras's names), the unknown-key check every
/// layer's decoding uses, and regularizers and constraints.

/// The settings keys present in a decoder's object, for unknown-key checks.
func checkKeys(_ decoder: Decoder, known: [String], layer: String) throws {
    let container = try decoder.container(keyedBy: DynamicKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorruptedError(
            forKey: key, in: container,
            debugDescription: NNError.unknownName(kind: "\(layer) setting", name: key.stringValue, known: known).description)
    }
}

extension Dense.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case units, activation, name
        case useBias = "use_bias"
        case kernelInitializer = "kernel_initializer"
        case biasInitializer = "bias_initializer"
        case kernelRegularizer = "kernel_regularizer"
        case biasRegularizer = "bias_regularizer"
        case kernelConstraint = "kernel_constraint"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "dense")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            units: try c.decode(Int.self, forKey: .units),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .linear,
            useBias: try c.decodeIfPresent(Bool.self, forKey: .useBias) ?? true,
            kernelInitializer: try c.decodeIfPresent(Initializer.self, forKey: .kernelInitializer) ?? .glorotUniform,
            biasInitializer: try c.decodeIfPresent(Initializer.self, forKey: .biasInitializer) ?? .zeros,
            kernelRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .kernelRegularizer),
            biasRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .biasRegularizer),
            kernelConstraint: try c.decodeIfPresent(Constraint.self, forKey: .kernelConstraint),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        try c.encode(activation, forKey: .activation)
        try c.encode(useBias, forKey: .useBias)
        try c.encode(kernelInitializer, forKey: .kernelInitializer)
        try c.encode(biasInitializer, forKey: .biasInitializer)
        try c.encodeIfPresent(kernelRegularizer, forKey: .kernelRegularizer)
        try c.encodeIfPresent(biasRegularizer, forKey: .biasRegularizer)
        try c.encodeIfPresent(kernelConstraint, forKey: .kernelConstraint)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension Dropout.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case rate, seed, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "dropout")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            rate: try c.decode(Float.self, forKey: .rate),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rate, forKey: .rate)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension BatchNormalization.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case momentum, epsilon, center, scale, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "batch_normalization")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            momentum: try c.decodeIfPresent(Float.self, forKey: .momentum) ?? 0.99,
            epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-3,
            center: try c.decodeIfPresent(Bool.self, forKey: .center) ?? true,
            scale: try c.decodeIfPresent(Bool.self, forKey: .scale) ?? true,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(momentum, forKey: .momentum)
        try c.encode(epsilon, forKey: .epsilon)
        try c.encode(center, forKey: .center)
        try c.encode(scale, forKey: .scale)
        try c.encodeIfPresent(name, forKey: .name)
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
