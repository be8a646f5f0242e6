import TunaTensor

/// A 2-D convolution over channels-last images `(batch, height, width, channels)`, as Keras's
/// `Conv2D`: `y = activation(conv(x, W) + b)` with a kernel of shape
/// `(kernel_h, kernel_w, in_channels, filters)`, so Keras weights load unchanged.
///
/// Computed as im2col plus one sgemm over the whole batch (see `ConvolutionEngine`); on the small
/// images and kernels of tuning studies this beats a direct loop because OpenBLAS does the
/// arithmetic and the patch copy is cheap.
public final class Conv2D: ActivatedLayer {
    /// The declarative settings (Keras names). Pairs are `[height, width]`.
    public struct Config: ConvolutionConfig {
        public var filters: Int
        public var kernelSize: [Int]
        public var strides: [Int]
        public var padding: Padding
        public var dilationRate: [Int]
        public var activation: Activation
        public var weights: KernelSettings
        public var name: String?

        public init(
            filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid,
            dilationRate: [Int] = [1, 1], activation: Activation = .linear, useBias: Bool = true,
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
        self.name = config.name ?? "conv2d"
        self.engine = ConvolutionEngine(filters: config.filters, activation: config.activation)
    }

    /// `Conv2D(32, kernelSize: 3, activation: .relu)`, as in Keras; sizes are square.
    public convenience init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, name: String? = nil
    ) {
        self.init(Config(
            filters: filters, kernelSize: [kernelSize, kernelSize], strides: [strides, strides], padding: padding,
            dilationRate: [dilationRate, dilationRate], activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
            kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer,
            kernelConstraint: kernelConstraint, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public var forwardFlopsPerSample: Int { engine.flopsPerSample }

    public var parameters: [Parameter] { [engine.kernel, engine.bias].compactMap { $0 } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.filters > 0 else {
            throw NNError.invalidArgument("layer '\(name)': filters must be positive, got \(config.filters)")
        }
        for (label, values) in [("kernel_size", config.kernelSize), ("strides", config.strides), ("dilation_rate", config.dilationRate)]
        where values.count != 2 {
            throw NNError.invalidArgument("layer '\(name)': \(label) must be one number or [height, width], got \(values)")
        }
        try checkWindowSettings(layer: name, [
            ("kernel_size", config.kernelSize), ("strides", config.strides), ("dilation_rate", config.dilationRate),
        ])
        guard config.padding != .causal else {
            throw NNError.invalidArgument("layer '\(name)': padding 'causal' is for Conv1D; use 'valid' or 'same'")
        }
        try checkWindowInput(inputShape, rank: 3, layer: name)
        let channels = inputShape[2]
        let geometry = try WindowGeometry.make(
            layer: name, what: "kernel", input: (inputShape[0], inputShape[1]), channels: channels,
            kernel: config.kernelSize, strides: config.strides, dilation: config.dilationRate,
            padding: config.padding, oneDimensional: false)
        engine.geometry = geometry
        engine.inputShape = inputShape
        engine.outputShape = [geometry.rows.output, geometry.columns.output, config.filters]
        engine.kernel = config.weights.makeKernel(shape: [config.kernelSize[0], config.kernelSize[1], channels, config.filters], generator: &generator)
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

extension Conv2D.Config {
    public static var kind: String { "conv2d" }
    public func makeLayer() -> any Layer { Conv2D(self) }
    public var spec: LayerSpec { .conv2d(self) }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder)
        guard let kernelSize = try decodePair(c, .kernelSize) else {
            throw DecodingError.keyNotFound(ConvolutionCodingKeys.kernelSize, .init(
                codingPath: c.codingPath, debugDescription: "conv2d needs kernel_size (a number or [height, width])"))
        }
        self.filters = try c.decode(Int.self, forKey: .filters)
        self.kernelSize = kernelSize
        self.strides = try decodePair(c, .strides) ?? [1, 1]
        self.padding = try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid
        self.dilationRate = try decodePair(c, .dilationRate) ?? [1, 1]
        self.activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .linear
        self.weights = try KernelSettings(from: decoder)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
    }
}
