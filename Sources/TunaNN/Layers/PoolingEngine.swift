import TunaTensor

/// The pooling engine shared by the four windowed pooling layers: a direct loop over windows
/// (no im2col: there is no arithmetic for a GEMM to win), channels innermost so each window
/// position is one contiguous run. Max pooling remembers the winning input index of each output
/// for backward; average pooling divides by the number of real (unpadded) elements in the
/// window, as Keras's `same` padding does.
final class PoolingEngine {
    let kind: PoolingOperation
    var geometry: WindowGeometry?
    var inputShape: [Int] = []
    var outputShape: [Int] = []

    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    /// The winning input index (within its sample) of each max-pooling output.
    private var winners: [Int32] = []
    private var trainingBatch: Int?

    init(kind: PoolingOperation) { self.kind = kind }

    /// Builds for `inputShape` (rank 3 for images, 2 for sequences) and returns the output shape.
    func build(inputShape: [Int], poolSize: [Int], strides: [Int], padding: Padding, layer: String) throws -> [Int] {
        let oneDimensional = poolSize.count == 1
        guard padding != .causal else {
            throw NNError.invalidArgument("layer '\(layer)': pooling padding must be 'valid' or 'same', got 'causal'")
        }
        try checkWindowSettings(layer: layer, [("pool_size", poolSize), ("strides", strides)])
        try checkWindowInput(inputShape, rank: oneDimensional ? 2 : 3, layer: layer)
        guard inputShape.reduce(1, *) < Int(Int32.max) else {
            throw NNError.invalidArgument("layer '\(layer)': input shape \(inputShape) has more than 2^31 elements per sample")
        }
        let geometry = try WindowGeometry.make(
            layer: layer, what: "pool size",
            input: oneDimensional ? (1, inputShape[0]) : (inputShape[0], inputShape[1]),
            channels: inputShape[inputShape.count - 1],
            kernel: oneDimensional ? [1] + poolSize : poolSize, strides: oneDimensional ? [1] + strides : strides,
            dilation: [1, 1], padding: padding, oneDimensional: oneDimensional)
        self.geometry = geometry
        self.inputShape = inputShape
        outputShape = oneDimensional
            ? [geometry.columns.output, geometry.channels]
            : [geometry.rows.output, geometry.columns.output, geometry.channels]
        return outputShape
    }

