import TunaTensor

/// The plain recurrent layer `h = activation(x W + h₋₁ U + b)` (Keras's `SimpleRNN`, tanh by
/// default): cheap, and enough when what matters lies a few steps back.
public final class SimpleRNN: RecurrentLayer, RecurrentLayerKind {
    public typealias Config = RecurrentSettings<SimpleRNN>
    public static var kind: String { "simple_rnn" }
    public static var settingKeys: [String] { RecurrentConfig.simpleKeys }
    public static func box(_ settings: Config) -> LayerSpec { .simpleRNN(settings) }

    public init(_ config: RecurrentConfig) {
        super.init(config, kind: SimpleRNN.self, cell: SimpleRNNCell(units: config.units, activation: config.activation))
    }
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
