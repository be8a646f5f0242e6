import TunaTensor

/// Long short-term memory over sequences `(batch, steps, features)`, with Keras's gate order
/// (input, forget, cell, output), initializers (glorot-uniform kernel, orthogonal recurrent
/// kernel, forget-gate bias 1) and options (activations, go_backwards, dropout,
/// recurrent_dropout, masking); `RecurrentSequence` runs it over time.
public final class LSTM: RecurrentLayer, RecurrentLayerKind {
    public typealias Config = RecurrentSettings<LSTM>
    public static var kind: String { "lstm" }
    public static func box(_ settings: Config) -> LayerSpec { .lstm(settings) }

    public convenience init(_ config: RecurrentConfig) {
        self.init(config, fusedCell: true)
    }

    /// `fusedCell: false` sends even Keras's default activations through the generic cell, so
    /// tests can check the fused C loop against it.
    init(_ config: RecurrentConfig, fusedCell: Bool) {
        super.init(config, kind: LSTM.self, cell: LSTMCell(config, fused: fusedCell))
    }
}

/// One LSTM step: i, f, o = σ(·), g = tanh(·), c = f ⊙ c₋₁ + i ⊙ g, h = o ⊙ tanh(c) (σ and tanh
/// being the configured recurrent and state activations). Saves c and tanh(c).
struct LSTMCell: GatedCell {
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation
    let isDefault: Bool

    var gateCount: Int { 4 }
    var savedWidth: Int { 2 * units }
    var carryWidth: Int { units }
    var keepsRecurrentApart: Bool { false }

    var biasShape: [Int] { [4 * units] }

    /// Keras's `unit_forget_bias`: the forget gate starts open.
    func initialBias(_ initialized: Tensor, unitForgetBias: Bool) -> Tensor {
        guard unitForgetBias else { return initialized }
        var bias = initialized
        for j in units..<(2 * units) { bias[flat: j] += 1 }
        return bias
    }

    @inline(__always)
    func forward(
        gates z: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>?,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        saved: UnsafeMutablePointer<Float>, state h: UnsafeMutablePointer<Float>
    ) {
        let u = units, c = saved, cellActivation = saved + u
        if isDefault {
            VectorLoops.lstmCell(gates: z, previousCell: previousSaved, cell: c, cellTanh: cellActivation, state: h, units: u)
            return
        }
        recurrentActivation.applyFast(z, z, count: 2 * u)
        activation.applyFast(z + 2 * u, z + 2 * u, count: u)
        recurrentActivation.applyFast(z + 3 * u, z + 3 * u, count: u)
        if let previousCell = previousSaved {
            for j in 0..<u { c[j] = z[u + j] * previousCell[j] + z[j] * z[2 * u + j] }
        } else {
            for j in 0..<u { c[j] = z[j] * z[2 * u + j] }
        }
        activation.applyFast(c, cellActivation, count: u)
        for j in 0..<u { h[j] = z[3 * u + j] * cellActivation[j] }
    }

    @inline(__always)
    func backward(
        gates z: UnsafePointer<Float>, saved: UnsafePointer<Float>,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        stateGradient dh: UnsafeMutablePointer<Float>, carry dc: UnsafeMutablePointer<Float>,
        gateGradient dz: UnsafeMutablePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>?,
        previousStateGradient: UnsafeMutablePointer<Float>
    ) {
        let u = units, i = z, f = z + u, g = z + 2 * u, o = z + 3 * u, cellActivation = saved + u
        if isDefault {
            for j in 0..<u {
                let tc = cellActivation[j], dhj = dh[j]
                let dcj = dc[j] + dhj * o[j] * (1 - tc * tc)
                let cPrevious: Float = previousSaved.map { $0[j] } ?? 0
                dz[j] = dcj * g[j] * i[j] * (1 - i[j])
                dz[u + j] = dcj * cPrevious * f[j] * (1 - f[j])
                dz[2 * u + j] = dcj * i[j] * (1 - g[j] * g[j])
                dz[3 * u + j] = dhj * tc * o[j] * (1 - o[j])
                dc[j] = dcj * f[j]
            }
        } else {
            for j in 0..<u {
                dz[3 * u + j] = dh[j] * cellActivation[j]
                dh[j] *= o[j]
            }
            activation.scaleByDerivative(output: cellActivation, dh, count: u)
            for j in 0..<u {
                let dcj = dc[j] + dh[j]
                dz[j] = dcj * g[j]
                dz[u + j] = dcj * (previousSaved.map { $0[j] } ?? 0)
                dz[2 * u + j] = dcj * i[j]
                dc[j] = dcj * f[j]
            }
            recurrentActivation.scaleByDerivative(output: i, dz, count: 2 * u)
            activation.scaleByDerivative(output: g, dz + 2 * u, count: u)
            recurrentActivation.scaleByDerivative(output: o, dz + 3 * u, count: u)
        }
        // The previous state reaches this step only through the recurrent kernel.
        previousStateGradient.update(repeating: 0, count: u)
    }
}
