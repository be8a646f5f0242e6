import TunaTensor

/// How a convolution or pooling window treats the border, with Keras's names.
///
/// `same` pads like Keras (and TensorFlow): the output has `ceil(input / stride)` positions and
/// the padding total `max((out - 1) * stride + span - input, 0)` is split with the smaller half
/// before, so weights trained here and in Keras line up. `causal` (Conv1D only) pads
/// `span - 1` before, so step `t` sees only steps up to `t`.
public enum Padding: String, Hashable, Sendable, CaseIterable, Codable {
    case valid, same, causal

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let padding = Padding(rawValue: name.lowercased()) else {
            self = try decodingName(decoder) { () -> Padding in
                throw NNError.unknownName(kind: "padding", name: name, known: Padding.allCases.map(\.rawValue))
            }
            return
        }
        self = padding
    }
}

/// One spatial axis of a sliding window: where windows start and how many there are.
struct WindowAxis: Hashable, Sendable {
    var input: Int
    var kernel: Int
    var stride: Int
    var dilation: Int
    var padBefore: Int
    var output: Int

    /// The extent a dilated kernel covers.
    var span: Int { (kernel - 1) * dilation + 1 }

    /// An axis of extent 1 with a kernel of 1: how a sequence becomes an image of height 1.
    static let unit = WindowAxis(input: 1, kernel: 1, stride: 1, dilation: 1, padBefore: 0, output: 1)

    /// The axis for these settings, or nil when the (dilated) kernel does not fit the padded input.
    static func make(input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding) -> WindowAxis? {
        let span = (kernel - 1) * dilation + 1
        switch padding {
        case .valid:
            guard input >= span else { return nil }
            return WindowAxis(
                input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: 0,
                output: (input - span) / stride + 1)
        case .same:
            let output = (input + stride - 1) / stride
            let total = Swift.max((output - 1) * stride + span - input, 0)
            return WindowAxis(
                input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: total / 2, output: output)
        case .causal:
            return WindowAxis(
                input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: span - 1,
                output: (input - 1) / stride + 1)
        }
    }
}

/// The geometry of a 2-D window over channels-last images; 1-D layers use a height axis of
/// `WindowAxis.unit`, so one code path serves both.
struct WindowGeometry: Hashable, Sendable {
    var rows: WindowAxis
    var columns: WindowAxis
    var channels: Int

    var inputCount: Int { rows.input * columns.input * channels }
    var outputPositions: Int { rows.output * columns.output }
    /// The length of one im2col row: a whole receptive field, in kernel order (kh, kw, c).
    var patchLength: Int { rows.kernel * columns.kernel * channels }

    /// Builds the geometry or throws an error naming the layer, kernel and input.
    static func make(
        layer: String, what: String, input: (rows: Int, columns: Int), channels: Int, kernel: [Int], strides: [Int],
        dilation: [Int], padding: Padding, oneDimensional: Bool
    ) throws -> WindowGeometry {
        func describe(_ values: [Int]) -> String { values.map(String.init).joined(separator: "x") }
        let shown: ([Int]) -> [Int] = { oneDimensional ? [$0[1]] : $0 }
        let rows = oneDimensional
            ? WindowAxis.unit
            : WindowAxis.make(input: input.rows, kernel: kernel[0], stride: strides[0], dilation: dilation[0], padding: padding)
        let columns = WindowAxis.make(
            input: input.columns, kernel: kernel[1], stride: strides[1], dilation: dilation[1], padding: padding)
        guard let rows, let columns else {
            let spans = zip(kernel, dilation).map { ($0 - 1) * $1 + 1 }
            throw NNError.shapeMismatch(
                "layer '\(layer)': \(what) \(describe(shown(kernel)))"
                    + (dilation.allSatisfy { $0 == 1 } ? "" : " (dilation \(describe(shown(dilation))), spanning \(describe(shown(spans))))")
                    + " is larger than the input \(describe(shown([input.rows, input.columns]))) with padding '\(padding.rawValue)'")
        }
        return WindowGeometry(rows: rows, columns: columns, channels: channels)
    }

