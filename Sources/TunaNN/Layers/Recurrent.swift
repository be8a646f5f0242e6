#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Checks a recurrent layer's settings and input shape `(steps, features)`.
func checkRecurrent(_ config: RecurrentConfig, inputShape: [Int], layer: String) throws {
    guard config.units > 0 else { throw NNError.invalidArgument("layer '\(layer)': units must be positive, got \(config.units)") }
    guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
        throw NNError.shapeMismatch("layer '\(layer)' needs sequences (steps, features) with at least one step, got \(inputShape)")
    }
    for (key, rate) in [("dropout", config.dropout), ("recurrent_dropout", config.recurrentDropout)] where !(rate >= 0 && rate < 1) {
        throw NNError.invalidArgument("layer '\(layer)': \(key) must be in [0, 1), got \(rate)")
    }
    for activation in [config.activation, config.recurrentActivation] where !activation.derivativeFollowsOutput {
        throw NNError.invalidArgument(
            "layer '\(layer)': activation '\(activation.name)' is not supported in a recurrent layer (use tanh, sigmoid, relu, leaky_relu, elu, softplus or linear)")
    }
}

/// What SimpleRNN, LSTM and GRU share: the settings, the weights and the sequence driver;
/// each subclass only says which cell runs.
public class RecurrentLayer: Layer {
    public let config: RecurrentConfig
    public var name: String
    let sequence: any RecurrentRunning
    private let makeSpec: @Sendable (RecurrentConfig) -> LayerSpec

    init<Kind: RecurrentLayerKind, Cell: RecurrentCell>(_ config: RecurrentConfig, kind: Kind.Type, cell: Cell) {
        self.config = config
        self.name = config.name ?? Kind.kind
        self.sequence = RecurrentSequence(cell: cell, config: config)
        self.makeSpec = { RecurrentSettings<Kind>($0).spec }
    }

    public var spec: LayerSpec { makeSpec(config) }
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

/// `RecurrentSequence` whatever its cell, for `RecurrentLayer`.
protocol RecurrentRunning: AnyObject {
    var kernel: Parameter? { get }
    var recurrentKernel: Parameter? { get }
    var bias: Parameter? { get }
    var parameters: [Parameter] { get }
    var flopsPerSample: Int { get }
    var freezesDropoutMasks: Bool { get set }
    func build(inputShape: [Int], generator: inout SeededGenerator, layer: String) throws -> [Int]
    func forward(_ x: Tensor, mask: SequenceMask?, training: Bool, layer: String) throws -> Tensor
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor?
    func outputMask(_ inputMask: SequenceMask?) -> SequenceMask?
}

/// The arithmetic of one step of one recurrent cell for one sample; `RecurrentSequence` runs
/// it over time and the batch and does the matrix products around it.
protocol RecurrentCell {
    var units: Int { get }
    /// Blocks of `units` columns in the kernels: SimpleRNN 1, GRU 3, LSTM 4.
    var gateCount: Int { get }
    /// Values per sample and step the backward pass needs besides the gates and the state
    /// (the LSTM's cell and its activation, the GRU candidate's recurrent part).
    var savedWidth: Int { get }
    /// Gradient carried from step to step besides the state's (the LSTM's cell).
    var carryWidth: Int { get }
    /// The GRU multiplies part of the recurrent product by the reset gate, so that product (with
    /// its own bias) is kept apart instead of being added to the input side of the gates.
    var keepsRecurrentApart: Bool { get }
    /// The bias at initialisation from `initialized` (the bias initializer's draw): the LSTM
    /// adds 1 to its forget gate, the GRU's is (2, 3·units).
    func initialBias(_ initialized: Tensor, unitForgetBias: Bool) -> Tensor
    /// The bias's shape.
    var biasShape: [Int] { get }

    /// Turns the gates' pre-activations `z` (input side, plus the recurrent product unless it
    /// is kept apart in `recurrent`) into activations in place and writes `saved` and `state`.
    /// `previousState`/`previousSaved` are nil at the first step (a zero state).
    func forward(
        gates z: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>?,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        saved: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>)

