#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Long short-term memory over sequences `(batch, steps, features)`, with Keras's gate order
/// (input, forget, cell, output), initializers (glorot-uniform kernel, orthogonal recurrent
/// kernel, forget-gate bias 1) and tanh / sigmoid activations.
///
/// The input side of every gate for all steps is one GEMM (`(batch·steps) × features` by
/// `features × 4·units`); only the recurrent product runs step by step. Backward is
/// backpropagation through time with the same two whole-sequence GEMMs for the kernel and the
/// input gradient.
public final class LSTM: Layer {
    public typealias Config = RecurrentConfig

    public let config: Config
    public var name: String
    public private(set) var kernel: Parameter?
    public private(set) var recurrentKernel: Parameter?
    public private(set) var bias: Parameter?
    private var steps = 0, features = 0

    // Saved by a training forward pass for backward (all laid out (batch, steps, ...)).
    private var input = Tensor.empty
    private var gates = Tensor.empty      // activated i, f, g, o: (B, T, 4U)
    private var cells = Tensor.empty      // c_t: (B, T, U)
    private var cellTanh = Tensor.empty   // tanh(c_t)
    private var states = Tensor.empty     // h_t: (B, T, U)
    private var output = Tensor.empty
    private var gateGradient = Tensor.empty
    private var inputGradient = Tensor.empty
    private var zeros = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "lstm"
    }

    public convenience init(_ units: Int, returnSequences: Bool = false, name: String? = nil) {
        self.init(Config(units: units, returnSequences: returnSequences, name: name))
    }

    public var spec: LayerSpec { .lstm(config) }

    /// Every weight is used once per step.
    public var forwardFlopsPerSample: Int { 2 * steps * (features + config.units) * 4 * config.units }
    public var parameters: [Parameter] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        try checkRecurrent(config, inputShape: inputShape, layer: name)
        steps = inputShape[0]
        features = inputShape[1]
        let u = config.units
        kernel = Parameter(name: "kernel", value: Initializer.glorotUniform.make(shape: [features, 4 * u], generator: &generator))
        recurrentKernel = Parameter(name: "recurrent_kernel", value: Initializer.orthogonal.make(shape: [u, 4 * u], generator: &generator))
        var b = Tensor(zeros: [4 * u])
        for j in u..<(2 * u) { b[flat: j] = 1 }  // unit_forget_bias
        bias = Parameter(name: "bias", value: b)
        return config.returnSequences ? [steps, u] : [u]
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let kernel, let recurrentKernel, let bias else { throw NNError.notReady("layer '\(name)' is not built") }
        try checkInput(x, expected: [steps, features], layer: name)
        let batch = x.shape[0], t = steps, u = config.units, g4 = 4 * u
        gates.reuse(shape: [batch, t, g4])
        cells.reuse(shape: [batch, t, u])
        cellTanh.reuse(shape: [batch, t, u])
        states.reuse(shape: [batch, t, u])
        zeros.reuse(shape: [batch, u])
        zeros.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        x.withUnsafeBufferPointer { px in
            kernel.value.withUnsafeBufferPointer { pw in
                recurrentKernel.value.withUnsafeBufferPointer { pu in
                    bias.value.withUnsafeBufferPointer { pb in
                        gates.withUnsafeMutableBufferPointer { pz in
                            cells.withUnsafeMutableBufferPointer { pc in
                                cellTanh.withUnsafeMutableBufferPointer { pct in
                                    states.withUnsafeMutableBufferPointer { ph in
                                        zeros.withUnsafeBufferPointer { p0 in
                                            let z = pz.baseAddress!, c = pc.baseAddress!, ct = pct.baseAddress!, h = ph.baseAddress!
                                            // Input side of every gate, every step: one GEMM.
                                            Kernels.broadcastRows(pb.baseAddress!, rows: batch * t, columns: g4, into: z)
                                            BLAS.gemm(m: batch * t, n: g4, k: features, a: px.baseAddress!, lda: features,
                                                      b: pw.baseAddress!, ldb: g4, beta: 1, c: z, ldc: g4)
                                            for step in 0..<t {
                                                let previous = step == 0 ? p0.baseAddress! : UnsafePointer(h + (step - 1) * u)
                                                let previousStride = step == 0 ? u : t * u
                                                // z_t += h_{t-1} U (rows strided through the (B, T, ...) layout).
                                                BLAS.gemm(m: batch, n: g4, k: u, a: previous, lda: previousStride,
                                                          b: pu.baseAddress!, ldb: g4, beta: 1, c: z + step * g4, ldc: t * g4)
                                                for r in 0..<batch {
                                                    let zr = z + (r * t + step) * g4
                                                    let cr = c + (r * t + step) * u, ctr = ct + (r * t + step) * u, hr = h + (r * t + step) * u
                                                    let cPrev: UnsafePointer<Float>? = step == 0 ? nil : UnsafePointer(c + (r * t + step - 1) * u)
                                                    Kernels.lstmCell(gates: zr, previousCell: cPrev, cell: cr, cellTanh: ctr, state: hr, units: u)
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
        let batch = input.shape.first ?? 0, t = steps, u = config.units, g4 = 4 * u
        let expected = config.returnSequences ? [batch, t, u] : [batch, u]
        guard input.count > 0, outputGradient.shape == expected else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match output \(expected) (backward without a training forward?)")
        }
        defer { input = .empty }
        gateGradient.reuse(shape: [batch, t, g4])
        var dh = [Float](repeating: 0, count: batch * u), dc = [Float](repeating: 0, count: batch * u)
        recurrentKernel.gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        outputGradient.withUnsafeBufferPointer { pdy in
            gates.withUnsafeBufferPointer { pz in
                cells.withUnsafeBufferPointer { pc in
                    cellTanh.withUnsafeBufferPointer { pct in
                        states.withUnsafeBufferPointer { ph in
                            gateGradient.withUnsafeMutableBufferPointer { pdz in
                                recurrentKernel.value.withUnsafeBufferPointer { pu in
                                    recurrentKernel.gradient.withUnsafeMutableBufferPointer { pdu in
                                        let z = pz.baseAddress!, dz = pdz.baseAddress!
                                        for step in stride(from: t - 1, through: 0, by: -1) {
                                            for r in 0..<batch {
                                                let zr = z + (r * t + step) * g4, dzr = dz + (r * t + step) * g4
                                                let base = (r * t + step) * u
                                                for j in 0..<u {
                                                    var dhj = dh[r * u + j]
                                                    if config.returnSequences { dhj += pdy[base + j] }
                                                    else if step == t - 1 { dhj += pdy[r * u + j] }
                                                    let i = zr[j], f = zr[u + j], g = zr[2 * u + j], o = zr[3 * u + j]
                                                    let tc = pct[base + j]
                                                    let dcj = dc[r * u + j] + dhj * o * (1 - tc * tc)
                                                    let cPrev: Float = step == 0 ? 0 : pc[base - u + j]
                                                    dzr[j] = dcj * g * i * (1 - i)
                                                    dzr[u + j] = dcj * cPrev * f * (1 - f)
                                                    dzr[2 * u + j] = dcj * i * (1 - g * g)
                                                    dzr[3 * u + j] = dhj * tc * o * (1 - o)
                                                    dc[r * u + j] = dcj * f
                                                }
                                            }
                                            if step > 0 {
                                                // dU += h_{t-1}^T dZ_t ; dh_{t-1} = dZ_t U^T
                                                BLAS.gemm(transposeA: true, m: u, n: g4, k: batch, a: ph.baseAddress! + (step - 1) * u, lda: t * u,
                                                          b: dz + step * g4, ldb: t * g4, beta: 1, c: pdu.baseAddress!, ldc: g4)
                                                dh.withUnsafeMutableBufferPointer { pdh in
                                                    BLAS.gemm(transposeB: true, m: batch, n: u, k: g4, a: dz + step * g4, lda: t * g4,
                                                              b: pu.baseAddress!, ldb: g4, c: pdh.baseAddress!, ldc: u)
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
        // Kernel and bias gradients over all steps at once.
        gateGradient.withUnsafeBufferPointer { pdz in
            input.withUnsafeBufferPointer { px in
                kernel.gradient.withUnsafeMutableBufferPointer { pdw in
                    BLAS.gemm(transposeA: true, m: features, n: g4, k: batch * t, a: px.baseAddress!, lda: features,
                              b: pdz.baseAddress!, ldb: g4, c: pdw.baseAddress!, ldc: g4)
                }
            }
            bias.gradient.withUnsafeMutableBufferPointer { pdb in
                Kernels.columnSums(pdz.baseAddress!, rows: batch * t, columns: g4, into: pdb.baseAddress!)
            }
        }
        guard needsInputGradient else { return nil }
        inputGradient.reuse(shape: [batch, t, features])
        gateGradient.withUnsafeBufferPointer { pdz in
            kernel.value.withUnsafeBufferPointer { pw in
                inputGradient.withUnsafeMutableBufferPointer { pdx in
                    BLAS.gemm(transposeB: true, m: batch * t, n: features, k: g4, a: pdz.baseAddress!, lda: g4,
                              b: pw.baseAddress!, ldb: g4, c: pdx.baseAddress!, ldc: features)
                }
            }
        }
        return inputGradient
    }
}
