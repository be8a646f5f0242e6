/// A declarative description of one layer: what study files and model files hold.
///
/// Encoded as a one-key object named after the layer, with Keras's snake_case settings:
/// `{"dense": {"units": 64, "activation": "relu"}}`, `{"dropout": 0.5}`, `"flatten"`.
public enum LayerSpec: Hashable, Sendable {
    case dense(Dense.Config)
    case dropout(Dropout.Config)
    case activation(Activation)
    case flatten
    case batchNormalization(BatchNormalization.Config)
    case conv1d(Conv1D.Config)
    case conv2d(Conv2D.Config)
    case maxPooling1d(Pooling1DConfig)
    case maxPooling2d(Pooling2DConfig)
    case averagePooling1d(Pooling1DConfig)
    case averagePooling2d(Pooling2DConfig)
    case globalMaxPooling1d(GlobalPoolingConfig)
    case globalMaxPooling2d(GlobalPoolingConfig)
    case globalAveragePooling1d(GlobalPoolingConfig)
    case globalAveragePooling2d(GlobalPoolingConfig)
    case lstm(LSTM.Config)
    case gru(GRU.Config)
    case simpleRNN(SimpleRNN.Config)
    indirect case bidirectional(Bidirectional.Config)
    case embedding(Embedding.Config)
    case masking(Masking.Config)
    case layerNormalization(LayerNormalization.Config)
    case multiHeadAttention(MultiHeadAttention.Config)
    case positionalEmbedding(PositionalEmbedding.Config)
    case transformerEncoder(TransformerEncoder.Config)
    case randomFlip(RandomFlip.Config)
    case randomTranslation(RandomTranslation.Config)
    case randomRotation(RandomRotation.Config)
    case randomZoom(RandomZoom.Config)
    case gaussianNoise(GaussianNoise.Config)

    public static let knownNames = [
        "dense", "dropout", "activation", "flatten", "batch_normalization", "conv1d", "conv2d",
        "max_pooling1d", "max_pooling2d", "average_pooling1d", "average_pooling2d",
        "global_max_pooling1d", "global_max_pooling2d", "global_average_pooling1d", "global_average_pooling2d",
        "lstm", "gru", "simple_rnn", "bidirectional", "embedding", "masking",
        "layer_normalization", "multi_head_attention", "positional_embedding", "transformer_encoder",
        "random_flip", "random_translation", "random_rotation", "random_zoom", "gaussian_noise",
    ]

    /// Layers that may be named without settings, as a bare string (`"global_average_pooling2d"`).
    static let bareNames = [
        "flatten", "batch_normalization", "max_pooling1d", "max_pooling2d", "average_pooling1d", "average_pooling2d",
        "global_max_pooling1d", "global_max_pooling2d", "global_average_pooling1d", "global_average_pooling2d",
        "masking", "layer_normalization", "positional_embedding", "random_flip",
    ]

    /// The layer with default settings for a bare name, if it has one.
    static func bare(_ name: String) -> LayerSpec? {
        switch name {
        case "flatten": .flatten
        case "batch_normalization", "batchnorm": .batchNormalization(.init())
        case "max_pooling1d": .maxPooling1d(.init())
        case "max_pooling2d": .maxPooling2d(.init())
        case "average_pooling1d": .averagePooling1d(.init())
        case "average_pooling2d": .averagePooling2d(.init())
        case "global_max_pooling1d": .globalMaxPooling1d(.init())
        case "global_max_pooling2d": .globalMaxPooling2d(.init())
        case "global_average_pooling1d": .globalAveragePooling1d(.init())
        case "global_average_pooling2d": .globalAveragePooling2d(.init())
        case "masking": .masking(.init())
        case "layer_normalization", "layernorm": .layerNormalization(.init())
        case "positional_embedding": .positionalEmbedding(.init())
        case "random_flip": .randomFlip(.init())
        default: nil
        }
    }

    /// A new, unbuilt layer for this description.
    public func makeLayer() -> any Layer {
        switch self {
        case .dense(let config): Dense(config)
        case .dropout(let config): Dropout(config)
        case .activation(let activation): ActivationLayer(activation)
        case .flatten: Flatten()
        case .batchNormalization(let config): BatchNormalization(config)
        case .conv1d(let config): Conv1D(config)
        case .lstm(let config): LSTM(config)
        case .gru(let config): GRU(config)
        case .conv2d(let config): Conv2D(config)
        case .maxPooling1d(let config): MaxPooling1D(config)
        case .maxPooling2d(let config): MaxPooling2D(config)
        case .averagePooling1d(let config): AveragePooling1D(config)
        case .averagePooling2d(let config): AveragePooling2D(config)
        case .globalMaxPooling1d(let config): GlobalMaxPooling1D(config)
        case .globalMaxPooling2d(let config): GlobalMaxPooling2D(config)
        case .globalAveragePooling1d(let config): GlobalAveragePooling1D(config)
        case .globalAveragePooling2d(let config): GlobalAveragePooling2D(config)
        case .simpleRNN(let config): SimpleRNN(config)
        case .bidirectional(let config): Bidirectional(config)
        case .embedding(let config): Embedding(config)
        case .masking(let config): Masking(config)
        case .layerNormalization(let config): LayerNormalization(config)
        case .multiHeadAttention(let config): MultiHeadAttention(config)
        case .positionalEmbedding(let config): PositionalEmbedding(config)
        case .transformerEncoder(let config): TransformerEncoder(config)
        case .randomFlip(let config): RandomFlip(config)
        case .randomTranslation(let config): RandomTranslation(config)
        case .randomRotation(let config): RandomRotation(config)
        case .randomZoom(let config): RandomZoom(config)
        case .gaussianNoise(let config): GaussianNoise(config)
        }
    }

