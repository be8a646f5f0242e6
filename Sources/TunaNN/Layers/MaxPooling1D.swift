import TunaTensor

/// The maximum over each window of channels-last sequences `(batch, steps, channels)`, per channel,
/// as Keras's `MaxPooling1D`: it keeps the strongest response of each window, giving a little
/// translation invariance.
public final class MaxPooling1D: Layer {
    public let config: Pooling1DConfig
    public var name: String
    private let engine = PoolingEngine(kind: .max)

    public init(_ config: Pooling1DConfig) {
        self.config = config
        self.name = config.name ?? "max_pooling1d"
    }

    /// `MaxPooling1D(poolSize: 2)`, as in Keras.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Pooling1DConfig(poolSize: poolSize, strides: strides, padding: padding, name: name))
    }

    public var spec: LayerSpec { .maxPooling1d(config) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        return try engine.build(
            inputShape: inputShape, poolSize: [config.poolSize], strides: [config.strides ?? config.poolSize],
            padding: config.padding, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}
