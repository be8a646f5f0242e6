import TunaTensor

/// One Transformer encoder block (keras-hub's `TransformerEncoder`): self-attention and a
/// position-wise feed-forward network, each wrapped in a residual connection and a layer
/// normalisation, after the sub-layer (post-norm, the default) or before it
/// (`normalize_first`). Stacking blocks after a `PositionalEmbedding` makes a sequence model.
public final class TransformerEncoder: Layer {
    public struct Config: Hashable, Sendable {
        /// Width of the feed-forward network's hidden layer.
        public var intermediateDim: Int
        public var numHeads: Int
        /// Dropout after attention and after the feed-forward network (and on the attention weights).
        public var dropout: Float
        public var activation: Activation
        public var layerNormEpsilon: Float
        public var normalizeFirst: Bool
        public var name: String?
        public init(
            intermediateDim: Int, numHeads: Int, dropout: Float = 0, activation: Activation = .relu,
            layerNormEpsilon: Float = 1e-5, normalizeFirst: Bool = false, name: String? = nil
        ) {
            self.intermediateDim = intermediateDim
            self.numHeads = numHeads
            self.dropout = dropout
            self.activation = activation
            self.layerNormEpsilon = layerNormEpsilon
            self.normalizeFirst = normalizeFirst
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private var attention: MultiHeadAttention?
    private var attentionNorm: LayerNormalization?
    private var attentionDropout: Dropout?
    private var intermediate: Dense?
    private var projection: Dense?
    private var feedForwardNorm: LayerNormalization?
    private var feedForwardDropout: Dropout?
    private var steps = 0, features = 0
    // The residual sums, owned here so a step adds into the same storage each time.
    private var attentionSum = Tensor.empty
    private var feedForwardSum = Tensor.empty
    private var residualGradient = Tensor.empty
    private var inputGradient = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "transformer_encoder"
    }

    public convenience init(intermediateDim: Int, numHeads: Int, dropout: Float = 0, normalizeFirst: Bool = false, name: String? = nil) {
        self.init(Config(intermediateDim: intermediateDim, numHeads: numHeads, dropout: dropout, normalizeFirst: normalizeFirst, name: name))
    }

    public var spec: LayerSpec { config.spec }

    private var sublayers: [any Layer] {
        let parts: [(any Layer)?] = [attentionNorm, attention, attentionDropout, feedForwardNorm, intermediate, projection, feedForwardDropout]
        return parts.compactMap { $0 }
    }

    public var parameters: [Parameter] { sublayers.flatMap(\.parameters) }
    public var forwardFlopsPerSample: Int { sublayers.reduce(0) { $0 + $1.forwardFlopsPerSample } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs sequences (steps, features) with at least one step, got \(inputShape)")
        }
        let features = inputShape[1]
        guard config.numHeads > 0, config.intermediateDim > 0 else {
            throw NNError.invalidArgument(
                "layer '\(name)': num_heads and intermediate_dim must be positive, got \(config.numHeads) and \(config.intermediateDim)")
        }
        guard features % config.numHeads == 0 else {
            throw NNError.invalidArgument("layer '\(name)': the \(features) features do not split into \(config.numHeads) heads")
        }
        // Checked here as well as in the parts, so that the error names this layer, not a part.
        guard config.dropout >= 0, config.dropout < 1 else {
            throw NNError.invalidArgument("layer '\(name)': dropout must be in [0, 1), got \(config.dropout)")
        }
        guard config.layerNormEpsilon > 0 else {
            throw NNError.invalidArgument("layer '\(name)': layer_norm_epsilon must be positive, got \(config.layerNormEpsilon)")
        }
        guard config.activation != .softmax else {
            throw NNError.invalidArgument("layer '\(name)': softmax is not a feed-forward activation")
        }
        steps = inputShape[0]
        self.features = features
        let head = features / config.numHeads
        // keras-hub: attention dropout = dropout; key_dim = features / heads.
        let parts: [(String, any Layer)] = [
            ("attention", MultiHeadAttention(Config.attention(numHeads: config.numHeads, keyDim: head, dropout: config.dropout))),
            ("attention_norm", LayerNormalization(epsilon: config.layerNormEpsilon)),
            ("attention_dropout", Dropout(config.dropout)),
            ("intermediate", Dense(config.intermediateDim, activation: config.activation)),
            ("output", Dense(features)),
            ("feedforward_norm", LayerNormalization(epsilon: config.layerNormEpsilon)),
            ("feedforward_dropout", Dropout(config.dropout)),
        ]
        for (prefix, layer) in parts {
            _ = try layer.build(inputShape: prefix == "output" ? [steps, config.intermediateDim] : inputShape, generator: &generator)
            // One layer holds all the block's weights: their names must differ (model files).
            for parameter in layer.parameters { parameter.name = prefix + "/" + parameter.name }
        }
        attention = parts[0].1 as? MultiHeadAttention
        attentionNorm = parts[1].1 as? LayerNormalization
        attentionDropout = parts[2].1 as? Dropout
        intermediate = parts[3].1 as? Dense
        projection = parts[4].1 as? Dense
        feedForwardNorm = parts[5].1 as? LayerNormalization
        feedForwardDropout = parts[6].1 as? Dropout
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try forward(x, mask: nil, training: training)
    }