    /// The Keras-style name used as the key.
    public var kind: String {
        switch self {
        case .dense: "dense"
        case .dropout: "dropout"
        case .activation: "activation"
        case .flatten: "flatten"
        case .batchNormalization: "batch_normalization"
        case .conv1d: "conv1d"
        case .lstm: "lstm"
        case .gru: "gru"
        case .conv2d: "conv2d"
        case .maxPooling1d: "max_pooling1d"
        case .maxPooling2d: "max_pooling2d"
        case .averagePooling1d: "average_pooling1d"
        case .averagePooling2d: "average_pooling2d"
        case .globalMaxPooling1d: "global_max_pooling1d"
        case .globalMaxPooling2d: "global_max_pooling2d"
        case .globalAveragePooling1d: "global_average_pooling1d"
        case .globalAveragePooling2d: "global_average_pooling2d"
        case .simpleRNN: "simple_rnn"
        case .bidirectional: "bidirectional"
        case .embedding: "embedding"
        case .masking: "masking"
        case .layerNormalization: "layer_normalization"
        case .multiHeadAttention: "multi_head_attention"
        case .positionalEmbedding: "positional_embedding"
        case .transformerEncoder: "transformer_encoder"
        case .randomFlip: "random_flip"
        case .randomTranslation: "random_translation"
        case .randomRotation: "random_rotation"
        case .randomZoom: "random_zoom"
        case .gaussianNoise: "gaussian_noise"
        }
    }
}

