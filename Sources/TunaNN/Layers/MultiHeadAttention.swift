#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Multi-head scaled dot-product self-attention over sequences `(batch, steps, features)`
/// (Keras's `MultiHeadAttention` called as `mha(x, x)`): every step looks at every step (or,
/// `causal`, at those before it), each head through its own query, key and value projections.
///
/// Weights follow Keras's shapes: query/key kernels `(features, heads, key_dim)`, value kernel
/// `(features, heads, value_dim)`, output kernel `(heads, value_dim, output_shape)`, with biases;
/// `output_shape` is the input's feature count unless set.
/// The projections for all steps of the batch are one GEMM each; the scores and the weighted
/// sums are one small GEMM per (sample, head), strided through the projections' layout.
public final class MultiHeadAttention: Layer {
    public struct Config: Hashable, Sendable {
        public var numHeads: Int
        public var keyDim: Int
        /// Per-head width of the values (Keras: `key_dim` when not given).
        public var valueDim: Int?
        /// Dropout on the attention weights while training.
        public var dropout: Float
        public var useBias: Bool
        /// Each step attends only to itself and the steps before it.
        public var causal: Bool
        /// Width of each step's output (Keras's `output_shape` as one number); the input's
        /// feature count when nil, so that a residual connection can add the two.
        public var outputShape: Int?
        public var seed: UInt64?
        public var name: String?
        public init(
            numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Float = 0, useBias: Bool = true,
            causal: Bool = false, outputShape: Int? = nil, seed: UInt64? = nil, name: String? = nil
        ) {
            self.numHeads = numHeads
            self.keyDim = keyDim
            self.valueDim = valueDim
            self.dropout = dropout
            self.useBias = useBias
            self.causal = causal
            self.outputShape = outputShape
            self.seed = seed
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    public private(set) var queryKernel: Parameter?
    public private(set) var keyKernel: Parameter?
    public private(set) var valueKernel: Parameter?
    public private(set) var outputKernel: Parameter?
    public private(set) var queryBias: Parameter?
    public private(set) var keyBias: Parameter?
    public private(set) var valueBias: Parameter?
    public private(set) var outputBias: Parameter?
    private var steps = 0, features = 0, outputDim = 0
    private var generator = SeededGenerator(seed: 0)

    // Kept from a training pass: (B·T, H·K) projections, (B, H, T, T) weights, (B·T, H·V) context.
    private var input = Tensor.empty
    private let query = ScratchBuffer(), key = ScratchBuffer(), value = ScratchBuffer()
    private let weights = ScratchBuffer()       // softmax output
    private let dropped = ScratchBuffer()       // weights after dropout (what multiplied V)
    private let dropMask = ScratchBuffer()
    private var context = Tensor.empty
    private var output = Tensor.empty
    private var mask: SequenceMask?
    private var batch = 0
    private var usedDropout = false
    private var hasTrainingPass = false
    private let gradients = ScratchBuffer()
    private var inputGradient = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "multi_head_attention"
    }

    public convenience init(
        numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Float = 0, causal: Bool = false, outputShape: Int? = nil,
        name: String? = nil
    ) {
        self.init(Config(
            numHeads: numHeads, keyDim: keyDim, valueDim: valueDim, dropout: dropout, causal: causal, outputShape: outputShape,
            name: name))
    }

    public var spec: LayerSpec { config.spec }
    private var valueDim: Int { config.valueDim ?? config.keyDim }

    public var parameters: [Parameter] {
        [queryKernel, queryBias, keyKernel, keyBias, valueKernel, valueBias, outputKernel, outputBias].compactMap { $0 }
    }

