/// The settings of one kind of layer, as study files and model files write them (Keras's
/// `get_config`): a kind name, Keras's snake_case keys, and the layer they build.
///
/// A new kind of layer is one conforming type plus one line in `LayerRegistry.kinds`; decoding,
/// encoding, error suggestions and the lists of names follow from there.
public protocol LayerConfig: Codable, Hashable, Sendable {
    /// The key naming this kind in a layer list (`"dense"`).
    static var kind: String { get }
    /// Other keys accepted when reading (`"batchnorm"`); files are always written with `kind`.
    static var aliases: [String] { get }
    /// The settings a bare name (`"flatten"`) or a null (`{"masking": null}`) stands for;
    /// nil when the kind has settings without a default (`dense` needs `units`).
    static var standard: Self? { get }
    /// What the unknown-key error calls these settings (`"unknown pooling setting 'pool'"`).
    static var settingsLabel: String { get }
    /// A new, unbuilt layer with these settings.
    func makeLayer() -> any Layer
    /// These settings in the layer-list box.
    var spec: LayerSpec { get }
}

extension LayerConfig {
    public static var aliases: [String] { [] }
    public static var standard: Self? { nil }
    public static var settingsLabel: String { kind }

    /// The keyed settings of `decoder`, after refusing keys that are not in `keys` (plus
    /// `extra`), so a typo is named with the nearest real key instead of being ignored.
    static func settings<Key: CodingKey & CaseIterable & RawRepresentable>(
        _ decoder: Decoder, _ keys: Key.Type, extra: [String] = []
    ) throws -> KeyedDecodingContainer<Key> where Key.RawValue == String {
        try checkKeys(decoder, known: keys.allCases.map(\.rawValue) + extra, layer: settingsLabel)
        return try decoder.container(keyedBy: Key.self)
    }
}

/// Refuses keys of `decoder`'s object that are not `known`, suggesting the nearest one.
func checkKeys(_ decoder: Decoder, known: [String], layer: String) throws {
    let container = try decoder.container(keyedBy: DynamicKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorruptedError(
            forKey: key, in: container,
            debugDescription: NNError.unknownName(kind: "\(layer) setting", name: key.stringValue, known: known).description)
    }
}

/// Every kind of layer, by name: the one list that decoding, error suggestions and any other
/// list of layer names come from (Keras's registered objects).
public enum LayerRegistry {
    /// In the order error messages list them.
    public static let kinds: [any LayerConfig.Type] = [
        Dense.Config.self, Dropout.Config.self, Activation.self, Flatten.Config.self, BatchNormalization.Config.self,
        Conv1D.Config.self, Conv2D.Config.self,
        MaxPooling1D.Config.self, MaxPooling2D.Config.self, AveragePooling1D.Config.self, AveragePooling2D.Config.self,
        GlobalMaxPooling1D.Config.self, GlobalMaxPooling2D.Config.self,
        GlobalAveragePooling1D.Config.self, GlobalAveragePooling2D.Config.self,
        LSTM.Config.self, GRU.Config.self, SimpleRNN.Config.self, Bidirectional.Config.self,
        Embedding.Config.self, Masking.Config.self, LayerNormalization.Config.self, MultiHeadAttention.Config.self,
        PositionalEmbedding.Config.self, TransformerEncoder.Config.self,
        RandomFlip.Config.self, RandomTranslation.Config.self, RandomRotation.Config.self, RandomZoom.Config.self,
        GaussianNoise.Config.self,
    ]

    /// The kind names (without aliases).
    public static var names: [String] { kinds.map { $0.kind } }

    /// The kinds that may be written as a bare name.
    public static var bareNames: [String] { kinds.filter { $0.hasStandard }.map { $0.kind } }

    /// The kinds of recurrent layer (those `Bidirectional` can wrap).
    public static var recurrentNames: [String] { kinds.filter { $0 is any RecurrentLayerConfig.Type }.map { $0.kind } }

    private static let byName: [String: any LayerConfig.Type] = Dictionary(
        kinds.flatMap { type in ([type.kind] + type.aliases).map { ($0, type) } }, uniquingKeysWith: { first, _ in first })

    /// The settings type for a kind name or alias.
    public static func kind(named name: String) -> (any LayerConfig.Type)? { byName[name] }
}

extension LayerConfig {
    fileprivate static var hasStandard: Bool { standard != nil }
}

/// "a, b or c", for messages that list alternatives.
func listed(_ names: [String]) -> String {
    guard let last = names.last, names.count > 1 else { return names.first ?? "" }
    return names.dropLast().joined(separator: ", ") + " or " + last
}
