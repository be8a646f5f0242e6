import TunaTensor

/// Maps integer token ids (stored as floats, `(batch, steps)`) to trainable vectors
/// `(batch, steps, output_dim)` (Keras's `Embedding`). With `mask_zero`, id 0 is padding: the
/// layers after it see those steps masked.
public final class Embedding: Layer {
    public struct Config: Hashable, Sendable {
        /// The vocabulary size: ids run from 0 to `inputDim - 1`.
        public var inputDim: Int
        public var outputDim: Int
        public var maskZero: Bool
        public var embeddingsInitializer: Initializer
        public var embeddingsRegularizer: Regularizer?
        public var name: String?
        public init(
            inputDim: Int, outputDim: Int, maskZero: Bool = false,
            embeddingsInitializer: Initializer = .randomUniform(min: -0.05, max: 0.05),
            embeddingsRegularizer: Regularizer? = nil, name: String? = nil
        ) {
            self.inputDim = inputDim
            self.outputDim = outputDim
            self.maskZero = maskZero
            self.embeddingsInitializer = embeddingsInitializer
            self.embeddingsRegularizer = embeddingsRegularizer
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    public private(set) var embeddings: Parameter?
    private var inputShape: [Int] = []
    private var ids: [Int] = []
    private var output = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "embedding"
    }

    public convenience init(inputDim: Int, outputDim: Int, maskZero: Bool = false, name: String? = nil) {
        self.init(Config(inputDim: inputDim, outputDim: outputDim, maskZero: maskZero, name: name))
    }

    public var spec: LayerSpec { config.spec }
    public var parameters: [Parameter] { embeddings.map { [$0] } ?? [] }
    /// A lookup, not a product: one copy per id.
    public var forwardFlopsPerSample: Int { inputShape.reduce(1, *) * config.outputDim }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.inputDim > 0, config.outputDim > 0 else {
            throw NNError.invalidArgument("layer '\(name)': input_dim and output_dim must be positive, got \(config.inputDim) and \(config.outputDim)")
        }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw NNError.shapeMismatch("layer '\(name)' needs token ids of shape (steps) with at least one step, got \(inputShape)")
        }
        self.inputShape = inputShape
        embeddings = Parameter(
            name: "embeddings", value: config.embeddingsInitializer.make(shape: [config.inputDim, config.outputDim], generator: &generator),
            regularizer: config.embeddingsRegularizer)
        return inputShape + [config.outputDim]
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        guard let embeddings else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(input, expected: inputShape, layer: name)
        let d = config.outputDim, vocabulary = config.inputDim
        var tokens = [Int](repeating: 0, count: input.count)
        try input.withUnsafeBufferPointer { p in
            for k in p.indices {
                let value = p[k]
                guard value >= 0, value < Float(vocabulary), value.rounded() == value else {
                    throw NNError.invalidData("layer '\(name)': token id \(value) at position \(k) is not a whole number in [0, \(vocabulary))")
                }
                tokens[k] = Int(value)
            }
        }
        output.reuse(shape: input.shape + [d])
        embeddings.value.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { out in
                for (k, token) in tokens.enumerated() {
                    (out.baseAddress! + k * d).update(from: table.baseAddress! + token * d, count: d)
                }
            }
        }
        if training { ids = tokens }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let embeddings else { throw NNError.notReady("layer '\(name)' is not built") }
        let d = config.outputDim
        guard !ids.isEmpty, outputGradient.count == ids.count * d else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match the last training batch")
        }
        embeddings.gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        outputGradient.withUnsafeBufferPointer { dy in
            embeddings.gradient.withUnsafeMutableBufferPointer { dtable in
                for (k, token) in ids.enumerated() {
                    let row = dtable.baseAddress! + token * d, g = dy.baseAddress! + k * d
                    for j in 0..<d { row[j] += g[j] }
                }
            }
        }
        ids = []
        // Token ids are not differentiable.
        return needsInputGradient ? Tensor(zeros: [outputGradient.shape[0]] + inputShape) : nil
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? {
        guard config.maskZero, input.rank == 2 else { return nil }
        let batch = input.shape[0], steps = input.shape[1]
        return input.withUnsafeBufferPointer { p in
            SequenceMask(batch: batch, steps: steps, values: p.map { $0 != 0 })
        }
    }
}

extension Embedding.Config: LayerConfig {
    public static var kind: String { "embedding" }
    public func makeLayer() -> any Layer { Embedding(self) }
    public var spec: LayerSpec { .embedding(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputDim = "input_dim"
        case outputDim = "output_dim"
        case maskZero = "mask_zero"
        case embeddingsInitializer = "embeddings_initializer"
        case embeddingsRegularizer = "embeddings_regularizer"
        case name
    }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            inputDim: try c.decode(Int.self, forKey: .inputDim),
            outputDim: try c.decode(Int.self, forKey: .outputDim),
            maskZero: try c.decodeIfPresent(Bool.self, forKey: .maskZero) ?? false,
            embeddingsInitializer: try c.decodeIfPresent(Initializer.self, forKey: .embeddingsInitializer)
                ?? .randomUniform(min: -0.05, max: 0.05),
            embeddingsRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .embeddingsRegularizer),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
