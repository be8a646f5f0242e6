#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Adds where each step is to its features, since attention by itself does not see order:
/// a trainable `(steps, features)` table (keras-hub's `PositionEmbedding`, glorot-uniform) or
/// the fixed sine/cosine encoding of "Attention is all you need" (`SinePositionEncoding`).
public final class PositionalEmbedding: Layer {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case learned, sinusoidal
    }

    public struct Config: Hashable, Sendable {
        public var kind: Kind
        public var name: String?
        public init(kind: Kind = .learned, name: String? = nil) {
            self.kind = kind
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    public private(set) var embeddings: Parameter?
    private var table = Tensor.empty
    private var inputShape: [Int] = []
    private var output = Tensor.empty
    private var hasTrainingPass = false

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? "positional_embedding"
    }

    public convenience init(kind: Kind, name: String? = nil) { self.init(Config(kind: kind, name: name)) }

    public var spec: LayerSpec { config.spec }
    public var parameters: [Parameter] { embeddings.map { [$0] } ?? [] }
    public var forwardFlopsPerSample: Int { inputShape.reduce(1, *) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs sequences (steps, features) with at least one step, got \(inputShape)")
        }
        self.inputShape = inputShape
        let steps = inputShape[0], features = inputShape[1]
        switch config.kind {
        case .learned:
            embeddings = Parameter(
                name: "embeddings", value: Initializer.glorotUniform.make(shape: [steps, features], generator: &generator))
        case .sinusoidal:
            embeddings = nil
            table = Tensor(shape: [steps, features]) { i in
                let position = Float(i / features), j = i % features
                let angle = position / powf(10_000, Float(2 * (j / 2)) / Float(features))
                return j % 2 == 0 ? sinf(angle) : cosf(angle)
            }
        }
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try checkInput(x, expected: inputShape, layer: name)
        let positions = embeddings?.value ?? table
        let block = inputShape[0] * inputShape[1], batch = x.shape[0]
        output.reuse(shape: x.shape)
        x.withUnsafeBufferPointer { px in
            positions.withUnsafeBufferPointer { pp in
                output.withUnsafeMutableBufferPointer { po in
                    for b in 0..<batch {
                        for i in 0..<block { po[b * block + i] = px[b * block + i] + pp[i] }
                    }
                }
            }
        }
        hasTrainingPass = training
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        let block = inputShape[0] * inputShape[1]
        guard hasTrainingPass, outputGradient.rank == 3, outputGradient.count % Swift.max(block, 1) == 0 else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match the last training batch")
        }
        hasTrainingPass = false
        if let embeddings {
            let batch = outputGradient.count / block
            var sums = [Float](repeating: 0, count: block)
            outputGradient.withUnsafeBufferPointer { dy in
                for b in 0..<batch { for i in 0..<block { sums[i] += dy[b * block + i] } }
            }
            embeddings.gradient = Tensor(sums, shape: inputShape)
        }
        return needsInputGradient ? outputGradient : nil
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension PositionalEmbedding.Config: LayerConfig {
    public static var kind: String { "positional_embedding" }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { PositionalEmbedding(self) }
    public var spec: LayerSpec { .positionalEmbedding(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable { case kind, name }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let kind = try? single.decode(PositionalEmbedding.Kind.self) {
            self.init(kind: kind)
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            kind: try c.decodeIfPresent(PositionalEmbedding.Kind.self, forKey: .kind) ?? .learned,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
