/// One layer of a layer list: a box around its settings (`any LayerConfig`), one case per kind
/// so that code can match on a kind and read its settings with their own type
/// (`case .dense(let config)`). Everything else — names, coding, building — is the settings'.
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
    case maxPooling1d(MaxPooling1D.Config)
    case maxPooling2d(MaxPooling2D.Config)
    case averagePooling1d(AveragePooling1D.Config)
    case averagePooling2d(AveragePooling2D.Config)
    case globalMaxPooling1d(GlobalMaxPooling1D.Config)
    case globalMaxPooling2d(GlobalMaxPooling2D.Config)
    case globalAveragePooling1d(GlobalAveragePooling1D.Config)
    case globalAveragePooling2d(GlobalAveragePooling2D.Config)
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

    /// Every layer name, from the registry.
    public static var knownNames: [String] { LayerRegistry.names }

    /// The settings in the box. The one switch over the cases: a case's payload cannot be read
    /// without naming the case, and each settings type boxes itself (`LayerConfig.spec`).
    public var config: any LayerConfig {
        switch self {
        case .dense(let config): config
        case .dropout(let config): config
        case .activation(let config): config
        case .flatten: Flatten.Config()
        case .batchNormalization(let config): config
        case .conv1d(let config): config
        case .conv2d(let config): config
        case .maxPooling1d(let config): config
        case .maxPooling2d(let config): config
        case .averagePooling1d(let config): config
        case .averagePooling2d(let config): config
        case .globalMaxPooling1d(let config): config
        case .globalMaxPooling2d(let config): config
        case .globalAveragePooling1d(let config): config
        case .globalAveragePooling2d(let config): config
        case .lstm(let config): config
        case .gru(let config): config
        case .simpleRNN(let config): config
        case .bidirectional(let config): config
        case .embedding(let config): config
        case .masking(let config): config
        case .layerNormalization(let config): config
        case .multiHeadAttention(let config): config
        case .positionalEmbedding(let config): config
        case .transformerEncoder(let config): config
        case .randomFlip(let config): config
        case .randomTranslation(let config): config
        case .randomRotation(let config): config
        case .randomZoom(let config): config
        case .gaussianNoise(let config): config
        }
    }

    /// A new, unbuilt layer for this description.
    public func makeLayer() -> any Layer { config.makeLayer() }

    /// The Keras-style name used as the key.
    public var kind: String { type(of: config).kind }
}

extension LayerSpec: Codable {
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let spec = LayerRegistry.kind(named: name)?.standard?.spec else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: NNError.unknownName(kind: "layer without settings", name: name, known: LayerRegistry.bareNames).description))
            }
            self = spec
            return
        }
        let container = try decoder.container(keyedBy: DynamicKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a layer is an object with exactly one key naming its kind (\(LayerRegistry.names.joined(separator: ", "))), got keys \(container.allKeys.map(\.stringValue))"))
        }
        guard let type = LayerRegistry.kind(named: key.stringValue) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: NNError.unknownName(kind: "layer", name: key.stringValue, known: LayerRegistry.names).description)
        }
        if let standard = type.standard, (try? container.decodeNil(forKey: key)) == true {
            self = standard.spec
        } else {
            self = try container.decode(type, forKey: key).spec
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(config, forKey: DynamicKey(kind))
    }
}
