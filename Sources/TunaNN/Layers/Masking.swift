import TunaTensor

/// Which steps of each sequence in a batch hold data and which are padding, so that sequences
/// of different lengths can share one `(batch, steps, features)` tensor: recurrent layers carry
/// their state over padded steps and sequence pooling skips them.
public struct SequenceMask: Hashable, Sendable {
    public let batch: Int
    public let steps: Int
    /// `true` for a real step, row-major `(batch, steps)`.
    public var values: [Bool]

    public init(batch: Int, steps: Int, values: [Bool]) {
        precondition(values.count == batch * steps, "a mask holds batch × steps values")
        self.batch = batch
        self.steps = steps
        self.values = values
    }

    /// A mask from per-sequence lengths: the first `lengths[r]` steps of row `r` are real.
    public init(lengths: [Int], steps: Int) {
        self.init(batch: lengths.count, steps: steps, values: lengths.flatMap { length in
            (0..<steps).map { $0 < length }
        })
    }

    @inline(__always)
    public func isReal(_ row: Int, _ step: Int) -> Bool { values[row * steps + step] }

    /// The number of real steps of each row.
    public var lengths: [Int] {
        (0..<batch).map { r in (0..<steps).reduce(0) { $0 + (values[r * steps + $1] ? 1 : 0) } }
    }
}

/// Marks the steps whose features all equal `maskValue` as padding for the layers after it
/// (Keras's `Masking`); the values pass through unchanged.
public final class Masking: Layer {
    public struct Config: Hashable, Sendable {
        public var maskValue: Float
        public var name: String?
        public init(maskValue: Float = 0, name: String? = nil) {
            self.maskValue = maskValue
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private var inputShape: [Int] = []

    public init(_ config: Config = Config()) {
        self.config = config
        self.name = config.name ?? "masking"
    }

    public convenience init(maskValue: Float, name: String? = nil) {
        self.init(Config(maskValue: maskValue, name: name))
    }

    public var spec: LayerSpec { config.spec }
    public var forwardFlopsPerSample: Int { 0 }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard inputShape.count >= 1, inputShape[0] > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs sequences (steps, features...) with at least one step, got \(inputShape)")
        }
        self.inputShape = inputShape
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try checkInput(input, expected: inputShape, layer: name)
        return input
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        needsInputGradient ? outputGradient : nil
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? {
        guard input.rank >= 2 else { return inputMask }
        let batch = input.shape[0], steps = input.shape[1]
        let width = steps == 0 ? 0 : input.count / (batch * steps)
        var values = [Bool](repeating: false, count: batch * steps)
        input.withUnsafeBufferPointer { p in
            for row in 0..<(batch * steps) {
                let base = row * width
                values[row] = (0..<width).contains { p[base + $0] != config.maskValue }
            }
        }
        if let inputMask, inputMask.values.count == values.count {
            for i in values.indices { values[i] = values[i] && inputMask.values[i] }
        }
        return SequenceMask(batch: batch, steps: steps, values: values)
    }
}

/// Layers that keep the time axis step for step pass the padding mask on unchanged.
extension Dropout {
    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension ActivationLayer {
    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension BatchNormalization {
    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension Dense {
    /// Applied step by step to sequences (rank 3 and up), Dense keeps their mask.
    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? {
        input.rank >= 3 ? inputMask : nil
    }
}

extension Masking.Config: LayerConfig {
    public static var kind: String { "masking" }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { Masking(self) }
    public var spec: LayerSpec { .masking(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case maskValue = "mask_value"
        case name
    }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let value = try? single.decode(Float.self) {
            self.init(maskValue: value)
            return
        }
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            maskValue: try c.decodeIfPresent(Float.self, forKey: .maskValue) ?? 0,
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}