    /// From `stateGradient` (the loss's gradient with respect to this step's state; the cell
    /// may overwrite it) and `carry`, writes the gradient of the gates' pre-activations `dz`,
    /// of the kept-apart recurrent product (when there is one), the part of the previous
    /// state's gradient that does not go through the recurrent kernel, and the new carry.
    func backward(
        gates z: UnsafePointer<Float>, saved: UnsafePointer<Float>,
        previousState: UnsafePointer<Float>?, previousSaved: UnsafePointer<Float>?,
        stateGradient dh: UnsafeMutablePointer<Float>, carry: UnsafeMutablePointer<Float>,
        gateGradient dz: UnsafeMutablePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>?,
        previousStateGradient: UnsafeMutablePointer<Float>)
}

/// A cell with gates (LSTM, GRU), made from the layer's settings the same way.
protocol GatedCell: RecurrentCell {
    init(units: Int, activation: Activation, recurrentActivation: Activation, isDefault: Bool)
}

extension GatedCell {
    /// `isDefault`: Keras's default activations run through one vectorised C kernel, decided
    /// once here rather than at every step.
    init(_ config: RecurrentConfig, fused: Bool = true) {
        self.init(
            units: config.units, activation: config.activation, recurrentActivation: config.recurrentActivation,
            isDefault: fused && config.activation == .tanh && config.recurrentActivation == .sigmoid)
    }
}

/// Runs a recurrent cell over `(batch, steps, features)` sequences: the input side of every
/// gate for all steps is one GEMM, the recurrent product one GEMM per step; masked (padded)
/// steps carry the state over; dropout masks are drawn once per sequence, as Keras does.
/// Backward is backpropagation through time with whole-sequence GEMMs for the kernel and the
/// input gradient.
final class RecurrentSequence<Cell: RecurrentCell>: RecurrentRunning {
    let cell: Cell
    let config: RecurrentConfig
    private(set) var steps = 0
    private(set) var features = 0
    private(set) var kernel: Parameter?
    private(set) var recurrentKernel: Parameter?
    private(set) var bias: Parameter?
    private var generator = SeededGenerator(seed: 0)

    // Kept by a training forward pass for backward. Gates are in input-step order (like x),
    // states and saved values in processing order (reversed when going backwards).
    private var input = Tensor.empty          // x, or x with its dropout mask applied
    private var droppedInput = Tensor.empty
    private var hasTrainingPass = false
    private var batch = 0
    private var mask: SequenceMask?
    private var applyDropout = false, applyRecurrentDropout = false
    private let gates = ScratchBuffer()       // (B, T, G·U)
    private let saved = ScratchBuffer()       // (B, T, savedWidth)
    private var states = Tensor.empty         // (B, T, U)
    private let droppedStates = ScratchBuffer() // states ⊙ recurrent dropout mask (B, T, U)
    private let recurrentSide = ScratchBuffer() // kept-apart recurrent product of one step (B, G·U)
    private var inputMask: [Float] = []        // (B, F)
    private var recurrentMask: [Float] = []    // (B, U)
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private let gateGradient = ScratchBuffer()
    private let scratch = ScratchBuffer()

    init(cell: Cell, config: RecurrentConfig) {
        self.cell = cell
        self.config = config
    }

    var parameters: [Parameter] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    /// Every weight is used once per step.
    var flopsPerSample: Int { 2 * steps * (features + config.units) * cell.gateCount * config.units }

    var outputShape: [Int] { config.returnSequences ? [steps, config.units] : [config.units] }

    /// Creates the weights with the configured initializers (Keras's defaults: glorot-uniform
    /// kernel, orthogonal recurrent kernel, zero bias) and returns the output shape.
    func build(inputShape: [Int], generator: inout SeededGenerator, layer: String) throws -> [Int] {
        try checkRecurrent(config, inputShape: inputShape, layer: layer)
        steps = inputShape[0]
        features = inputShape[1]
        let width = cell.gateCount * config.units
        kernel = Parameter(name: "kernel", value: config.kernelInitializer.make(shape: [features, width], generator: &generator))
        recurrentKernel = Parameter(
            name: "recurrent_kernel", value: config.recurrentInitializer.make(shape: [config.units, width], generator: &generator))
        bias = Parameter(
            name: "bias", value: cell.initialBias(config.biasInitializer.make(shape: cell.biasShape, generator: &generator), unitForgetBias: config.unitForgetBias))
        self.generator = config.seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        return outputShape
    }

    /// The processing step's position in the input sequence.
    @inline(__always)
    private func inputStep(_ step: Int) -> Int { config.goBackwards ? steps - 1 - step : step }

    /// The mask of a sequence-returning layer's output (in processing order).
    func outputMask(_ inputMask: SequenceMask?) -> SequenceMask? {
        guard config.returnSequences, let inputMask else { return nil }
        guard config.goBackwards else { return inputMask }
        var values = inputMask.values
        for r in 0..<inputMask.batch {
            for s in 0..<inputMask.steps { values[r * inputMask.steps + s] = inputMask.isReal(r, inputMask.steps - 1 - s) }
        }
        return SequenceMask(batch: inputMask.batch, steps: inputMask.steps, values: values)
    }

