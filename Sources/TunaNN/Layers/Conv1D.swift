import TunaTensor

/// A 1-D convolution over channels-last sequences `(batch, steps, channels)`, as Keras's
/// `Conv1D`, with a kernel of shape `(kernel_size, in_channels, filters)`.
///
/// A sequence is an image of height 1, so this shares Conv2D's im2col + sgemm engine; the kernel
/// `(k, in, filters)` has the same memory layout as `(1, k, in, filters)`.
public final class Conv1D: ActivatedLayer {
    /// The declarative settings (Keras names).
    public struct Config: ConvolutionConfig {
        public var filters: Int
        public var kernelSize: Int
        public var strides: Int
        public var padding: Padding
        public var dilationRate: Int
        public var activation: Activation
        public var weights: KernelSettings
        public var name: String?

        public init(
            filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
            activation: Activation = .linear, useBias: Bool = true,
            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
            kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
            kernelConstraint: Constraint? = nil, name: String? = nil
        ) {
            self.filters = filters
            self.kernelSize = kernelSize
            self.strides = strides
            self.padding = padding
            self.dilationRate = dilationRate
            self.activation = activation
            self.weights = KernelSettings(
                useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer, kernelConstraint: kernelConstraint)
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    public var activation: Activation { config.activation }
    public var kernel: Parameter? { engine.kernel }
    public var bias: Parameter? { engine.bias }
    private let engine: ConvolutionEngine

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "conv1d"
        self.engine = ConvolutionEngine(filters: config.filters, activation: config.activation)
    }

    /// `Conv1D(16, kernelSize: 5, activation: .relu)`, as in Keras.
    public convenience init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, name: String? = nil
    ) {
        self.init(Config(
            filters: filters, kernelSize: kernelSize, strides: strides, padding: padding, dilationRate: dilationRate,
            activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
            biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer,
            biasRegularizer: biasRegularizer, kernelConstraint: kernelConstraint, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public var forwardFlopsPerSample: Int { engine.flopsPerSample }

    public var parameters: [Parameter] { [engine.kernel, engine.bias].compactMap { $0 } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.filters > 0 else {
            throw NNError.invalidArgument("layer '\(name)': filters must be positive, got \(config.filters)")
        }
        try checkWindowSettings(layer: name, [
            ("kernel_size", [config.kernelSize]), ("strides", [config.strides]), ("dilation_rate", [config.dilationRate]),
        ])
        try checkWindowInput(inputShape, rank: 2, layer: name)
        let channels = inputShape[1]
        let geometry = try WindowGeometry.make(
            layer: name, what: "kernel", input: (1, inputShape[0]), channels: channels,
            kernel: [1, config.kernelSize], strides: [1, config.strides], dilation: [1, config.dilationRate],
            padding: config.padding, oneDimensional: true)
        engine.geometry = geometry
        engine.inputShape = inputShape
        engine.outputShape = [geometry.columns.output, config.filters]
        engine.kernel = config.weights.makeKernel(shape: [config.kernelSize, channels, config.filters], generator: &generator)
        engine.bias = config.weights.makeBias(units: config.filters, generator: &generator)
        return engine.outputShape
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try engine.forward(input, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }

    public func backward(preActivationGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try engine.backward(preActivationGradient: preActivationGradient, needsInputGradient: needsInputGradient, layer: name)
    }
}

extension Conv1D.Config {
    public static var kind: String { "conv1d" }
    public func makeLayer() -> any Layer { Conv1D(self) }
    public var spec: LayerSpec { .conv1d(self) }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder)
        self.filters = try c.decode(Int.self, forKey: .filters)
        self.kernelSize = try c.decode(Int.self, forKey: .kernelSize)
        self.strides = try c.decodeIfPresent(Int.self, forKey: .strides) ?? 1
        self.padding = try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid
        self.dilationRate = try c.decodeIfPresent(Int.self, forKey: .dilationRate) ?? 1
        self.activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .linear
        self.weights = try KernelSettings(from: decoder)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
    }
}
