import TunaTensor

/// One spatial axis of a sliding window: where windows start and how many there are. Public
/// so that exporters (ONNX's explicit pads) place windows exactly as the engine does.
public struct WindowAxis: Hashable, Sendable {
    public var input: Int
    public var kernel: Int
    public var stride: Int
    public var dilation: Int
    public var padBefore: Int
    public var output: Int

    /// The extent a dilated kernel covers.
    public var span: Int { (kernel - 1) * dilation + 1 }

    /// An axis of extent 1 with a kernel of 1: how a sequence becomes an image of height 1.
    static let unit = WindowAxis(input: 1, kernel: 1, stride: 1, dilation: 1, padBefore: 0, output: 1)

    /// The axis for these settings, or nil when the (dilated) kernel does not fit the padded input.
    public static func make(input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding) -> WindowAxis? {
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

    /// Walks the kernel rows of every receptive field of `batch` images in im2col's row order,
    /// giving the offset of the input row a kernel row reads (nil where it lies in the padding)
    /// and the window's first column (negative in the padding), so that im2col and its adjoint
    /// visit the same places in the same order.
    @inline(__always)
    private func forEachKernelRow(batch: Int, _ body: (_ line: Int?, _ x0: Int) -> Void) {
        let c = channels, h = rows.input, w = columns.input
        for b in 0..<batch {
            for oy in 0..<rows.output {
                let y0 = oy * rows.stride - rows.padBefore
                for ox in 0..<columns.output {
                    let x0 = ox * columns.stride - columns.padBefore
                    for ky in 0..<rows.kernel {
                        let iy = y0 + ky * rows.dilation
                        body(iy < 0 || iy >= h ? nil : ((b * h + iy) * w) * c, x0)
                    }
                }
            }
        }
    }

    /// Copies every receptive field of `batch` images into the rows of `cols`
    /// (`batch * outputPositions` rows of `patchLength`), with zeros where the window hangs over
    /// the padding, so that the convolution becomes one matrix product.
    func im2col(_ x: UnsafePointer<Float>, batch: Int, into cols: UnsafeMutablePointer<Float>) {
        let c = channels, w = columns.input
        let kw = columns.kernel, dw = columns.dilation
        let rowRun = kw * c
        var dst = cols
        forEachKernelRow(batch: batch) { offset, x0 in
            guard let offset else {
                dst.update(repeating: 0, count: rowRun)
                dst += rowRun
                return
            }
            let line = x + offset
            if dw == 1 && x0 >= 0 && x0 + kw <= w {
                // The common case: the kernel row is one contiguous run of the image row.
                // Short runs (few channels) are copied inline: a memmove call per 3-float run
                // costs more than the copy.
                let source = line + x0 * c
                if rowRun <= 16 {
                    for k in 0..<rowRun { dst[k] = source[k] }
                } else {
                    dst.update(from: source, count: rowRun)
                }
                dst += rowRun
                return
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

    /// The adjoint of `im2col`: adds every patch gradient back onto the image positions it was
    /// read from (overwriting `dx`, which it zeroes first). Overlapping windows accumulate.
    func col2im(_ cols: UnsafePointer<Float>, batch: Int, into dx: UnsafeMutablePointer<Float>) {
        let c = channels, w = columns.input
        let kw = columns.kernel, dw = columns.dilation
        dx.update(repeating: 0, count: batch * inputCount)
        var src = cols
        forEachKernelRow(batch: batch) { offset, x0 in
            guard let offset else {
                src += kw * c
                return
            }
            let line = dx + offset
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