    /// Copies every receptive field of `batch` images into the rows of `cols`
    /// (`batch * outputPositions` rows of `patchLength`), with zeros where the window hangs over
    /// the padding, so that the convolution becomes one matrix product.
    func im2col(_ x: UnsafePointer<Float>, batch: Int, into cols: UnsafeMutablePointer<Float>) {
        let c = channels, h = rows.input, w = columns.input
        let kh = rows.kernel, kw = columns.kernel, dh = rows.dilation, dw = columns.dilation
        let rowRun = kw * c
        var dst = cols
        for b in 0..<batch {
            let image = x + b * h * w * c
            for oy in 0..<rows.output {
                let y0 = oy * rows.stride - rows.padBefore
                for ox in 0..<columns.output {
                    let x0 = ox * columns.stride - columns.padBefore
                    for ky in 0..<kh {
                        let iy = y0 + ky * dh
                        if iy < 0 || iy >= h {
                            dst.update(repeating: 0, count: rowRun)
                            dst += rowRun
                            continue
                        }
                        let line = image + iy * w * c
                        if dw == 1 && x0 >= 0 && x0 + kw <= w {
                            // The common case: the kernel row is one contiguous run of the image row.
                            // Short runs (few channels) are copied inline: a memmove call per
                            // 3-float run costs more than the copy.
                            let source = line + x0 * c
                            if rowRun <= 16 {
                                for k in 0..<rowRun { dst[k] = source[k] }
                            } else {
                                dst.update(from: source, count: rowRun)
                            }
                            dst += rowRun
                            continue
                        }
                        for kx in 0..<kw {
                            let ix = x0 + kx * dw
                            if ix < 0 || ix >= w {
                                dst.update(repeating: 0, count: c)
                            } else {
                                dst.update(from: line + ix * c, count: c)
                            }
                            dst += c
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every patch gradient back onto the image positions it was
    /// read from (overwriting `dx`, which it zeroes first). Overlapping windows accumulate.
    func col2im(_ cols: UnsafePointer<Float>, batch: Int, into dx: UnsafeMutablePointer<Float>) {
        let c = channels, h = rows.input, w = columns.input
        let kh = rows.kernel, kw = columns.kernel, dh = rows.dilation, dw = columns.dilation
        dx.update(repeating: 0, count: batch * inputCount)
        var src = cols
        for b in 0..<batch {
            let image = dx + b * h * w * c
            for oy in 0..<rows.output {
                let y0 = oy * rows.stride - rows.padBefore
                for ox in 0..<columns.output {
                    let x0 = ox * columns.stride - columns.padBefore
                    for ky in 0..<kh {
                        let iy = y0 + ky * dh
                        if iy < 0 || iy >= h {
                            src += kw * c
                            continue
                        }
                        let line = image + iy * w * c
                        for kx in 0..<kw {
                            let ix = x0 + kx * dw
                            if ix >= 0 && ix < w {
                                let target = line + ix * c
                                for k in 0..<c { target[k] += src[k] }
                            }
                            src += c
                        }
                    }
                }
            }
        }
    }
}

/// Checks the settings shared by convolution and pooling windows: every extent positive.
func checkWindowSettings(layer: String, _ settings: [(String, [Int])]) throws {
    for (label, values) in settings where values.contains(where: { $0 <= 0 }) {
        throw NNError.invalidArgument("layer '\(layer)': \(label) must be positive, got \(values)")
    }
}

/// Checks the input shape a windowed layer is built for: the rank it needs and no empty axis.
func checkWindowInput(_ inputShape: [Int], rank: Int, layer: String) throws {
    let expected = rank == 3 ? "images of shape (height, width, channels)" : "sequences of shape (steps, channels)"
    guard inputShape.count == rank else {
        throw NNError.shapeMismatch(
            "layer '\(layer)' expects \(expected) per sample, got input shape \(inputShape) (rank \(inputShape.count))")
    }
    guard inputShape.allSatisfy({ $0 > 0 }) else {
        throw NNError.shapeMismatch(
            "layer '\(layer)' got input shape \(inputShape) with an empty axis; it expects \(expected) with at least one element on each axis")
    }
}

/// Checks a batch against the shape a windowed layer was built for, naming a channel mismatch
/// separately because it is the usual mistake (grey images into a colour model).
func checkWindowBatch(_ x: Tensor, expected: [Int], layer: String) throws {
    if x.rank == expected.count + 1, let channels = x.shape.last, let built = expected.last,
       Array(x.shape.dropFirst().dropLast()) == Array(expected.dropLast()), channels != built {
        throw NNError.shapeMismatch(
            "layer '\(layer)' was built for \(built) channels (input (batch, \(expected.map(String.init).joined(separator: ", ")))), got \(channels) channels in input of shape \(x.shape)")
    }
    try checkInput(x, expected: expected, layer: layer)
}

/// The convolution engine shared by Conv1D and Conv2D: im2col over the whole batch, one GEMM
/// against the kernel viewed as `(kh * kw * in, filters)`, bias and activation; backward is
/// `dW = colsᵀ dZ`, `db = Σ dZ`, `dCols = dZ Wᵀ` and col2im. All buffers live here and are
/// reused from step to step. Backward needs the patches of the training forward (not the input
/// itself); an inference forward in between overwrites them, so backward then throws instead of
/// using the wrong ones (the pooling engines behave the same way).
final class ConvolutionEngine {
    var geometry: WindowGeometry?
    var inputShape: [Int] = []
    var outputShape: [Int] = []
    var kernel: Parameter?
    var bias: Parameter?
    let activation: Activation
    let filters: Int

    /// Each kernel weight is used once per output position.
    var flopsPerSample: Int {
        let positions = outputShape.reduce(1, *) / max(filters, 1)
        return 2 * positions * (kernel?.value.count ?? 0)
    }

    private var cols = Tensor.empty
    private var hasTrainingCols = false
    private var preActivation = Tensor.empty
    private var output = Tensor.empty
    private var scratch = Tensor.empty
    private var colsGradient = Tensor.empty
    private var inputGradient = Tensor.empty

    init(filters: Int, activation: Activation) {
        self.filters = filters
        self.activation = activation
    }

    func forward(_ x: Tensor, training: Bool, layer: String) throws -> Tensor {
        guard let kernel, let geometry else { throw NNError.notReady("layer '\(layer)' is not built") }
        try checkWindowBatch(x, expected: inputShape, layer: layer)
        let batch = x.shape[0]
        let rows = batch * geometry.outputPositions, patch = geometry.patchLength, units = filters
        cols.reuse(shape: [rows, patch])
        preActivation.reuse(shape: [batch] + outputShape)
        x.withUnsafeBufferPointer { px in
            cols.withUnsafeMutableBufferPointer { pc in
                guard let source = px.baseAddress, let target = pc.baseAddress else { return }
                geometry.im2col(source, batch: batch, into: target)
            }
        }
        cols.withUnsafeBufferPointer { pc in
            kernel.value.withUnsafeBufferPointer { pw in
                preActivation.withUnsafeMutableBufferPointer { pz in
                    guard let z = pz.baseAddress, let a = pc.baseAddress, let w = pw.baseAddress else { return }
                    if let bias {
                        bias.value.withUnsafeBufferPointer { pb in
                            if let b = pb.baseAddress { VectorLoops.broadcastRows(b, rows: rows, columns: units, into: z) }
                        }
                    }
                    BLAS.gemm(
                        m: rows, n: units, k: patch, a: a, lda: patch, b: w, ldb: units,
                        beta: bias == nil ? 0 : 1, c: z, ldc: units)
                }
            }
        }
        hasTrainingCols = training
        if case .linear = activation { return preActivation }
        output.reuse(shape: preActivation.shape)
        preActivation.withUnsafeBufferPointer { pz in
            output.withUnsafeMutableBufferPointer { py in
                guard let z = pz.baseAddress, let y = py.baseAddress else { return }
                activation.apply(z, y, count: pz.count, rowLength: units)
            }
        }
        return output
    }

    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor? {
        if case .linear = activation {
            return try backward(preActivationGradient: outputGradient, needsInputGradient: needsInputGradient, layer: layer)
        }
        guard outputGradient.shape == output.shape else {
            throw NNError.shapeMismatch("layer '\(layer)': gradient \(outputGradient.shape) does not match output \(output.shape)")
        }
        scratch.reuse(shape: outputGradient.shape)
        preActivation.withUnsafeBufferPointer { pz in
            output.withUnsafeBufferPointer { py in
                outputGradient.withUnsafeBufferPointer { pdy in
                    scratch.withUnsafeMutableBufferPointer { pdz in
                        guard let z = pz.baseAddress, let y = py.baseAddress, let dy = pdy.baseAddress,
                              let dz = pdz.baseAddress else { return }
                        activation.gradient(z: z, y: y, dy: dy, dz: dz, count: pdz.count, rowLength: filters)
                    }
                }
            }
        }
        return try backward(preActivationGradient: scratch, needsInputGradient: needsInputGradient, layer: layer)
    }

    func backward(preActivationGradient dz: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor? {
        guard let kernel, let geometry else { throw NNError.notReady("layer '\(layer)' is not built") }
        guard hasTrainingCols, dz.shape == preActivation.shape else {
            throw NNError.shapeMismatch(
                "layer '\(layer)': gradient \(dz.shape) does not match output \(preActivation.shape) (backward without a training forward?)")
        }
        hasTrainingCols = false
        let batch = dz.shape[0]
        let rows = batch * geometry.outputPositions, patch = geometry.patchLength, units = filters
        dz.withUnsafeBufferPointer { pdz in
            guard let d = pdz.baseAddress else { return }
            cols.withUnsafeBufferPointer { pc in
                kernel.gradient.withUnsafeMutableBufferPointer { pdw in
                    guard let a = pc.baseAddress, let dw = pdw.baseAddress else { return }
                    BLAS.gemm(
                        transposeA: true, m: patch, n: units, k: rows, a: a, lda: patch,
                        b: d, ldb: units, c: dw, ldc: units)
                }
            }
            if let bias {
                bias.gradient.withUnsafeMutableBufferPointer { pdb in
                    if let db = pdb.baseAddress { VectorLoops.columnSums(d, rows: rows, columns: units, into: db) }
                }
            }
        }
        guard needsInputGradient else { return nil }
        colsGradient.reuse(shape: [rows, patch])
        dz.withUnsafeBufferPointer { pdz in
            kernel.value.withUnsafeBufferPointer { pw in
                colsGradient.withUnsafeMutableBufferPointer { pdc in
                    guard let d = pdz.baseAddress, let w = pw.baseAddress, let dc = pdc.baseAddress else { return }
                    BLAS.gemm(
                        transposeB: true, m: rows, n: patch, k: units, a: d, lda: units,
                        b: w, ldb: units, c: dc, ldc: patch)
                }
            }
        }
        inputGradient.reuse(shape: [batch] + inputShape)
        colsGradient.withUnsafeBufferPointer { pdc in
            inputGradient.withUnsafeMutableBufferPointer { pdx in
                guard let dc = pdc.baseAddress, let dx = pdx.baseAddress else { return }
                geometry.col2im(dc, batch: batch, into: dx)
            }
        }
        return inputGradient
    }
}
