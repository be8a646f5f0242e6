import TunaTensor

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