    /// Projections once per step, plus scores and weighted sums over every pair of steps.
    public var forwardFlopsPerSample: Int {
        let h = config.numHeads, k = config.keyDim, v = valueDim
        return 2 * steps * h * (features * (2 * k + v) + v * outputDim) + 2 * steps * steps * h * (k + v)
    }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
            throw NNError.shapeMismatch("layer '\(name)' needs sequences (steps, features) with at least one step, got \(inputShape)")
        }
        guard config.numHeads > 0, config.keyDim > 0, valueDim > 0 else {
            throw NNError.invalidArgument(
                "layer '\(name)': num_heads, key_dim and value_dim must be positive, got \(config.numHeads), \(config.keyDim), \(valueDim)")
        }
        guard config.dropout >= 0, config.dropout < 1 else {
            throw NNError.invalidArgument("layer '\(name)': dropout must be in [0, 1), got \(config.dropout)")
        }
        if let outputShape = config.outputShape, outputShape <= 0 {
            throw NNError.invalidArgument("layer '\(name)': output_shape must be positive, got \(outputShape)")
        }
        steps = inputShape[0]
        features = inputShape[1]
        outputDim = config.outputShape ?? features
        let h = config.numHeads, k = config.keyDim, v = valueDim
        // Glorot-uniform on the 3-D shapes themselves, as Keras's EinsumDense draws them: its fans
        // count the leading axis as a receptive field (query: fan_in = features·heads,
        // fan_out = features·key_dim), a smaller start than a (features, heads·key_dim) matrix's.
        func kernel(_ name: String, _ shape: [Int]) -> Parameter {
            Parameter(name: name, value: Initializer.glorotUniform.make(shape: shape, generator: &generator))
        }
        queryKernel = kernel("query_kernel", [features, h, k])
        keyKernel = kernel("key_kernel", [features, h, k])
        valueKernel = kernel("value_kernel", [features, h, v])
        outputKernel = kernel("output_kernel", [h, v, outputDim])
        if config.useBias {
            queryBias = Parameter(name: "query_bias", value: Tensor(zeros: [h, k]))
            keyBias = Parameter(name: "key_bias", value: Tensor(zeros: [h, k]))
            valueBias = Parameter(name: "value_bias", value: Tensor(zeros: [h, v]))
            outputBias = Parameter(name: "output_bias", value: Tensor(zeros: [outputDim]))
        } else {
            (queryBias, keyBias, valueBias, outputBias) = (nil, nil, nil, nil)
        }
        self.generator = config.seed.map { SeededGenerator(seed: $0) } ?? generator.split()
        return [steps, outputDim]
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try forward(x, mask: nil, training: training)
    }

    /// `x W + b` for all rows, into `target` (rows × columns).
    private func project(_ x: UnsafePointer<Float>, rows: Int, kernel: Parameter, bias: Parameter?, columns: Int, into target: UnsafeMutablePointer<Float>) {
        let inner = kernel.value.count / columns
        if let bias {
            bias.value.withUnsafeBufferPointer { VectorLoops.broadcastRows($0.baseAddress!, rows: rows, columns: columns, into: target) }
        }
        kernel.value.withUnsafeBufferPointer { w in
            BLAS.gemm(m: rows, n: columns, k: inner, a: x, lda: inner, b: w.baseAddress!, ldb: columns,
                      beta: bias == nil ? 0 : 1, c: target, ldc: columns)
        }
    }

    public func forward(_ x: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        guard let queryKernel, let keyKernel, let valueKernel, let outputKernel else {
            throw NNError.notReady("layer '\(name)' is not built")
        }
        try checkInput(x, expected: [steps, features], layer: name)
        let batch = x.shape[0], t = steps, h = config.numHeads, k = config.keyDim, v = valueDim
        if let mask, mask.batch != batch || mask.steps != t {
            throw NNError.shapeMismatch("layer '\(name)': the padding mask is (\(mask.batch), \(mask.steps)) for input \(x.shape)")
        }
        let rows = batch * t, hk = h * k, hv = h * v
        let q = query.reserve(rows * hk), kk = key.reserve(rows * hk), vv = value.reserve(rows * hv)
        let a = weights.reserve(batch * h * t * t)
        let useDropout = training && config.dropout > 0
        let ad = useDropout ? dropped.reserve(batch * h * t * t) : a
        let m = dropMask.reserve(useDropout ? batch * h * t * t : 1)
        context.reuse(shape: [rows, hv])
        x.withUnsafeBufferPointer { px in
            project(px.baseAddress!, rows: rows, kernel: queryKernel, bias: queryBias, columns: hk, into: q)
            project(px.baseAddress!, rows: rows, kernel: keyKernel, bias: keyBias, columns: hk, into: kk)
            project(px.baseAddress!, rows: rows, kernel: valueKernel, bias: valueBias, columns: hv, into: vv)
        }
        let scale = 1 / Float(k).squareRoot()
        let keep = 1 - config.dropout
        // The padded key positions of each sample (nil: none).
        let padded: [[Int]?] = (0..<batch).map { b in
            guard let mask else { return nil }
            let steps = (0..<t).filter { !mask.isReal(b, $0) }
            return steps.isEmpty ? nil : steps
        }
        context.withUnsafeMutableBufferPointer { pc in
            for b in 0..<batch {
                for head in 0..<h {
                    let scores = a + (b * h + head) * t * t
                    // S = Q Kᵀ / √k for this sample and head (rows strided by H·K).
                    BLAS.gemm(transposeB: true, m: t, n: t, k: k, alpha: scale, a: q + b * t * hk + head * k, lda: hk,
                              b: kk + b * t * hk + head * k, ldb: hk, c: scores, ldc: t)
                    if let padding = padded[b] {
                        for i in 0..<t { for j in padding { scores[i * t + j] = -.infinity } }
                    }
                    if config.causal {
                        for i in 0..<t { for j in (i + 1)..<Swift.max(i + 1, t) { scores[i * t + j] = -.infinity } }
                    }
                    // A row with nothing to attend to (all keys padding) becomes zeros.
                    VectorLoops.softmaxRows(scores, rows: t, columns: t)
                    let used: UnsafeMutablePointer<Float>
                    if useDropout {
                        let dropRows = ad + (b * h + head) * t * t, maskRows = m + (b * h + head) * t * t
                        for i in 0..<(t * t) {
                            maskRows[i] = generator.nextFloat() < keep ? 1 / keep : 0
                            dropRows[i] = scores[i] * maskRows[i]
                        }
                        used = dropRows
                    } else {
                        used = scores
                    }
                    // Context = A V for this sample and head, written into its columns.
                    BLAS.gemm(m: t, n: v, k: t, a: used, lda: t, b: vv + b * t * hv + head * v, ldb: hv,
                              c: pc.baseAddress! + b * t * hv + head * v, ldc: hv)
                }
            }
        }
        output.reuse(shape: [batch, t, outputDim])
        context.withUnsafeBufferPointer { pc in
            output.withUnsafeMutableBufferPointer { po in
                project(pc.baseAddress!, rows: rows, kernel: outputKernel, bias: outputBias, columns: outputDim, into: po.baseAddress!)
            }
        }
        if training {
            input = x
            self.batch = batch
            self.mask = mask
            usedDropout = useDropout
        }
        hasTrainingPass = training
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let queryKernel, let keyKernel, let valueKernel, let outputKernel else {
            throw NNError.notReady("layer '\(name)' is not built")
        }
        let batch = self.batch, t = steps, h = config.numHeads, k = config.keyDim, v = valueDim
        guard hasTrainingPass, outputGradient.shape == [batch, t, outputDim] else {
            throw NNError.shapeMismatch(
                "layer '\(name)': gradient \(outputGradient.shape) does not match output [\(batch), \(t), \(outputDim)] (backward without a training forward?)")
        }
        hasTrainingPass = false
        defer { input = .empty }
        let rows = batch * t, hk = h * k, hv = h * v, f = features, o = outputDim
        let scale = 1 / Float(k).squareRoot()
        // Scratch: dContext, dQ, dK, dV, one (T, T) block of weight gradients.
        let work = gradients.zeroed(rows * hv + 2 * rows * hk + rows * hv + t * t)
        let dContext = work, dQ = dContext + rows * hv, dK = dQ + rows * hk, dV = dK + rows * hk, dA = dV + rows * hv
        let q = UnsafePointer(query.pointer), kk = UnsafePointer(key.pointer), vv = UnsafePointer(value.pointer)
        let a = UnsafePointer(weights.pointer), ad = UnsafePointer(usedDropout ? dropped.pointer : weights.pointer)
        let m = UnsafePointer(dropMask.pointer)
        outputGradient.withUnsafeBufferPointer { pdy in
            let dy = pdy.baseAddress!
            // Output projection: dWo = Cᵀ dY, dbo = Σ dY, dC = dY Woᵀ.
            context.withUnsafeBufferPointer { pc in
                outputKernel.gradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(transposeA: true, m: hv, n: o, k: rows, a: pc.baseAddress!, lda: hv, b: dy, ldb: o, c: dw.baseAddress!, ldc: o)
                }
            }
            outputBias?.gradient.withUnsafeMutableBufferPointer { db in VectorLoops.columnSums(dy, rows: rows, columns: o, into: db.baseAddress!) }
            outputKernel.value.withUnsafeBufferPointer { w in
                BLAS.gemm(transposeB: true, m: rows, n: hv, k: o, a: dy, lda: o, b: w.baseAddress!, ldb: o, c: dContext, ldc: hv)
            }
        }
        for b in 0..<batch {
            for head in 0..<h {
                let block = (b * h + head) * t * t
                let dc = dContext + b * t * hv + head * v
                // dV = A_usedᵀ dC ; dA_used = dC Vᵀ.
                BLAS.gemm(transposeA: true, m: t, n: v, k: t, a: ad + block, lda: t, b: dc, ldb: hv,
                          c: dV + b * t * hv + head * v, ldc: hv)
                BLAS.gemm(transposeB: true, m: t, n: t, k: v, a: dc, lda: hv, b: vv + b * t * hv + head * v, ldb: hv, c: dA, ldc: t)
                if usedDropout { for i in 0..<(t * t) { dA[i] *= m[block + i] } }
                // Through the softmax: dS = A ⊙ (dA − Σ_j dA ⊙ A), then the 1/√k scale.
                VectorLoops.softmaxBackwardRows(output: a + block, gradient: dA, rows: t, columns: t, scale: scale)
                // dQ = dS K ; dK = dSᵀ Q.
                BLAS.gemm(m: t, n: k, k: t, a: dA, lda: t, b: kk + b * t * hk + head * k, ldb: hk,
                          c: dQ + b * t * hk + head * k, ldc: hk)
                BLAS.gemm(transposeA: true, m: t, n: k, k: t, a: dA, lda: t, b: q + b * t * hk + head * k, ldb: hk,
                          c: dK + b * t * hk + head * k, ldc: hk)
            }
        }
        // Input projections: dW = Xᵀ dP, db = Σ dP, dX = Σ dP Wᵀ.
        inputGradient.reuse(shape: [batch, t, f])
        input.withUnsafeBufferPointer { px in
            inputGradient.withUnsafeMutableBufferPointer { pdx in
                for (index, (kernel, bias, gradient, columns)) in [
                    (queryKernel, queryBias, UnsafePointer(dQ), hk), (keyKernel, keyBias, UnsafePointer(dK), hk),
                    (valueKernel, valueBias, UnsafePointer(dV), hv),
                ].enumerated() {
                    kernel.gradient.withUnsafeMutableBufferPointer { dw in
                        BLAS.gemm(transposeA: true, m: f, n: columns, k: rows, a: px.baseAddress!, lda: f, b: gradient, ldb: columns,
                                  c: dw.baseAddress!, ldc: columns)
                    }
                    bias?.gradient.withUnsafeMutableBufferPointer { db in
                        VectorLoops.columnSums(gradient, rows: rows, columns: columns, into: db.baseAddress!)
                    }
                    if needsInputGradient {
                        kernel.value.withUnsafeBufferPointer { w in
                            BLAS.gemm(transposeB: true, m: rows, n: f, k: columns, a: gradient, lda: columns, b: w.baseAddress!, ldb: columns,
                                      beta: index == 0 ? 0 : 1, c: pdx.baseAddress!, ldc: f)
                        }
                    }
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }

    /// Self-attention keeps every step, so the padding mask carries on.
    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { inputMask }
}

extension MultiHeadAttention.Config: LayerConfig {
    public static var kind: String { "multi_head_attention" }
    public func makeLayer() -> any Layer { MultiHeadAttention(self) }
    public var spec: LayerSpec { .multiHeadAttention(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case numHeads = "num_heads"
        case keyDim = "key_dim"
        case valueDim = "value_dim"
        case dropout
        case useBias = "use_bias"
        case causal
        case outputShape = "output_shape"
        case seed, name
    }

    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            numHeads: try c.decode(Int.self, forKey: .numHeads),
            keyDim: try c.decode(Int.self, forKey: .keyDim),
            valueDim: try c.decodeIfPresent(Int.self, forKey: .valueDim),
            dropout: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0,
            useBias: try c.decodeIfPresent(Bool.self, forKey: .useBias) ?? true,
            causal: try c.decodeIfPresent(Bool.self, forKey: .causal) ?? false,
            outputShape: try Self.decodeOutputShape(c),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }
}

extension MultiHeadAttention.Config {
    /// Keras writes `output_shape` as a number or a one-element list (the per-step width).
    static func decodeOutputShape(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Int? {
        guard c.contains(.outputShape), try !c.decodeNil(forKey: .outputShape) else { return nil }
        if let width = try? c.decode(Int.self, forKey: .outputShape) { return width }
        guard let shape = try? c.decode([Int].self, forKey: .outputShape), shape.count == 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .outputShape, in: c, debugDescription: "output_shape is one whole number (or [number]): the width of each step's output")
        }
        return shape[0]
    }
}
