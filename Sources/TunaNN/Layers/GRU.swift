#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Gated recurrent unit over sequences `(batch, steps, features)`, as Keras 3 defines it by
/// default (`reset_after=True`): gates ordered (update z, reset r, candidate h), an input bias
/// and a recurrent bias, and the reset gate applied after the recurrent product:
///
///     z = σ(x Wz + bz + h Uz + b'z)     r = σ(x Wr + br + h Ur + b'r)
///     ĥ = tanh(x Wh + bh + r ⊙ (h Uh + b'h))     h ← z ⊙ h + (1 − z) ⊙ ĥ
///
/// As in the LSTM, the input side of every gate for all steps is one GEMM.
public final class GRU: Layer {
    public typealias Config = RecurrentConfig

    public let config: Config
    public var name: String
    public private(set) var kernel: Parameter?
    public private(set) var recurrentKernel: Parameter?
    /// Keras's bias of shape (2, 3·units): input bias, then recurrent bias.
    public private(set) var bias: Parameter?
    private var steps = 0, features = 0

    private var input = Tensor.empty
    private var gates = Tensor.empty        // z, r, ĥ after activation: (B, T, 3U)
    private var recurrentH = Tensor.empty   // h Uh + b'h before the reset gate: (B, T, U)
    private var states = Tensor.empty       // h_t: (B, T, U)
    private var output = Tensor.empty
    private var inputSideGradient = Tensor.empty
    private var inputGradient = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "gru"
    }

    public convenience init(_ units: Int, returnSequences: Bool = false, name: String? = nil) {
        self.init(Config(units: units, returnSequences: returnSequences, name: name))
    }

    public var spec: LayerSpec { .gru(config) }
    public var parameters: [Parameter] { [kernel, recurrentKernel, bias].compactMap { $0 } }
    public var forwardFlopsPerSample: Int { 2 * steps * (features + config.units) * 3 * config.units }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try checkRecurrent(config, inputShape: inputShape, layer: name)
        steps = inputShape[0]
        features = inputShape[1]
        let u = config.units
        kernel = Parameter(name: "kernel", value: Initializer.glorotUniform.make(shape: [features, 3 * u], generator: &generator))
        recurrentKernel = Parameter(name: "recurrent_kernel", value: Initializer.orthogonal.make(shape: [u, 3 * u], generator: &generator))
        bias = Parameter(name: "bias", value: Tensor(zeros: [2, 3 * u]))
        return config.returnSequences ? [steps, u] : [u]
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let kernel, let recurrentKernel, let bias else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(x, expected: [steps, features], layer: name)
        let batch = x.shape[0], t = steps, u = config.units, g3 = 3 * u
        gates.reuse(shape: [batch, t, g3])
        recurrentH.reuse(shape: [batch, t, u])
        states.reuse(shape: [batch, t, u])
        var recurrent = [Float](repeating: 0, count: batch * g3)
        let zeroState = [Float](repeating: 0, count: batch * u)
        x.withUnsafeBufferPointer { px in
            kernel.value.withUnsafeBufferPointer { pw in
                recurrentKernel.value.withUnsafeBufferPointer { pu in
                    bias.value.withUnsafeBufferPointer { pb in
                        gates.withUnsafeMutableBufferPointer { pg in
                            recurrentH.withUnsafeMutableBufferPointer { prh in
                                states.withUnsafeMutableBufferPointer { ph in
                                    recurrent.withUnsafeMutableBufferPointer { prec in
                                        zeroState.withUnsafeBufferPointer { p0 in
                                            let gz = pg.baseAddress!, h = ph.baseAddress!, rec = prec.baseAddress!
                                            let inputBias = pb.baseAddress!, recurrentBias = pb.baseAddress! + g3
                                            Kernels.broadcastRows(inputBias, rows: batch * t, columns: g3, into: gz)
                                            BLAS.gemm(m: batch * t, n: g3, k: features, a: px.baseAddress!, lda: features,
                                                      b: pw.baseAddress!, ldb: g3, beta: 1, c: gz, ldc: g3)
                                            for step in 0..<t {
                                                let previous = step == 0 ? p0.baseAddress! : UnsafePointer(h + (step - 1) * u)
                                                let stride = step == 0 ? u : t * u
                                                Kernels.broadcastRows(recurrentBias, rows: batch, columns: g3, into: rec)
                                                BLAS.gemm(m: batch, n: g3, k: u, a: previous, lda: stride,
                                                          b: pu.baseAddress!, ldb: g3, beta: 1, c: rec, ldc: g3)
                                                for r in 0..<batch {
                                                    let g = gz + (r * t + step) * g3, hr = rec + r * g3
                                                    let out = h + (r * t + step) * u, rh = prh.baseAddress! + (r * t + step) * u
                                                    let hPrev = previous + r * stride
                                                    for j in 0..<u {
                                                        let zj = Activation.sigmoid(g[j] + hr[j])
                                                        let rj = Activation.sigmoid(g[u + j] + hr[u + j])
                                                        let candidate = tanhf(g[2 * u + j] + rj * hr[2 * u + j])
                                                        g[j] = zj; g[u + j] = rj; g[2 * u + j] = candidate
                                                        rh[j] = hr[2 * u + j]
                                                        out[j] = zj * hPrev[j] + (1 - zj) * candidate
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training { input = x }
        if config.returnSequences { return states }
        copyLastStep(states, steps: t, units: u, into: &output)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let kernel, let recurrentKernel, let bias else { throw NNError.notReady("layer '\(name)' is not built") }
        let batch = input.shape.first ?? 0, t = steps, u = config.units, g3 = 3 * u
        let expected = config.returnSequences ? [batch, t, u] : [batch, u]
        guard input.count > 0, outputGradient.shape == expected else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match output \(expected) (backward without a training forward?)")
        }
        defer { input = .empty }
        inputSideGradient.reuse(shape: [batch, t, g3])
        var dh = [Float](repeating: 0, count: batch * u)
        var recurrentSide = [Float](repeating: 0, count: batch * g3)
        var recurrentBiasGradient = [Float](repeating: 0, count: g3)
        recurrentKernel.gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        outputGradient.withUnsafeBufferPointer { pdy in
            gates.withUnsafeBufferPointer { pg in
                recurrentH.withUnsafeBufferPointer { prh in
                    states.withUnsafeBufferPointer { ph in
                        inputSideGradient.withUnsafeMutableBufferPointer { pdx in
                            recurrentKernel.value.withUnsafeBufferPointer { pu in
                                recurrentKernel.gradient.withUnsafeMutableBufferPointer { pdu in
                                    recurrentSide.withUnsafeMutableBufferPointer { prs in
                                        dh.withUnsafeMutableBufferPointer { pdh in
                                            for step in stride(from: t - 1, through: 0, by: -1) {
                                                for r in 0..<batch {
                                                    let g = pg.baseAddress! + (r * t + step) * g3
                                                    let dxg = pdx.baseAddress! + (r * t + step) * g3, drs = prs.baseAddress! + r * g3
                                                    let base = (r * t + step) * u
                                                    for j in 0..<u {
                                                        var dhj = pdh[r * u + j]
                                                        if config.returnSequences { dhj += pdy[base + j] }
                                                        else if step == t - 1 { dhj += pdy[r * u + j] }
                                                        let zj = g[j], rj = g[u + j], cj = g[2 * u + j]
                                                        let hPrev: Float = step == 0 ? 0 : ph[base - u + j]
                                                        let dCandidate = dhj * (1 - zj) * (1 - cj * cj)
                                                        let dz = dhj * (hPrev - cj) * zj * (1 - zj)
                                                        let dr = dCandidate * prh[base + j] * rj * (1 - rj)
                                                        dxg[j] = dz; dxg[u + j] = dr; dxg[2 * u + j] = dCandidate
                                                        drs[j] = dz; drs[u + j] = dr; drs[2 * u + j] = dCandidate * rj
                                                        pdh[r * u + j] = dhj * zj
                                                    }
                                                }
                                                for r in 0..<batch {
                                                    for j in 0..<g3 { recurrentBiasGradient[j] += prs[r * g3 + j] }
                                                }
                                                if step > 0 {
                                                    BLAS.gemm(transposeA: true, m: u, n: g3, k: batch, a: ph.baseAddress! + (step - 1) * u, lda: t * u,
                                                              b: prs.baseAddress!, ldb: g3, beta: 1, c: pdu.baseAddress!, ldc: g3)
                                                    // dh_{t-1} += dHZ · Uᵀ (on top of the direct z ⊙ dh part).
                                                    BLAS.gemm(transposeB: true, m: batch, n: u, k: g3, a: prs.baseAddress!, lda: g3,
                                                              b: pu.baseAddress!, ldb: g3, beta: 1, c: pdh.baseAddress!, ldc: u)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        inputSideGradient.withUnsafeBufferPointer { pdz in
            input.withUnsafeBufferPointer { px in
                kernel.gradient.withUnsafeMutableBufferPointer { pdw in
                    BLAS.gemm(transposeA: true, m: features, n: g3, k: batch * t, a: px.baseAddress!, lda: features,
                              b: pdz.baseAddress!, ldb: g3, c: pdw.baseAddress!, ldc: g3)
                }
            }
            bias.gradient.withUnsafeMutableBufferPointer { pdb in
                Kernels.columnSums(pdz.baseAddress!, rows: batch * t, columns: g3, into: pdb.baseAddress!)
                for j in 0..<g3 { pdb[g3 + j] = recurrentBiasGradient[j] }
            }
        }
        guard needsInputGradient else { return nil }
        inputGradient.reuse(shape: [batch, t, features])
        inputSideGradient.withUnsafeBufferPointer { pdz in
            kernel.value.withUnsafeBufferPointer { pw in
                inputGradient.withUnsafeMutableBufferPointer { pdx in
                    BLAS.gemm(transposeB: true, m: batch * t, n: features, k: g3, a: pdz.baseAddress!, lda: g3,
                              b: pw.baseAddress!, ldb: g3, c: pdx.baseAddress!, ldc: features)
                }
            }
        }
        return inputGradient
    }
}