    func forward(_ x: Tensor, training: Bool, layer: String) throws -> Tensor {
        guard let g = geometry else { throw NNError.notReady("layer '\(layer)' is not built") }
        try checkWindowBatch(x, expected: inputShape, layer: layer)
        let batch = x.shape[0]
        output.reuse(shape: [batch] + outputShape)
        let outCount = batch * g.outputPositions * g.channels
        if kind == .max && winners.count < outCount { winners = [Int32](repeating: 0, count: outCount) }
        let c = g.channels, h = g.rows.input, w = g.columns.input
        let isMax = kind == .max
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { po in
                winners.withUnsafeMutableBufferPointer { pw in
                    guard let input = px.baseAddress, let out = po.baseAddress else { return }
                    let win = pw.baseAddress
                    g.forEachWindow(batch: batch) { b, offset, ys, xs in
                        let o = out + offset
                        if isMax, let win {
                            // Winners are indices within the sample (Int32 keeps the select loop
                            // vectorisable); the first window element seeds the maximum so a
                            // window of NaNs still names a winner.
                            let a = win + offset
                            let sample = input + b * h * w * c
                            let first = (ys.lowerBound * w + xs.lowerBound) * c
                            for k in 0..<c { o[k] = sample[first + k]; a[k] = Int32(truncatingIfNeeded: first + k) }
                            for iy in ys {
                                for ix in xs where iy != ys.lowerBound || ix != xs.lowerBound {
                                    let base = (iy * w + ix) * c
                                    maxUpdate(sample + base, o, a, index: Int32(truncatingIfNeeded: base), count: c)
                                }
                            }
                        } else {
                            o.update(repeating: 0, count: c)
                            for iy in ys {
                                for ix in xs {
                                    addInPlace(input + ((b * h + iy) * w + ix) * c, o, count: c)
                                }
                            }
                            let scale = 1 / Float(ys.count * xs.count)
                            for k in 0..<c { o[k] *= scale }
                        }
                    }
                }
            }
        }
        trainingBatch = training ? batch : nil
        return output
    }

    func backward(_ dy: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor? {
        guard let g = geometry else { throw NNError.notReady("layer '\(layer)' is not built") }
        guard let batch = trainingBatch, dy.shape == [batch] + outputShape else {
            throw NNError.shapeMismatch(
                "layer '\(layer)': gradient \(dy.shape) does not match output \(output.shape) (backward without a training forward?)")
        }
        trainingBatch = nil
        guard needsInputGradient else { return nil }
        inputGradient.reuse(shape: [batch] + inputShape)
        let c = g.channels, h = g.rows.input, w = g.columns.input
        let isMax = kind == .max
        dy.withUnsafeBufferPointer { pdy in
            inputGradient.withUnsafeMutableBufferPointer { pdx in
                winners.withUnsafeBufferPointer { pw in
                    guard let d = pdy.baseAddress, let dx = pdx.baseAddress else { return }
                    dx.update(repeating: 0, count: pdx.count)
                    if isMax {
                        guard let win = pw.baseAddress else { return }
                        let perSample = pdy.count / Swift.max(batch, 1), sampleSize = h * w * c
                        for b in 0..<batch {
                            let target = dx + b * sampleSize, source = d + b * perSample, winner = win + b * perSample
                            for i in 0..<perSample { target[Int(winner[i])] += source[i] }
                        }
                        return
                    }
                    g.forEachWindow(batch: batch) { b, offset, ys, xs in
                        let src = d + offset
                        let scale = 1 / Float(ys.count * xs.count)
                        for iy in ys {
                            for ix in xs {
                                let target = dx + ((b * h + iy) * w + ix) * c
                                for k in 0..<c { target[k] += src[k] * scale }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}

extension WindowGeometry {
    /// Calls `body` for every output position of `batch` samples in memory order, with the
    /// sample, the position's offset in the output and the input rows and columns its window
    /// covers, clipped to the input: padding adds nothing to a pool, and an average divides by
    /// the real elements only, as Keras's does.
    @inline(__always)
    func forEachWindow(batch: Int, _ body: (_ sample: Int, _ offset: Int, _ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
        for b in 0..<batch {
            for oy in 0..<self.rows.output {
                let y0 = oy * self.rows.stride - self.rows.padBefore
                let ys = Swift.max(y0, 0)..<Swift.min(y0 + self.rows.kernel, self.rows.input)
                for ox in 0..<columns.output {
                    let x0 = ox * columns.stride - columns.padBefore
                    let xs = Swift.max(x0, 0)..<Swift.min(x0 + columns.kernel, columns.input)
                    body(b, ((b * self.rows.output + oy) * columns.output + ox) * channels, ys, xs)
                }
            }
        }
    }
}

/// `o = max(o, p)` elementwise, recording in `a` the index (`index + k`) of each new maximum.
/// Written with SIMD8 because the compiler leaves the scalar select loop unvectorised, and this
/// loop is most of a max-pooling layer's time.
@inline(__always)
private func maxUpdate(
    _ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Int32>, index: Int32, count c: Int
) {
    var k = 0
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    while k + 8 <= c {
        let v = UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
        var m = UnsafeRawPointer(o + k).loadUnaligned(as: SIMD8<Float>.self)
        var winner = UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Int32>.self)
        let better = v .> m
        m.replace(with: v, where: better)
        winner.replace(with: SIMD8<Int32>(repeating: index &+ Int32(truncatingIfNeeded: k)) &+ lanes, where: better)
        UnsafeMutableRawPointer(o + k).storeBytes(of: m, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(a + k).storeBytes(of: winner, as: SIMD8<Int32>.self)
        k += 8
    }
    while k < c {
        if p[k] > o[k] {
            o[k] = p[k]
            a[k] = index &+ Int32(truncatingIfNeeded: k)
        }
        k += 1
    }
}

/// `o += p` elementwise, in SIMD8 for the same reason as `maxUpdate`.
@inline(__always)
private func addInPlace(_ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, count c: Int) {
    var k = 0
    while k + 8 <= c {
        let sum = UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(o + k).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(o + k).storeBytes(of: sum, as: SIMD8<Float>.self)
        k += 8
    }
    while k < c {
        o[k] += p[k]
        k += 1
    }
}