extension LayerSpec: Codable {
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let spec = Self.bare(name) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: NNError.unknownName(kind: "layer without settings", name: name, known: Self.bareNames).description))
            }
            self = spec
            return
        }
        let container = try decoder.container(keyedBy: DynamicKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a layer is an object with exactly one key naming its kind (\(Self.knownNames.joined(separator: ", "))), got keys \(container.allKeys.map(\.stringValue))"))
        }
        switch key.stringValue {
        case "dense":
            self = .dense(try container.decode(Dense.Config.self, forKey: key))
        case "dropout":
            if let rate = try? container.decode(Float.self, forKey: key) {
                self = .dropout(.init(rate: rate))
            } else {
                self = .dropout(try container.decode(Dropout.Config.self, forKey: key))
            }
        case "activation":
            self = .activation(try container.decode(Activation.self, forKey: key))
        case "flatten":
            self = .flatten
        case "batch_normalization", "batchnorm":
            if (try? container.decodeNil(forKey: key)) == true {
                self = .batchNormalization(.init())
            } else {
                self = .batchNormalization(try container.decode(BatchNormalization.Config.self, forKey: key))
            }
        case "lstm":
            self = .lstm(try container.decode(LSTM.Config.self, forKey: key))
        case "gru":
            self = .gru(try container.decode(GRU.Config.self, forKey: key))
        case "conv1d":
            self = .conv1d(try container.decode(Conv1D.Config.self, forKey: key))
        case "conv2d":
            self = .conv2d(try container.decode(Conv2D.Config.self, forKey: key))
        case "max_pooling1d", "average_pooling1d":
            let config = try container.decodeNil(forKey: key) ? Pooling1DConfig() : try container.decode(Pooling1DConfig.self, forKey: key)
            self = key.stringValue == "max_pooling1d" ? .maxPooling1d(config) : .averagePooling1d(config)
        case "max_pooling2d", "average_pooling2d":
            let config = try container.decodeNil(forKey: key) ? Pooling2DConfig() : try container.decode(Pooling2DConfig.self, forKey: key)
            self = key.stringValue == "max_pooling2d" ? .maxPooling2d(config) : .averagePooling2d(config)
        case "global_max_pooling1d", "global_max_pooling2d", "global_average_pooling1d", "global_average_pooling2d":
            let config = try container.decodeNil(forKey: key) ? GlobalPoolingConfig() : try container.decode(GlobalPoolingConfig.self, forKey: key)
            switch key.stringValue {
            case "global_max_pooling1d": self = .globalMaxPooling1d(config)
            case "global_max_pooling2d": self = .globalMaxPooling2d(config)
            case "global_average_pooling1d": self = .globalAveragePooling1d(config)
            default: self = .globalAveragePooling2d(config)
            }
        case "simple_rnn":
            let settings = try container.superDecoder(forKey: key)
            try checkKeys(settings, known: RecurrentConfig.simpleKeys, layer: "simple_rnn")
            self = .simpleRNN(try RecurrentConfig(from: settings))
        case "bidirectional":
            self = .bidirectional(try container.decode(Bidirectional.Config.self, forKey: key))
        case "embedding":
            self = .embedding(try container.decode(Embedding.Config.self, forKey: key))
        case "masking":
            if (try? container.decodeNil(forKey: key)) == true {
                self = .masking(.init())
            } else if let value = try? container.decode(Float.self, forKey: key) {
                self = .masking(.init(maskValue: value))
            } else {
                self = .masking(try container.decode(Masking.Config.self, forKey: key))
            }
        case "layer_normalization", "layernorm":
            if (try? container.decodeNil(forKey: key)) == true {
                self = .layerNormalization(.init())
            } else {
                self = .layerNormalization(try container.decode(LayerNormalization.Config.self, forKey: key))
            }
        case "multi_head_attention":
            self = .multiHeadAttention(try container.decode(MultiHeadAttention.Config.self, forKey: key))
        case "positional_embedding":
            if (try? container.decodeNil(forKey: key)) == true {
                self = .positionalEmbedding(.init())
            } else if let kind = try? container.decode(PositionalEmbedding.Kind.self, forKey: key) {
                self = .positionalEmbedding(.init(kind: kind))
            } else {
                self = .positionalEmbedding(try container.decode(PositionalEmbedding.Config.self, forKey: key))
            }
        case "transformer_encoder":
            self = .transformerEncoder(try container.decode(TransformerEncoder.Config.self, forKey: key))
        case "random_flip":
            if (try? container.decodeNil(forKey: key)) == true {
                self = .randomFlip(.init())
            } else if let mode = try? container.decode(RandomFlip.Mode.self, forKey: key) {
                self = .randomFlip(.init(mode: mode))
            } else {
                self = .randomFlip(try container.decode(RandomFlip.Config.self, forKey: key))
            }
        case "random_translation":
            self = .randomTranslation(try container.decode(RandomTranslation.Config.self, forKey: key))
        case "random_rotation":
            if let factor = try? container.decode(FactorRange.self, forKey: key) {
                self = .randomRotation(.init(factor: factor))
            } else {
                self = .randomRotation(try container.decode(RandomRotation.Config.self, forKey: key))
            }
        case "random_zoom":
            if let factor = try? container.decode(FactorRange.self, forKey: key) {
                self = .randomZoom(.init(heightFactor: factor))
            } else {
                self = .randomZoom(try container.decode(RandomZoom.Config.self, forKey: key))
            }
        case "gaussian_noise":
            if let stddev = try? container.decode(Float.self, forKey: key) {
                self = .gaussianNoise(.init(stddev: stddev))
            } else {
                self = .gaussianNoise(try container.decode(GaussianNoise.Config.self, forKey: key))
            }
        default:
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: NNError.unknownName(kind: "layer", name: key.stringValue, known: Self.knownNames).description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        let key = DynamicKey(kind)
        switch self {
        case .dense(let config): try container.encode(config, forKey: key)
        case .dropout(let config): try container.encode(config, forKey: key)
        case .activation(let activation): try container.encode(activation, forKey: key)
        case .flatten: try container.encode([String: String](), forKey: key)
        case .batchNormalization(let config): try container.encode(config, forKey: key)
        case .conv1d(let config): try container.encode(config, forKey: key)
        case .lstm(let config): try container.encode(config, forKey: key)
        case .gru(let config): try container.encode(config, forKey: key)
        case .conv2d(let config): try container.encode(config, forKey: key)
        case .maxPooling1d(let config), .averagePooling1d(let config): try container.encode(config, forKey: key)
        case .maxPooling2d(let config), .averagePooling2d(let config): try container.encode(config, forKey: key)
        case .globalMaxPooling1d(let config), .globalMaxPooling2d(let config),
             .globalAveragePooling1d(let config), .globalAveragePooling2d(let config):
            try container.encode(config, forKey: key)
        case .simpleRNN(let config): try container.encode(config, forKey: key)
        case .bidirectional(let config): try container.encode(config, forKey: key)
        case .embedding(let config): try container.encode(config, forKey: key)
        case .masking(let config): try container.encode(config, forKey: key)
        case .layerNormalization(let config): try container.encode(config, forKey: key)
        case .multiHeadAttention(let config): try container.encode(config, forKey: key)
        case .positionalEmbedding(let config): try container.encode(config, forKey: key)
        case .transformerEncoder(let config): try container.encode(config, forKey: key)
        case .randomFlip(let config): try container.encode(config, forKey: key)
        case .randomTranslation(let config): try container.encode(config, forKey: key)
        case .randomRotation(let config): try container.encode(config, forKey: key)
        case .randomZoom(let config): try container.encode(config, forKey: key)
        case .gaussianNoise(let config): try container.encode(config, forKey: key)
        }
    }
}

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
