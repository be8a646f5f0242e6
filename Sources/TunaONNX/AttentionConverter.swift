#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaNN

/// Positional embeddings, multi-head self-attention and Transformer encoder blocks as plain
/// ONNX operators (MatMul, Softmax, Reshape, Transpose, LayerNormalization): opset 17 has no
/// attention operator, and spelling the math out keeps the file readable by any runtime.
extension LayerConverter {
    /// A parameter as an initializer in another shape with the same row-major values: the
    /// attention kernels `(features, heads, dim)` and `(heads, dim, out)` are the matrices
    /// `(features, heads·dim)` and `(heads·dim, out)` that MatMul wants.
    mutating func weight(_ layer: any Layer, _ name: String, shape: [Int]) throws -> String {
        let stored = try values(layer, name)
        guard stored.count == shape.reduce(1, *) else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)''s weight '\(name)' has \(stored.count) values, not \(shape)")
        }
        return graph.floats("\(layer.name)/\(name)", stored, shape: shape)
    }

    /// The sequence's `(steps, features)`, or a refusal naming the layer.
    func sequenceShape(_ input: [Int], _ layer: any Layer) throws -> (Int, Int) {
        guard input.count == 2 else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' reads \(input) instead of (steps, features)")
        }
        return (input[0], input[1])
    }

    /// The table added to every sample: the learned one as stored, the sinusoidal one
    /// recomputed with the engine's own single-precision formula so both agree bit for bit.
    mutating func positionalEmbedding(_ layer: any Layer, _ config: PositionalEmbedding.Config, _ x: String, input: [Int]) throws -> String {
        let (steps, features) = try sequenceShape(input, layer)
        switch config.kind {
        case .learned:
            return graph.add("Add", [x, try weight(layer, "embeddings", shape: [steps, features])])
        case .sinusoidal:
            let table = (0..<(steps * features)).map { i -> Float in
                let position = Float(i / features), j = i % features
                let angle = position / powf(10_000, Float(2 * (j / 2)) / Float(features))
                return j % 2 == 0 ? sinf(angle) : cosf(angle)
            }
            return graph.add("Add", [x, graph.floats("\(layer.name)/sinusoidal_table", table, shape: [steps, features])])
        }
    }

    /// Self-attention `mha(x, x)` on `(batch, steps, features)`; weights are looked up as
    /// `prefix + "query_kernel"` etc., so that a Transformer block's own attention (whose
    /// weights carry an `attention/` prefix) goes through the same path.
    mutating func selfAttention(
        _ layer: any Layer, prefix: String, _ x: String, steps: Int, features: Int,
        heads: Int, keyDim: Int, valueDim: Int, outputDim: Int, useBias: Bool, causal: Bool
    ) throws -> String {
        /// `x W + b` then `(batch, steps, heads, dim)` moved to `perm`.
        func projection(_ name: String, dim: Int, perm: [Int]) throws -> String {
            var y = graph.add("MatMul", [x, try weight(layer, prefix + name + "_kernel", shape: [features, heads * dim])])
            if useBias { y = graph.add("Add", [y, try weight(layer, prefix + name + "_bias", shape: [heads * dim])]) }
            y = graph.add("Reshape", [y, graph.ints("heads_shape", [-1, steps, heads, dim])])
            return graph.add("Transpose", [y], [.ints("perm", perm)])
        }
        let q = try projection("query", dim: keyDim, perm: [0, 2, 1, 3])   // (batch, heads, steps, key)
        let k = try projection("key", dim: keyDim, perm: [0, 2, 3, 1])     // (batch, heads, key, steps)
        let v = try projection("value", dim: valueDim, perm: [0, 2, 1, 3]) // (batch, heads, steps, value)
        let scale = graph.floats("attention_scale", [1 / Float(keyDim).squareRoot()], shape: [1])
        var scores = graph.add("Mul", [graph.add("MatMul", [q, k]), scale])
        if causal {
            // -inf above the diagonal, as the engine writes it; every row keeps its diagonal,
            // so no row of the softmax is empty.
            let mask = (0..<(steps * steps)).map { i -> Float in i % steps > i / steps ? -.infinity : 0 }
            scores = graph.add("Add", [scores, graph.floats("causal_mask", mask, shape: [steps, steps])])
        }
        let weights = graph.add("Softmax", [scores], [.int("axis", -1)])
        var context = graph.add("Transpose", [graph.add("MatMul", [weights, v])], [.ints("perm", [0, 2, 1, 3])])
        context = graph.add("Reshape", [context, graph.ints("context_shape", [-1, steps, heads * valueDim])])
        var y = graph.add("MatMul", [context, try weight(layer, prefix + "output_kernel", shape: [heads * valueDim, outputDim])])
        if useBias { y = graph.add("Add", [y, try weight(layer, prefix + "output_bias", shape: [outputDim])]) }
        return y
    }

    mutating func multiHeadAttention(_ layer: any Layer, _ config: MultiHeadAttention.Config, _ x: String, input: [Int]) throws -> String {
        let (steps, features) = try sequenceShape(input, layer)
        return try selfAttention(
            layer, prefix: "", x, steps: steps, features: features, heads: config.numHeads, keyDim: config.keyDim,
            valueDim: config.valueDim ?? config.keyDim, outputDim: config.outputShape ?? features, useBias: config.useBias,
            causal: config.causal)
    }

    /// ONNX's LayerNormalization over the last axis with a block's own `gamma` and `beta`.
    mutating func layerNorm(_ layer: any Layer, prefix: String, _ x: String, epsilon: Float) throws -> String {
        let inputs = [x, try weight(layer, prefix + "gamma"), try weight(layer, prefix + "beta")]
        return graph.add("LayerNormalization", inputs, [.int("axis", -1), .float("epsilon", epsilon)])
    }

    /// The block as `TransformerEncoder.forward` runs it at inference (dropout is the identity):
    /// post-norm `n1 = LN(x + A(x)); LN(n1 + F(n1))`, pre-norm `h = x + A(LN(x)); h + F(LN(h))`,
    /// with `F` two Dense layers (the activation on the first).
    mutating func transformerEncoder(_ layer: any Layer, _ config: TransformerEncoder.Config, _ x: String, input: [Int]) throws -> String {
        let (steps, features) = try sequenceShape(input, layer)
        let heads = config.numHeads
        guard heads > 0, features % heads == 0 else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)''s \(features) features do not split into \(heads) heads")
        }
        let epsilon = config.layerNormEpsilon
        var h = config.normalizeFirst ? try layerNorm(layer, prefix: "attention_norm/", x, epsilon: epsilon) : x
        h = try selfAttention(
            layer, prefix: "attention/", h, steps: steps, features: features, heads: heads, keyDim: features / heads,
            valueDim: features / heads, outputDim: features, useBias: true, causal: false)
        h = graph.add("Add", [h, x])
        if !config.normalizeFirst { h = try layerNorm(layer, prefix: "attention_norm/", h, epsilon: epsilon) }
        var f = config.normalizeFirst ? try layerNorm(layer, prefix: "feedforward_norm/", h, epsilon: epsilon) : h
        f = graph.add("Add", [graph.add("MatMul", [f, try weight(layer, "intermediate/kernel")]), try weight(layer, "intermediate/bias")])
        f = try activation(config.activation, f, layer: layer.name)
        f = graph.add("Add", [graph.add("MatMul", [f, try weight(layer, "output/kernel")]), try weight(layer, "output/bias")])
        f = graph.add("Add", [f, h])
        return config.normalizeFirst ? f : try layerNorm(layer, prefix: "feedforward_norm/", f, epsilon: epsilon)
    }
}
