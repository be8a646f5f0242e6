/// Study-file forms of the sequence layers' settings (Keras's names): wrappers, embeddings,
/// masks, normalisation and attention. The recurrent layers' own are in Layers/Recurrent.swift.

extension Bidirectional.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case layer, name
        case mergeMode = "merge_mode"
    }

    /// Decodes `{"layer": {"lstm": {"units": 32}}, "merge_mode": "concat"}`.
    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "bidirectional")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            layer: try c.decode(LayerSpec.self, forKey: .layer),
            mergeMode: try c.decodeIfPresent(Bidirectional.MergeMode.self, forKey: .mergeMode) ?? .concat,
            name: try c.decodeIfPresent(String.self, forKey: .name))
        switch layer {
        case .lstm, .gru, .simpleRNN: break
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .layer, in: c, debugDescription: "bidirectional wraps lstm, gru or simple_rnn, got \(layer.kind)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layer, forKey: .layer)
        try c.encode(mergeMode, forKey: .mergeMode)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension Embedding.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case inputDim = "input_dim"
        case outputDim = "output_dim"
        case maskZero = "mask_zero"
        case embeddingsInitializer = "embeddings_initializer"
        case embeddingsRegularizer = "embeddings_regularizer"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "embedding")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inputDim: try c.decode(Int.self, forKey: .inputDim),
            outputDim: try c.decode(Int.self, forKey: .outputDim),
            maskZero: try c.decodeIfPresent(Bool.self, forKey: .maskZero) ?? false,
            embeddingsInitializer: try c.decodeIfPresent(Initializer.self, forKey: .embeddingsInitializer)
                ?? .randomUniform(min: -0.05, max: 0.05),
            embeddingsRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .embeddingsRegularizer),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputDim, forKey: .inputDim)
        try c.encode(outputDim, forKey: .outputDim)
        try c.encode(maskZero, forKey: .maskZero)
        try c.encode(embeddingsInitializer, forKey: .embeddingsInitializer)
        try c.encodeIfPresent(embeddingsRegularizer, forKey: .embeddingsRegularizer)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension Masking.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case maskValue = "mask_value"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "masking")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maskValue: try c.decodeIfPresent(Float.self, forKey: .maskValue) ?? 0,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maskValue, forKey: .maskValue)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension LayerNormalization.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case epsilon, center, scale, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "layer_normalization")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-3,
            center: try c.decodeIfPresent(Bool.self, forKey: .center) ?? true,
            scale: try c.decodeIfPresent(Bool.self, forKey: .scale) ?? true,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epsilon, forKey: .epsilon)
        try c.encode(center, forKey: .center)
        try c.encode(scale, forKey: .scale)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension MultiHeadAttention.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case dropout, causal, seed, name
        case numHeads = "num_heads"
        case keyDim = "key_dim"
        case valueDim = "value_dim"
        case useBias = "use_bias"
        case outputShape = "output_shape"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "multi_head_attention")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            numHeads: try c.decode(Int.self, forKey: .numHeads),
            keyDim: try c.decode(Int.self, forKey: .keyDim),
            valueDim: try c.decodeIfPresent(Int.self, forKey: .valueDim),
            dropout: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0,
            useBias: try c.decodeIfPresent(Bool.self, forKey: .useBias) ?? true,
            causal: try c.decodeIfPresent(Bool.self, forKey: .causal) ?? false,
            outputShape: try Self.decodeOutputShape(c),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(numHeads, forKey: .numHeads)
        try c.encode(keyDim, forKey: .keyDim)
        try c.encodeIfPresent(valueDim, forKey: .valueDim)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(useBias, forKey: .useBias)
        try c.encode(causal, forKey: .causal)
        try c.encodeIfPresent(outputShape, forKey: .outputShape)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension MultiHeadAttention.Config {
    /// Keras writes `output_shape` as a number or a one-element list (the per-step width).
    static func decodeOutputShape(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Int? {
        guard c.contains(.outputShape), try !c.decodeNil(forKey: .outputShape) else { return nil }
        if let width = try? c.decode(Int.self, forKey: .outputShape) { return width }
        guard let shape = try? c.decode([Int].self, forKey: .outputShape), shape.count == 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .outputShape, in: c, debugDescription: "output_shape is one whole number (or [number]): the width of each step's output")
        }
        return shape[0]
    }
}

extension PositionalEmbedding.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case kind, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "positional_embedding")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try c.decodeIfPresent(PositionalEmbedding.Kind.self, forKey: .kind) ?? .learned,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension TransformerEncoder.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case dropout, activation, name
        case intermediateDim = "intermediate_dim"
        case numHeads = "num_heads"
        case layerNormEpsilon = "layer_norm_epsilon"
        case normalizeFirst = "normalize_first"
    }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "transformer_encoder")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            intermediateDim: try c.decode(Int.self, forKey: .intermediateDim),
            numHeads: try c.decode(Int.self, forKey: .numHeads),
            dropout: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0,
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            layerNormEpsilon: try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5,
            normalizeFirst: try c.decodeIfPresent(Bool.self, forKey: .normalizeFirst) ?? false,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(intermediateDim, forKey: .intermediateDim)
        try c.encode(numHeads, forKey: .numHeads)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(activation, forKey: .activation)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(normalizeFirst, forKey: .normalizeFirst)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
