import TunaTensor

/// The weight settings of the layers that multiply by a kernel and add a bias (Dense, Conv1D,
/// Conv2D), with Keras's names and defaults. Kept in one place so the layers read, write and
/// initialise them the same way; their settings forward these fields by name
/// (`config.kernelInitializer`), so files and call sites see them flat, as Keras does.
public struct KernelSettings: Hashable, Sendable {
    public var useBias: Bool
    public var kernelInitializer: Initializer
    public var biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?

    public init(
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil
    ) {
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
    }

    /// The kernel, drawn from the generator before the bias so that a seed gives the same
    /// weights whatever the layer.
    func makeKernel(shape: [Int], generator: inout SeededGenerator) -> Parameter {
        Parameter(
            name: "kernel", value: kernelInitializer.make(shape: shape, generator: &generator),
            regularizer: kernelRegularizer, constraint: kernelConstraint)
    }

    /// The bias of `units` outputs, or nil without `use_bias`.
    func makeBias(units: Int, generator: inout SeededGenerator) -> Parameter? {
        guard useBias else { return nil }
        return Parameter(
            name: "bias", value: biasInitializer.make(shape: [units], generator: &generator), regularizer: biasRegularizer)
    }
}

extension KernelSettings: Codable {
    /// In the order files are written: Swift's synthesised `encode(to:)` follows it, and
    /// writes into the layer's own settings object, beside its other keys.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case useBias = "use_bias"
        case kernelInitializer = "kernel_initializer"
        case biasInitializer = "bias_initializer"
        case kernelRegularizer = "kernel_regularizer"
        case biasRegularizer = "bias_regularizer"
        case kernelConstraint = "kernel_constraint"
    }

    /// Reads the flat keys of the layer's own settings object (the layer checks for unknown keys).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            useBias: try c.decodeIfPresent(Bool.self, forKey: .useBias) ?? true,
            kernelInitializer: try c.decodeIfPresent(Initializer.self, forKey: .kernelInitializer) ?? .glorotUniform,
            biasInitializer: try c.decodeIfPresent(Initializer.self, forKey: .biasInitializer) ?? .zeros,
            kernelRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .kernelRegularizer),
            biasRegularizer: try c.decodeIfPresent(Regularizer.self, forKey: .biasRegularizer),
            kernelConstraint: try c.decodeIfPresent(Constraint.self, forKey: .kernelConstraint))
    }

    static let keys = CodingKeys.allCases.map(\.rawValue)
}

/// Settings that hold a `KernelSettings` and show its fields as their own.
public protocol KernelLayerConfig: LayerConfig {
    var weights: KernelSettings { get set }
}

extension KernelLayerConfig {
    public var useBias: Bool {
        get { weights.useBias }
        set { weights.useBias = newValue }
    }
    public var kernelInitializer: Initializer {
        get { weights.kernelInitializer }
        set { weights.kernelInitializer = newValue }
    }
    public var biasInitializer: Initializer {
        get { weights.biasInitializer }
        set { weights.biasInitializer = newValue }
    }
    public var kernelRegularizer: Regularizer? {
        get { weights.kernelRegularizer }
        set { weights.kernelRegularizer = newValue }
    }
    public var biasRegularizer: Regularizer? {
        get { weights.biasRegularizer }
        set { weights.biasRegularizer = newValue }
    }
    public var kernelConstraint: Constraint? {
        get { weights.kernelConstraint }
        set { weights.kernelConstraint = newValue }
    }
}
