import TunaTensor

/// The mean over each window of channels-last sequences `(batch, steps, channels)`, per channel, as
/// Keras's `AveragePooling1D`: it smooths rather than selects, and divides by the real (unpadded)
/// elements of each window under 'same' padding, as Keras does.
public final class AveragePooling1D: Layer {
    public let config: Pooling1DConfig
    public var name: String
    private let engine = PoolingEngine(kind: .average)

    public init(_ config: Pooling1DConfig) {
        self.config = config
        self.name = config.name ?? "average_pooling1d"
    }

    /// `AveragePooling1D(poolSize: 2)`, as in Keras.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Pooling1DConfig(poolSize: poolSize, strides: strides, padding: padding, name: name))
    }

    public var spec: LayerSpec { .averagePooling1d(config) }

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