    /// Tests set this to draw the dropout masks once and reuse them, so that finite
    /// differences see the same network on every forward pass.
    var freezesDropoutMasks = false

    private func dropoutMask(_ current: [Float], count: Int, rate: Float) -> [Float] {
        if freezesDropoutMasks && current.count == count { return current }
        let keep = 1 - rate, scale = 1 / keep
        return (0..<count).map { _ in generator.nextFloat() < keep ? scale : 0 }
    }

    func forward(_ x: Tensor, mask: SequenceMask?, training: Bool, layer: String) throws -> Tensor {
        guard let kernel, let recurrentKernel, let bias else { throw NNError.notReady("layer '\(layer)' is not built") }
        try checkInput(x, expected: [steps, features], layer: layer)
        let batch = x.shape[0], t = steps, u = config.units, width = cell.gateCount * u
        if let mask, mask.batch != batch || mask.steps != t {
            throw NNError.shapeMismatch("layer '\(layer)': the padding mask is (\(mask.batch), \(mask.steps)) for input \(x.shape)")
        }
        let dropInput = training && config.dropout > 0
        let dropRecurrent = training && config.recurrentDropout > 0
        var source = x
        if dropInput {
            let f = features
            inputMask = dropoutMask(inputMask, count: batch * f, rate: config.dropout)
            droppedInput.reuse(shape: x.shape)
            x.withUnsafeBufferPointer { px in
                droppedInput.withUnsafeMutableBufferPointer { pd in
                    inputMask.withUnsafeBufferPointer { m in
                        for r in 0..<batch {
                            for s in 0..<t {
                                let base = (r * t + s) * f
                                for j in 0..<f { pd[base + j] = px[base + j] * m[r * f + j] }
                            }
                        }
                    }
                }
            }
            source = droppedInput
        }
        if dropRecurrent { recurrentMask = dropoutMask(recurrentMask, count: batch * u, rate: config.recurrentDropout) }

        let z = gates.reserve(batch * t * width)
        let savedWidth = cell.savedWidth
        let kept = saved.reserve(Swift.max(batch * t * savedWidth, 1))
        let dropped = droppedStates.reserve(dropRecurrent ? batch * t * u : 1)
        let apart = cell.keepsRecurrentApart
        let rec = recurrentSide.reserve(apart ? batch * width : 1)
        states.reuse(shape: [batch, t, u])
        source.withUnsafeBufferPointer { px in
            kernel.value.withUnsafeBufferPointer { pw in
                recurrentKernel.value.withUnsafeBufferPointer { pu in
                    bias.value.withUnsafeBufferPointer { pb in
                        states.withUnsafeMutableBufferPointer { ph in
                            let h = ph.baseAddress!, b = pb.baseAddress!
                            // Input side of every gate, every step: one GEMM.
                            VectorLoops.broadcastRows(b, rows: batch * t, columns: width, into: z)
                            BLAS.gemm(m: batch * t, n: width, k: features, a: px.baseAddress!, lda: features,
                                      b: pw.baseAddress!, ldb: width, beta: 1, c: z, ldc: width)
                            for step in 0..<t {
                                let i = inputStep(step)
                                if apart { VectorLoops.broadcastRows(b + width, rows: batch, columns: width, into: rec) }
                                if step > 0 {
                                    // The recurrent product of the previous state (rows strided through (B, T, U)).
                                    let previous = UnsafePointer((dropRecurrent ? dropped : h) + (step - 1) * u)
                                    BLAS.gemm(m: batch, n: width, k: u, a: previous, lda: t * u, b: pu.baseAddress!, ldb: width,
                                              beta: 1, c: apart ? rec : z + i * width, ldc: apart ? width : t * width)
                                }
                                for r in 0..<batch {
                                    let state = h + (r * t + step) * u, keep = kept + (r * t + step) * savedWidth
                                    let previousState: UnsafePointer<Float>? = step == 0 ? nil : UnsafePointer(state - u)
                                    let previousSaved: UnsafePointer<Float>? = step == 0 ? nil : UnsafePointer(keep - savedWidth)
                                    if let mask, !mask.isReal(r, i) {
                                        // Padding: the state (and the LSTM's cell) carry over.
                                        if let previousState { state.update(from: previousState, count: u) } else { state.update(repeating: 0, count: u) }
                                        if let previousSaved { keep.update(from: previousSaved, count: savedWidth) } else { keep.update(repeating: 0, count: savedWidth) }
                                    } else {
                                        cell.forward(
                                            gates: z + (r * t + i) * width, recurrent: apart ? UnsafePointer(rec + r * width) : nil,
                                            previousState: previousState, previousSaved: previousSaved, saved: keep, state: state)
                                    }
                                    if dropRecurrent {
                                        let d = dropped + (r * t + step) * u
                                        recurrentMask.withUnsafeBufferPointer { m in
                                            for j in 0..<u { d[j] = state[j] * m[r * u + j] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            input = source
            self.batch = batch
            self.mask = mask
            applyDropout = dropInput
            applyRecurrentDropout = dropRecurrent
            hasTrainingPass = true
        } else {
            // The buffers now hold this pass: a backward for the earlier training pass would be wrong.
            hasTrainingPass = false
        }
        if config.returnSequences { return states }
        output.reuse(shape: [batch, u])
        states.withUnsafeBufferPointer { ph in
            output.withUnsafeMutableBufferPointer { po in
                for r in 0..<batch { (po.baseAddress! + r * u).update(from: ph.baseAddress! + (r * t + t - 1) * u, count: u) }
            }
        }
        return output
    }

    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor? {
        guard let kernel, let recurrentKernel, let bias else { throw NNError.notReady("layer '\(layer)' is not built") }
        let batch = self.batch, t = steps, u = config.units, width = cell.gateCount * u
        let expected = config.returnSequences ? [batch, t, u] : [batch, u]
        guard hasTrainingPass, outputGradient.shape == expected else {
            throw NNError.shapeMismatch(
                "layer '\(layer)': gradient \(outputGradient.shape) does not match output \(expected) (backward without a training forward?)")
        }
        defer { hasTrainingPass = false; input = .empty }
        let apart = cell.keepsRecurrentApart, savedWidth = cell.savedWidth, carryWidth = cell.carryWidth
        let z = UnsafePointer(gates.pointer), kept = UnsafePointer(saved.pointer), dropped = UnsafePointer(droppedStates.pointer)
        let dz = gateGradient.zeroed(batch * t * width)
        // Scratch: dh carried per row, the cell's carry, one row's dh, the recurrent side's gradient, a (B, U) product.
        let work = scratch.zeroed(batch * u + batch * carryWidth + u + batch * width + batch * u + width)
        let dhCarry = work, carry = work + batch * u, dhRow = carry + batch * carryWidth
        let dRecurrent = dhRow + u, product = dRecurrent + batch * width, recurrentBiasGradient = product + batch * u
        let returnSequences = config.returnSequences, mask = self.mask, dropRecurrent = applyRecurrentDropout
        recurrentKernel.gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        outputGradient.withUnsafeBufferPointer { pdy in
            states.withUnsafeBufferPointer { ph in
                recurrentKernel.value.withUnsafeBufferPointer { pu in
                    recurrentKernel.gradient.withUnsafeMutableBufferPointer { pdu in
                        let h = ph.baseAddress!, dy = pdy.baseAddress!
                        for step in stride(from: t - 1, through: 0, by: -1) {
                            let i = inputStep(step)
                            for r in 0..<batch {
                                let rowCarry = dhCarry + r * u
                                if returnSequences {
                                    let g = dy + (r * t + step) * u
                                    for j in 0..<u { dhRow[j] = rowCarry[j] + g[j] }
                                } else if step == t - 1 {
                                    let g = dy + r * u
                                    for j in 0..<u { dhRow[j] = rowCarry[j] + g[j] }
                                } else {
                                    dhRow.update(from: rowCarry, count: u)
                                }
                                let rowGates = dz + (r * t + i) * width
                                if let mask, !mask.isReal(r, i) {
                                    // Padding passed the state through: so does its gradient.
                                    rowCarry.update(from: dhRow, count: u)
                                    if apart { (dRecurrent + r * width).update(repeating: 0, count: width) }
                                    continue
                                }
                                let state = h + (r * t + step) * u, keep = kept + (r * t + step) * savedWidth
                                cell.backward(
                                    gates: z + (r * t + i) * width, saved: keep,
                                    previousState: step == 0 ? nil : state - u, previousSaved: step == 0 ? nil : keep - savedWidth,
                                    stateGradient: dhRow, carry: carry + r * carryWidth, gateGradient: rowGates,
                                    recurrentGradient: apart ? dRecurrent + r * width : nil, previousStateGradient: rowCarry)
                            }
                            // The gradient of this step's recurrent product, rows strided as in forward.
                            let recurrentRows = UnsafePointer(apart ? dRecurrent : dz + i * width)
                            let recurrentStride = apart ? width : t * width
                            if apart {
                                for r in 0..<batch {
                                    let row = recurrentRows + r * recurrentStride
                                    for j in 0..<width { recurrentBiasGradient[j] += row[j] }
                                }
                            }
                            guard step > 0 else { continue }
                            // dU += h_{t-1}ᵀ dR ;  dh_{t-1} += dR Uᵀ (through the recurrent dropout mask).
                            let previous = (dropRecurrent ? dropped : h) + (step - 1) * u
                            BLAS.gemm(transposeA: true, m: u, n: width, k: batch, a: previous, lda: t * u,
                                      b: recurrentRows, ldb: recurrentStride, beta: 1, c: pdu.baseAddress!, ldc: width)
                            if dropRecurrent {
                                BLAS.gemm(transposeB: true, m: batch, n: u, k: width, a: recurrentRows, lda: recurrentStride,
                                          b: pu.baseAddress!, ldb: width, c: product, ldc: u)
                                recurrentMask.withUnsafeBufferPointer { m in
                                    for k in 0..<(batch * u) { dhCarry[k] += product[k] * m[k] }
                                }
                            } else {
                                BLAS.gemm(transposeB: true, m: batch, n: u, k: width, a: recurrentRows, lda: recurrentStride,
                                          b: pu.baseAddress!, ldb: width, beta: 1, c: dhCarry, ldc: u)
                            }
                        }
                    }
                }
            }
        }
        // Kernel and bias gradients over all steps at once.
        input.withUnsafeBufferPointer { px in
            kernel.gradient.withUnsafeMutableBufferPointer { pdw in
                BLAS.gemm(transposeA: true, m: features, n: width, k: batch * t, a: px.baseAddress!, lda: features,
                          b: dz, ldb: width, c: pdw.baseAddress!, ldc: width)
            }
        }
        bias.gradient.withUnsafeMutableBufferPointer { pdb in
            VectorLoops.columnSums(dz, rows: batch * t, columns: width, into: pdb.baseAddress!)
            if apart { (pdb.baseAddress! + width).update(from: recurrentBiasGradient, count: width) }
        }
        guard needsInputGradient else { return nil }
        inputGradient.reuse(shape: [batch, t, features])
        kernel.value.withUnsafeBufferPointer { pw in
            inputGradient.withUnsafeMutableBufferPointer { pdx in
                BLAS.gemm(transposeB: true, m: batch * t, n: features, k: width, a: dz, lda: width,
                          b: pw.baseAddress!, ldb: width, c: pdx.baseAddress!, ldc: features)
                if applyDropout {
                    let f = features
                    inputMask.withUnsafeBufferPointer { m in
                        for r in 0..<batch {
                            for s in 0..<t {
                                let row = pdx.baseAddress! + (r * t + s) * f
                                for j in 0..<f { row[j] *= m[r * f + j] }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}

extension Activation {
    /// Whether `f'(z)` can be computed from `y = f(z)` alone: recurrent cells keep only their
    /// activations for backward, so they take these activations.
    var derivativeFollowsOutput: Bool {
        switch self {
        case .linear, .relu, .leakyReLU, .elu, .sigmoid, .tanh, .softplus: true
        case .softmax, .swish, .gelu: false
        }
    }

    /// `y = f(z)` in place or not, with the fast rational tanh and sigmoid.
    @inline(__always)
    func applyFast(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh: VectorLoops.tanh(z, y, count: count)
        case .sigmoid: VectorLoops.sigmoid(z, y, count: count)
        default: apply(z, y, count: count, rowLength: count)
        }
    }

    /// `d *= f'(z)` computed from the output `y` (see `derivativeFollowsOutput`).
    @inline(__always)
    func scaleByDerivative(output y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh: for j in 0..<count { d[j] *= 1 - y[j] * y[j] }
        case .sigmoid: for j in 0..<count { d[j] *= y[j] * (1 - y[j]) }
        case .linear: break
        case .relu: for j in 0..<count where y[j] <= 0 { d[j] = 0 }
        case .leakyReLU(let alpha): for j in 0..<count where y[j] <= 0 { d[j] *= alpha }
        case .elu(let alpha): for j in 0..<count where y[j] <= 0 { d[j] *= y[j] + alpha }
        case .softplus: for j in 0..<count { d[j] *= 1 - expf(-y[j]) }
        case .softmax, .swish, .gelu: break  // refused by checkRecurrent
        }
    }
}
