import TunaTensor

/// A fully connected layer: `y = activation(x W + b)`, applied along the last axis (so a
/// sequence of vectors is transformed step by step, as in Keras).
public final class Dense: ActivatedLayer {
    /// The declarative settings (Keras names).
    public struct Config: KernelLayerConfig {
        public var units: Int
        public var activation: Activation = .linear
        public var weights: KernelSettings
        public var name: String?

        public init(
            units: Int, activation: Activation = .linear, useBias: Bool = true,
            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
            kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
            kernelConstraint: Constraint? = nil, name: String? = nil
        ) {
            self.units = units
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
    public private(set) var kernel: Parameter?
    public private(set) var bias: Parameter?
    private var inputShape: [Int] = []

    private var input = Tensor.empty
    private var preActivation = Tensor.empty
    private var output = Tensor.empty
    private var scratch = Tensor.empty
    private var inputGradient = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "dense"
    }

    /// `Dense(64, activation: .relu)`, as in Keras.
    public convenience init(
        _ units: Int, activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, name: String? = nil
    ) {
        self.init(Config(
            units: units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
            biasInitializer: biasInitializer, kernelRegularizer: kernelRegularizer,
            biasRegularizer: biasRegularizer, kernelConstraint: kernelConstraint, name: name))
    }

    public var spec: LayerSpec { config.spec }

    public var parameters: [Parameter] { [kernel, bias].compactMap { $0 } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard config.units > 0 else { throw NNError.invalidArgument("layer '\(name)': units must be positive, got \(config.units)") }
        guard let inputDim = inputShape.last, inputDim > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs an input with a last axis, got \(inputShape)")
        }
        self.inputShape = inputShape
        kernel = config.weights.makeKernel(shape: [inputDim, config.units], generator: &generator)
        bias = config.weights.makeBias(units: config.units, generator: &generator)
        return Array(inputShape.dropLast()) + [config.units]
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let kernel else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(x, expected: inputShape, layer: name)
        let inputDim = kernel.value.shape[0], units = config.units
        let rows = x.count / inputDim
        var outShape = x.shape
        outShape[outShape.count - 1] = units
        preActivation.reuse(shape: outShape)
        x.withUnsafeBufferPointer { px in
            kernel.value.withUnsafeBufferPointer { pw in
                preActivation.withUnsafeMutableBufferPointer { pz in
                    guard let z = pz.baseAddress else { return }
                    if let bias {
                        bias.value.withUnsafeBufferPointer { pb in
                            VectorLoops.broadcastRows(pb.baseAddress!, rows: rows, columns: units, into: z)
                        }
                    }
                    BLAS.gemm(
                        m: rows, n: units, k: inputDim, a: px.baseAddress!, lda: inputDim,
                        b: pw.baseAddress!, ldb: units, beta: bias == nil ? 0 : 1, c: z, ldc: units)
                }
            }
        }
        if training { input = x }
        if case .linear = config.activation { return preActivation }
        output.reuse(shape: outShape)
        preActivation.withUnsafeBufferPointer { pz in
            output.withUnsafeMutableBufferPointer { py in
                config.activation.apply(pz.baseAddress!, py.baseAddress!, count: pz.count, rowLength: units)
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        if case .linear = config.activation {
            return try backward(preActivationGradient: outputGradient, needsInputGradient: needsInputGradient)
        }
        scratch.reuse(shape: outputGradient.shape)
        preActivation.withUnsafeBufferPointer { pz in
            output.withUnsafeBufferPointer { py in
                outputGradient.withUnsafeBufferPointer { pdy in
                    scratch.withUnsafeMutableBufferPointer { pdz in
                        config.activation.gradient(
                            z: pz.baseAddress!, y: py.baseAddress!, dy: pdy.baseAddress!, dz: pdz.baseAddress!,
                            count: pdz.count, rowLength: config.units)
                    }
                }
            }
        }
        return try backward(preActivationGradient: scratch, needsInputGradient: needsInputGradient)
    }

    public func backward(preActivationGradient dz: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let kernel else { throw NNError.notReady("layer '\(name)' is not built") }
        guard dz.shape == preActivation.shape, input.count > 0 || dz.count == 0 else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(dz.shape) does not match output \(preActivation.shape) (backward without a training forward?)")
        }
        let inputDim = kernel.value.shape[0], units = config.units
        let rows = dz.count / units
        defer { input = .empty }
        dz.withUnsafeBufferPointer { pdz in
            input.withUnsafeBufferPointer { px in
                kernel.gradient.withUnsafeMutableBufferPointer { pdw in
                    BLAS.gemm(
                        transposeA: true, m: inputDim, n: units, k: rows, a: px.baseAddress!, lda: inputDim,
                        b: pdz.baseAddress!, ldb: units, c: pdw.baseAddress!, ldc: units)
                }
            }
            if let bias {
                bias.gradient.withUnsafeMutableBufferPointer { pdb in
                    VectorLoops.columnSums(pdz.baseAddress!, rows: rows, columns: units, into: pdb.baseAddress!)
                }
            }
        }
        guard needsInputGradient else { return nil }
        inputGradient.reuse(shape: input.shape)
        dz.withUnsafeBufferPointer { pdz in
            kernel.value.withUnsafeBufferPointer { pw in
                inputGradient.withUnsafeMutableBufferPointer { pdx in
                    BLAS.gemm(
                        transposeB: true, m: rows, n: inputDim, k: units, a: pdz.baseAddress!, lda: units,
                        b: pw.baseAddress!, ldb: units, c: pdx.baseAddress!, ldc: inputDim)
                }
            }
        }
        return inputGradient
    }
}

extension Dense.Config {
    public static var kind: String { "dense" }
    public func makeLayer() -> any Layer { Dense(self) }
    public var spec: LayerSpec { .dense(self) }

    enum CodingKeys: String, CodingKey, CaseIterable { case units, activation, name }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self, extra: KernelSettings.keys)
        self.units = try c.decode(Int.self, forKey: .units)
        self.activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .linear
        self.weights = try KernelSettings(from: decoder)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        try c.encode(activation, forKey: .activation)
        try weights.encode(to: encoder)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
