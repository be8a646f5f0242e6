/// Study-file forms of the convolution and pooling layers' settings (Keras's names).

/// Decodes a window setting that Keras accepts as one number or a `[height, width]` pair.
private func decodePair<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> [Int]? {
    guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
    if let value = try? c.decode(Int.self, forKey: key) { return [value, value] }
    guard let pair = try? c.decode([Int].self, forKey: key), pair.count == 2 else {
        throw DecodingError.dataCorruptedError(
            forKey: key, in: c, debugDescription: "\(key.stringValue) is one whole number or a [height, width] pair")
    }
    return pair
}

extension Conv2D.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case filters, strides, padding, activation, name
        case kernelSize = "kernel_size"
        case dilationRate = "dilation_rate"
        case useBias = "use_bias"
        case kernelInitializer = "kernel_initializer"
        case biasInitializer = "bias_initializer"
        case kernelRegularizer = "kernel_regularizer"
        case biasRegularizer = "bias_regularizer"
        case kernelConstraint = "kernel_constraint"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "conv2d")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let kernelSize = try decodePair(c, .kernelSize) else {
            throw DecodingError.keyNotFound(CodingKeys.kernelSize, .init(
                codingPath: c.codingPath, debugDescription: "conv2d needs kernel_size (a number or [height, width])"))
        }
        self.init(
            filters: try c.decode(Int.self, forKey: .filters),
            kernelSize: kernelSize,
            strides: try decodePair(c, .strides) ?? [1, 1],
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            dilationRate: try decodePair(c, .dilationRate) ?? [1, 1],
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
        try c.encode(filters, forKey: .filters)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encode(dilationRate, forKey: .dilationRate)
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

extension Conv1D.Config: Codable {
    typealias CodingKeys = Conv2D.Config.CodingKeys

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "conv1d")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            filters: try c.decode(Int.self, forKey: .filters),
            kernelSize: try c.decode(Int.self, forKey: .kernelSize),
            strides: try c.decodeIfPresent(Int.self, forKey: .strides) ?? 1,
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            dilationRate: try c.decodeIfPresent(Int.self, forKey: .dilationRate) ?? 1,
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
        try c.encode(filters, forKey: .filters)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encode(dilationRate, forKey: .dilationRate)
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

/// Pooling settings keys (Keras names).
enum PoolingCodingKeys: String, CodingKey, CaseIterable {
    case strides, padding, name
    case poolSize = "pool_size"
}

extension Pooling2DConfig: Codable {
    /// Decodes `{"pool_size": 2, "strides": [2, 1], "padding": "same"}`, or just the pool size
    /// (`2` or `[2, 3]`).
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer() {
            if let size = try? single.decode(Int.self) { self.init(poolSize: [size, size]); return }
            if let pair = try? single.decode([Int].self) {
                guard pair.count == 2 else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription: "pool_size is one whole number or a [height, width] pair, got \(pair)")
                }
                self.init(poolSize: pair)
                return
            }
        }
        try checkKeys(decoder, known: PoolingCodingKeys.allCases.map(\.rawValue), layer: "pooling")
        let c = try decoder.container(keyedBy: PoolingCodingKeys.self)
        self.init(
            poolSize: try decodePair(c, .poolSize) ?? [2, 2],
            strides: try decodePair(c, .strides),
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: PoolingCodingKeys.self)
        try c.encode(poolSize, forKey: .poolSize)
        try c.encodeIfPresent(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension Pooling1DConfig: Codable {
    /// Decodes `{"pool_size": 2, "strides": 1, "padding": "same"}`, or just the pool size (`2`).
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let size = try? single.decode(Int.self) {
            self.init(poolSize: size)
            return
        }
        try checkKeys(decoder, known: PoolingCodingKeys.allCases.map(\.rawValue), layer: "pooling")
        let c = try decoder.container(keyedBy: PoolingCodingKeys.self)
        self.init(
            poolSize: try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? 2,
            strides: try c.decodeIfPresent(Int.self, forKey: .strides),
            padding: try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: PoolingCodingKeys.self)
        try c.encode(poolSize, forKey: .poolSize)
        try c.encodeIfPresent(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension GlobalPoolingConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "global pooling")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
