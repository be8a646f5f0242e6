import TunaTensor

/// The maximum over every step, per channel, of channels-last sequences `(batch, steps, channels)`,
/// giving `(batch, channels)` as Keras's `GlobalMaxPooling1D`: the usual bridge from a
/// convolutional stack to a classifier head without the many weights a Flatten + Dense needs.
public final class GlobalMaxPooling1D: Layer {
    public let config: GlobalPoolingConfig
    public var name: String
    private let engine = GlobalPoolingEngine(kind: .max)

    public init(_ config: GlobalPoolingConfig = GlobalPoolingConfig()) {
        self.config = config
        self.name = config.name ?? "global_max_pooling1d"
    }

    public convenience init(name: String?) { self.init(GlobalPoolingConfig(name: name)) }

    public var spec: LayerSpec { .globalMaxPooling1d(config) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try engine.build(inputShape: inputShape, rank: 2, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    /// Padded steps (masked) are left out of the pool, as in Keras.
    public func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        try engine.forward(input, mask: mask, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}
