import TunaTensor

/// A convolution over channels-last sequences `(batch, steps, channels)` or images
/// `(batch, height, width, channels)`, as Keras's `Conv1D` and `Conv2D`:
/// `y = activation(conv(x, W) + b)` with a kernel of shape `(kernel_size..., in_channels, filters)`,
/// so Keras weights load unchanged.
///
/// Computed as im2col plus one sgemm over the whole batch (see `ConvolutionEngine`); on the small
/// images and kernels of tuning studies this beats a direct loop because OpenBLAS does the
/// arithmetic and the patch copy is cheap. A sequence is an image of height 1, and its kernel
/// `(k, in, filters)` has the memory layout of `(1, k, in, filters)`, so both ranks share it.
public final class Convolution<Axes: WindowAxes>: ActivatedLayer {
    /// The declarative settings (Keras names). Extents are one number for sequences and
    /// `[height, width]` pairs for images.
    public struct Config: KernelLayerConfig {
        public var filters: Int
        public var kernelSize: Axes.Extent
        public var strides: Axes.Extent
        public var padding: Padding
        public var dilationRate: Axes.Extent
        public var activation: Activation
        public var weights: KernelSettings
        public var name: String?

        public init(
            filters: Int, kernelSize: Axes.Extent, strides: Axes.Extent = Axes.uniform(1), padding: Padding = .valid,
            dilationRate: Axes.Extent = Axes.uniform(1), activation: Activation = .linear, useBias: Bool = true,
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
        self.name = config.name ?? Config.kind
        self.engine = ConvolutionEngine(filters: config.filters, activation: config.activation)
    }

    /// `Conv2D(32, kernelSize: 3, activation: .relu)`, as in Keras; sizes are the same along
    /// every axis.
    public convenience init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, name: String? = nil
    ) {
        self.init(Config(
            filters: filters, kernelSize: Axes.uniform(kernelSize), strides: Axes.uniform(strides), padding: padding,
            dilationRate: Axes.uniform(dilationRate), activation: activation, useBias: useBias,
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
        let kernelSize = Axes.sizes(config.kernelSize), strides = Axes.sizes(config.strides)
        let dilationRate = Axes.sizes(config.dilationRate)
        let window = [("kernel_size", kernelSize), ("strides", strides), ("dilation_rate", dilationRate)]
        for (label, values) in window where values.count != Axes.spatialRank {
            throw NNError.invalidArgument("layer '\(name)': \(label) must be one number or [height, width], got \(values)")
        }
        try checkWindowSettings(layer: name, window)
        guard config.padding != .causal || Axes.isSequence else {
            throw NNError.invalidArgument("layer '\(name)': padding 'causal' is for Conv1D; use 'valid' or 'same'")
        }
        try checkWindowInput(inputShape, rank: Axes.rank, layer: name)
        let channels = inputShape[Axes.rank - 1]
        let input = Axes.grid(Array(inputShape.dropLast()))
        let geometry = try WindowGeometry.make(
            layer: name, what: "kernel", input: (input[0], input[1]), channels: channels,
            kernel: Axes.grid(kernelSize), strides: Axes.grid(strides), dilation: Axes.grid(dilationRate),
            padding: config.padding, oneDimensional: Axes.isSequence)
        engine.geometry = geometry
        engine.inputShape = inputShape
        engine.outputShape = [geometry.rows.output, geometry.columns.output].suffix(Axes.spatialRank) + [config.filters]
        engine.kernel = config.weights.makeKernel(shape: kernelSize + [channels, config.filters], generator: &generator)
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

/// Keras's names for each rank.
public typealias Conv1D = Convolution<SequenceAxes>
public typealias Conv2D = Convolution<ImageAxes>

enum ConvolutionCodingKeys: String, CodingKey, CaseIterable {
    case filters, strides, padding, activation, name
    case kernelSize = "kernel_size"
    case dilationRate = "dilation_rate"
}

extension Convolution.Config {
    public static var kind: String { "conv\(Axes.spatialRank)d" }
    public func makeLayer() -> any Layer { Convolution(self) }
    public var spec: LayerSpec { Axes.box(self) }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, ConvolutionCodingKeys.self, extra: KernelSettings.keys)
        guard let kernelSize = try Axes.decodeExtent(c, .kernelSize) else {
            throw DecodingError.keyNotFound(ConvolutionCodingKeys.kernelSize, .init(
                codingPath: c.codingPath, debugDescription: "\(Self.kind) needs kernel_size (\(Axes.extentForm))"))
        }
        self.filters = try c.decode(Int.self, forKey: .filters)
        self.kernelSize = kernelSize
        self.strides = try Axes.decodeExtent(c, .strides) ?? Axes.uniform(1)
        self.padding = try c.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid
        self.dilationRate = try Axes.decodeExtent(c, .dilationRate) ?? Axes.uniform(1)
        self.activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .linear
        self.weights = try KernelSettings(from: decoder)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ConvolutionCodingKeys.self)
        try c.encode(filters, forKey: .filters)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encode(dilationRate, forKey: .dilationRate)
        try c.encode(activation, forKey: .activation)
        try weights.encode(to: encoder)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
