import TunaTensor

/// Gated recurrent unit over sequences `(batch, steps, features)`, as Keras 3 defines it by
/// default (`reset_after=True`): gates ordered (update z, reset r, candidate h), an input bias
/// and a recurrent bias (Keras's bias of shape (2, 3·units)), and the reset gate applied after
/// the recurrent product:
///
///     z = σ(x Wz + bz + h Uz + b'z)     r = σ(x Wr + br + h Ur + b'r)
///     ĥ = tanh(x Wh + bh + r ⊙ (h Uh + b'h))     h ← z ⊙ h + (1 − z) ⊙ ĥ
///
/// This is also PyTorch's GRU, up to the gate order.
public final class GRU: RecurrentLayer, RecurrentLayerKind {
    public typealias Config = RecurrentSettings<GRU>
    public static var kind: String { "gru" }
    public static func box(_ settings: Config) -> LayerSpec { .gru(settings) }

    public convenience init(_ config: RecurrentConfig) {
        self.init(config, fusedCell: true)
    }

    /// `fusedCell: false` sends even Keras's default activations through the generic cell, so
    /// tests can check the fused C loop against it.
    init(_ config: RecurrentConfig, fusedCell: Bool) {
        super.init(config, kind: GRU.self, cell: GRUCell(config, fused: fusedCell))
    }
}

/// One GRU step (reset after the recurrent product). Saves the candidate's recurrent part.
struct GRUCell: GatedCell {
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation
    let isDefault: Bool

    var gateCount: Int { 3 }
    var savedWidth: Int { units }
    var carryWidth: Int { 0 }
    var keepsRecurrentApart: Bool { true }

    var biasShape: [Int] { [2, 3 * units] }
    func initialBias(_ initialized: Tensor, unitForgetBias: Bool) -> Tensor { initialized }

    @inline(__always)
    func forward(
        gates g: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>?,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        saved: UnsafeMutablePointer<Float>, state h: UnsafeMutablePointer<Float>
    ) {
        guard let rec = recurrent else { return }
        let u = units
        saved.update(from: rec + 2 * u, count: u)
        if isDefault {
            VectorLoops.gruCell(gates: g, recurrent: rec, previousState: previousState, state: h, units: u)
            return
        }
        for j in 0..<(2 * u) { g[j] += rec[j] }
        recurrentActivation.applyFast(g, g, count: 2 * u)
        for j in 0..<u { g[2 * u + j] += g[u + j] * rec[2 * u + j] }
        activation.applyFast(g + 2 * u, g + 2 * u, count: u)
        for j in 0..<u { h[j] = (1 - g[j]) * g[2 * u + j] + g[j] * (previousState.map { $0[j] } ?? 0) }
    }

    @inline(__always)
    func backward(
        gates g: UnsafePointer<Float>, saved: UnsafePointer<Float>,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        stateGradient dh: UnsafeMutablePointer<Float>, carry: UnsafeMutablePointer<Float>,
        gateGradient dz: UnsafeMutablePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>?,
        previousStateGradient: UnsafeMutablePointer<Float>
    ) {
        guard let dRecurrent = recurrentGradient else { return }
        let u = units, z = g, r = g + u, candidate = g + 2 * u
        // Gradients with respect to the activated gates first, then through their activations.
        for j in 0..<u {
            let hPrevious: Float = previousState.map { $0[j] } ?? 0
            dz[2 * u + j] = dh[j] * (1 - z[j])
            dz[j] = dh[j] * (hPrevious - candidate[j])
            previousStateGradient[j] = dh[j] * z[j]
        }
        activation.scaleByDerivative(output: candidate, dz + 2 * u, count: u)
        for j in 0..<u { dz[u + j] = dz[2 * u + j] * saved[j] }
        recurrentActivation.scaleByDerivative(output: z, dz, count: 2 * u)
        for j in 0..<(2 * u) { dRecurrent[j] = dz[j] }
        for j in 0..<u { dRecurrent[2 * u + j] = dz[2 * u + j] * r[j] }
    }
}
