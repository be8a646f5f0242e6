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
