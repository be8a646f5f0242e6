import TunaTensor

/// The plain recurrent layer `h = activation(x W + h₋₁ U + b)` (Keras's `SimpleRNN`, tanh by
/// default): cheap, and enough when what matters lies a few steps back.
public final class SimpleRNN: Layer {
    public typealias Config = RecurrentConfig

    public let config: Config
    public var name: String
    let sequence: RecurrentSequence<SimpleRNNCell>

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "simple_rnn"
        self.sequence = RecurrentSequence(cell: SimpleRNNCell(units: config.units, activation: config.activation), config: config)
    }

    public convenience init(_ units: Int, activation: Activation = .tanh, returnSequences: Bool = false, name: String? = nil) {
        self.init(Config(units: units, activation: activation, returnSequences: returnSequences, name: name))
    }

    public var spec: LayerSpec { .simpleRNN(config) }
    public var kernel: Parameter? { sequence.kernel }
    public var recurrentKernel: Parameter? { sequence.recurrentKernel }
    public var bias: Parameter? { sequence.bias }
    public var parameters: [Parameter] { sequence.parameters }
    public var forwardFlopsPerSample: Int { sequence.flopsPerSample }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try sequence.build(inputShape: inputShape, generator: &generator, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try sequence.forward(input, mask: nil, training: training, layer: name)
    }

    public func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        try sequence.forward(input, mask: mask, training: training, layer: name)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try sequence.backward(outputGradient, needsInputGradient: needsInputGradient, layer: name)
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { sequence.outputMask(inputMask) }
}

/// One step of the plain recurrence: the gates' pre-activation is the whole story.
struct SimpleRNNCell: RecurrentCell {
    let units: Int
    let activation: Activation

    var gateCount: Int { 1 }
    var savedWidth: Int { 0 }
    var carryWidth: Int { 0 }
    var keepsRecurrentApart: Bool { false }

    var biasShape: [Int] { [units] }
    func initialBias(_ initialized: Tensor, unitForgetBias: Bool) -> Tensor { initialized }

    @inline(__always)
    func forward(
        gates z: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>?,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        saved: UnsafeMutablePointer<Float>, state h: UnsafeMutablePointer<Float>
    ) {
        activation.applyFast(z, h, count: units)
        z.update(from: h, count: units)
    }

    @inline(__always)
    func backward(
        gates z: UnsafePointer<Float>, saved: UnsafePointer<Float>,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        stateGradient dh: UnsafeMutablePointer<Float>, carry: UnsafeMutablePointer<Float>,
        gateGradient dz: UnsafeMutablePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>?,
        previousStateGradient: UnsafeMutablePointer<Float>
    ) {
        dz.update(from: dh, count: units)
        activation.scaleByDerivative(output: z, dz, count: units)
        previousStateGradient.update(repeating: 0, count: units)
    }
}
