/// The settings every recurrent layer shares (Keras names and defaults), so SimpleRNN, LSTM
/// and GRU decode, encode and run the same way.
public struct RecurrentConfig: Hashable, Sendable {
    public var units: Int
    /// The state's (and the LSTM candidate's) activation.
    public var activation: Activation = .tanh
    /// The gates' activation (LSTM and GRU).
    public var recurrentActivation: Activation = .sigmoid
    /// Output every step's state `(batch, steps, units)` instead of the last `(batch, units)`.
    public var returnSequences: Bool = false
    /// Read the sequence from its last step to its first (outputs come in that order too).
    public var goBackwards: Bool = false
    /// Fraction of input features dropped while training, one mask per sequence for all steps.
    public var dropout: Float = 0
    /// Fraction of the previous state dropped in the recurrent product while training.
    public var recurrentDropout: Float = 0
    /// A fixed seed for the dropout masks; by default the model's generator seeds the layer.
    public var seed: UInt64?
    public var kernelInitializer: Initializer = .glorotUniform
    public var recurrentInitializer: Initializer = .orthogonal
    public var biasInitializer: Initializer = .zeros
    /// The LSTM's forget gate bias starts at 1 (on top of the bias initializer), so the cell
    /// remembers from the first step (Keras's `unit_forget_bias`).
    public var unitForgetBias: Bool = true
    public var name: String?

    public init(
        units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        returnSequences: Bool = false, goBackwards: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0,
        seed: UInt64? = nil, kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal,
        biasInitializer: Initializer = .zeros, unitForgetBias: Bool = true, name: String? = nil
    ) {
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.unitForgetBias = unitForgetBias
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.seed = seed
        self.name = name
    }
}

extension RecurrentConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case units, activation, dropout, seed, name
        case recurrentActivation = "recurrent_activation"
        case returnSequences = "return_sequences"
        case goBackwards = "go_backwards"
        case recurrentDropout = "recurrent_dropout"
        case kernelInitializer = "kernel_initializer"
        case recurrentInitializer = "recurrent_initializer"
        case biasInitializer = "bias_initializer"
        case unitForgetBias = "unit_forget_bias"
    }

    static let keys = CodingKeys.allCases.map(\.rawValue)
    /// SimpleRNN has no gates, so no gate activation or forget bias.
    static let simpleKeys = CodingKeys.allCases.filter { $0 != .recurrentActivation && $0 != .unitForgetBias }.map(\.rawValue)

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: Self.keys, layer: "recurrent layer")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            units: try c.decode(Int.self, forKey: .units),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .tanh,
            recurrentActivation: try c.decodeIfPresent(Activation.self, forKey: .recurrentActivation) ?? .sigmoid,
            returnSequences: try c.decodeIfPresent(Bool.self, forKey: .returnSequences) ?? false,
            goBackwards: try c.decodeIfPresent(Bool.self, forKey: .goBackwards) ?? false,
            dropout: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0,
            recurrentDropout: try c.decodeIfPresent(Float.self, forKey: .recurrentDropout) ?? 0,
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            kernelInitializer: try c.decodeIfPresent(Initializer.self, forKey: .kernelInitializer) ?? .glorotUniform,
            recurrentInitializer: try c.decodeIfPresent(Initializer.self, forKey: .recurrentInitializer) ?? .orthogonal,
            biasInitializer: try c.decodeIfPresent(Initializer.self, forKey: .biasInitializer) ?? .zeros,
            unitForgetBias: try c.decodeIfPresent(Bool.self, forKey: .unitForgetBias) ?? true,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    /// Settings left at their defaults are not written, so files stay short and a SimpleRNN's
    /// description never carries a gate activation it would refuse.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        if activation != .tanh { try c.encode(activation, forKey: .activation) }
        if recurrentActivation != .sigmoid { try c.encode(recurrentActivation, forKey: .recurrentActivation) }
        try c.encode(returnSequences, forKey: .returnSequences)
        if goBackwards { try c.encode(goBackwards, forKey: .goBackwards) }
        if dropout != 0 { try c.encode(dropout, forKey: .dropout) }
        if recurrentDropout != 0 { try c.encode(recurrentDropout, forKey: .recurrentDropout) }
        try c.encodeIfPresent(seed, forKey: .seed)
        if kernelInitializer != .glorotUniform { try c.encode(kernelInitializer, forKey: .kernelInitializer) }
        if recurrentInitializer != .orthogonal { try c.encode(recurrentInitializer, forKey: .recurrentInitializer) }
        if biasInitializer != .zeros { try c.encode(biasInitializer, forKey: .biasInitializer) }
        if !unitForgetBias { try c.encode(unitForgetBias, forKey: .unitForgetBias) }
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// A recurrent layer class, which its settings type is generic over so that SimpleRNN, LSTM
/// and GRU share one settings implementation yet each has its own kind name.
public protocol RecurrentLayerKind: RecurrentLayer {
    static var kind: String { get }
    /// The settings keys this layer reads.
    static var settingKeys: [String] { get }
    init(_ config: RecurrentConfig)
    /// Puts settings of this kind in their `LayerSpec` case.
    static func box(_ settings: RecurrentSettings<Self>) -> LayerSpec
}

extension RecurrentLayerKind {
    public static var settingKeys: [String] { RecurrentConfig.keys }

    public init(_ settings: RecurrentSettings<Self>) { self.init(settings.recurrent) }

    /// `LSTM(32, returnSequences: true)`, as in Keras; other settings through `RecurrentConfig`.
    public init(_ units: Int, activation: Activation = .tanh, returnSequences: Bool = false, name: String? = nil) {
        self.init(RecurrentConfig(units: units, activation: activation, returnSequences: returnSequences, name: name))
    }
}

/// Settings of a recurrent layer, whatever its cell (what `Bidirectional` needs to run one both ways).
public protocol RecurrentLayerConfig: LayerConfig {
    var recurrent: RecurrentConfig { get }
    /// A layer of this kind with other settings (the backward run of a `Bidirectional`).
    static func makeLayer(_ recurrent: RecurrentConfig) -> any Layer
}

/// One recurrent layer's settings: the shared `RecurrentConfig`, whose fields it shows as its own
/// (`config.units`), tagged with the layer kind.
@dynamicMemberLookup
public struct RecurrentSettings<Kind: RecurrentLayerKind>: RecurrentLayerConfig {
    public var recurrent: RecurrentConfig

    public init(_ recurrent: RecurrentConfig) { self.recurrent = recurrent }

    /// The usual settings; anything else through `init(_: RecurrentConfig)`.
    public init(units: Int, returnSequences: Bool = false, name: String? = nil) {
        self.init(RecurrentConfig(units: units, returnSequences: returnSequences, name: name))
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<RecurrentConfig, Value>) -> Value {
        get { recurrent[keyPath: path] }
        set { recurrent[keyPath: path] = newValue }
    }

    public static var kind: String { Kind.kind }
    public func makeLayer() -> any Layer { Kind(recurrent) }
    public static func makeLayer(_ recurrent: RecurrentConfig) -> any Layer { Kind(recurrent) }
    public var spec: LayerSpec { Kind.box(self) }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: Kind.settingKeys, layer: Kind.kind)
        self.init(try RecurrentConfig(from: decoder))
    }

    public func encode(to encoder: Encoder) throws { try recurrent.encode(to: encoder) }
}
