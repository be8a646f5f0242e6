import TunaTensor

/// The mean over each window of channels-last images `(batch, height, width, channels)`, per
/// channel, as Keras's `AveragePooling2D`: it smooths rather than selects, and divides by the real
/// (unpadded) elements of each window under 'same' padding, as Keras does.
public final class AveragePooling2D: Layer {
    public let config: Pooling2DConfig
    public var name: String
    private let engine = PoolingEngine(kind: .average)

    public init(_ config: Pooling2DConfig) {
        self.config = config
        self.name = config.name ?? "average_pooling2d"
    }

    /// `AveragePooling2D(poolSize: 2)`, as in Keras; sizes are square.
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, name: String? = nil) {
        self.init(Pooling2DConfig(
            poolSize: [poolSize, poolSize], strides: strides.map { [$0, $0] }, padding: padding, name: name))
    }

    public var spec: LayerSpec { .averagePooling2d(config) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.poolSize.count == 2, config.strides.map({ $0.count == 2 }) ?? true else {
            throw NNError.invalidArgument(
                "layer '\(name)': pool_size and strides must be one number or [height, width], got \(config.poolSize) and \(config.strides ?? config.poolSize)")
        }
        return try engine.build(
            inputShape: inputShape, poolSize: config.poolSize, strides: config.strides ?? config.poolSize,
            padding: config.padding, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}