    public func forward(_ x: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        guard let attention, let attentionNorm, let attentionDropout, let intermediate, let projection, let feedForwardNorm,
              let feedForwardDropout else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(x, expected: [steps, features], layer: name)
        // Attention sub-block.
        var h = config.normalizeFirst ? try attentionNorm.forward(x, training: training) : x
        h = try attention.forward(h, mask: mask, training: training)
        h = try attentionDropout.forward(h, training: training)
        Self.add(h, x, into: &attentionSum)
        h = config.normalizeFirst ? attentionSum : try attentionNorm.forward(attentionSum, training: training)
        // Feed-forward sub-block, applied to every step at once ((batch·steps) × features GEMMs).
        var f = config.normalizeFirst ? try feedForwardNorm.forward(h, training: training) : h
        f = try intermediate.forward(f, training: training)
        f = try projection.forward(f, training: training)
        f = try feedForwardDropout.forward(f, training: training)
        Self.add(f, h, into: &feedForwardSum)
        return config.normalizeFirst ? feedForwardSum : try feedForwardNorm.forward(feedForwardSum, training: training)
    }

    /// `out = a + b`, into storage this layer keeps (neither argument is `out`'s storage).
    private static func add(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        out.reuse(shape: a.shape)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    let x = pa.baseAddress!, y = pb.baseAddress!, z = po.baseAddress!
                    for i in 0..<po.count { z[i] = x[i] + y[i] }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let attention, let attentionNorm, let attentionDropout, let intermediate, let projection, let feedForwardNorm,
              let feedForwardDropout else { throw NNError.notReady("layer '\(name)' is not built") }
        func back(_ layer: any Layer, _ gradient: Tensor) throws -> Tensor {
            guard let dx = try layer.backward(gradient, needsInputGradient: true) else {
                throw NNError.shapeMismatch("layer '\(name)': sub-layer '\(layer.name)' gave no input gradient")
            }
            return dx
        }
        // Feed-forward sub-block, backwards: the residual adds the gradient straight through.
        let feedForwardOutput = config.normalizeFirst ? outputGradient : try back(feedForwardNorm, outputGradient)
        var g = try back(feedForwardDropout, feedForwardOutput)
        g = try back(projection, g)
        g = try back(intermediate, g)
        if config.normalizeFirst { g = try back(feedForwardNorm, g) }
        Self.add(g, feedForwardOutput, into: &residualGradient)
        // Attention sub-block.
        let attentionOutput = config.normalizeFirst ? residualGradient : try back(attentionNorm, residualGradient)
        g = try back(attentionDropout, attentionOutput)
        if !config.normalizeFirst && !needsInputGradient {
            // Post-norm: nothing before the attention needs its input gradient.
            _ = try attention.backward(g, needsInputGradient: false)
            return nil
        }
        g = try back(attention, g)
        if config.normalizeFirst { g = try back(attentionNorm, g) }
        guard needsInputGradient else { return nil }
        Self.add(g, attentionOutput, into: &inputGradient)
        return inputGradient
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension TransformerEncoder.Config {
    static func attention(numHeads: Int, keyDim: Int, dropout: Float) -> MultiHeadAttention.Config {
        MultiHeadAttention.Config(numHeads: numHeads, keyDim: keyDim, dropout: dropout)
    }
}

extension TransformerEncoder.Config: LayerConfig {
    public static var kind: String { "transformer_encoder" }
    public func makeLayer() -> any Layer { TransformerEncoder(self) }
    public var spec: LayerSpec { .transformerEncoder(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case intermediateDim = "intermediate_dim"
        case numHeads = "num_heads"
        case dropout, activation
        case layerNormEpsilon = "layer_norm_epsilon"
        case normalizeFirst = "normalize_first"
        case name
    }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            intermediateDim: try c.decode(Int.self, forKey: .intermediateDim),
            numHeads: try c.decode(Int.self, forKey: .numHeads),
            dropout: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0,
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            layerNormEpsilon: try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5,
            normalizeFirst: try c.decodeIfPresent(Bool.self, forKey: .normalizeFirst) ?? false,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
