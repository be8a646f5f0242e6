import Foundation
import TunaNN
import TunaTensor

/// Turns a built network's layers into ONNX operators one by one, keeping the channels-last
/// layout of Tuna (and Keras) between layers: convolutions and pooling, which ONNX runs on
/// channels-first tensors, are wrapped in Transpose nodes, as are the recurrent operators,
/// which read time first. Attention and Transformer blocks are spelled out in
/// AttentionConverter.swift.
struct LayerConverter {
    var graph: ONNXGraph
    /// The current value's shape without the batch axis.
    var shape: [Int]

    /// The operators for `layer` applied to the value `x`; returns the output's name.
    mutating func convert(_ layer: any Layer, _ x: String) throws -> String {
        let input = shape
        var generator = SeededGenerator(seed: 0)
        // The output shape from a fresh copy, so the exported layer keeps its state.
        shape = try layer.spec.makeLayer().build(inputShape: input, generator: &generator)
        switch layer.spec {
        case .dense(let config):
            var y = graph.add("MatMul", [x, try weight(layer, "kernel")])
            if config.useBias { y = graph.add("Add", [y, try weight(layer, "bias")]) }
            return try activation(config.activation, y, layer: layer.name)
        case .dropout, .gaussianNoise, .randomFlip, .randomTranslation, .randomRotation, .randomZoom:
            return x  // training only: the identity at inference
        case .activation(let function):
            return try activation(function, x, layer: layer.name)
        case .flatten:
            return graph.add("Reshape", [x, graph.ints("flat_shape", [-1, shape.reduce(1, *)])])
        case .batchNormalization(let config):
            return try batchNormalization(layer, config, x)
        case .layerNormalization(let config):
            return try layerNormalization(layer, config, x)
        case .conv1d(let config):
            return try convolution(layer, x, input: input, kernel: SequenceAxes.sizes(config.kernelSize),
                                   strides: SequenceAxes.sizes(config.strides), dilations: SequenceAxes.sizes(config.dilationRate),
                                   padding: config.padding, useBias: config.useBias, activation: config.activation)
        case .conv2d(let config):
            return try convolution(layer, x, input: input, kernel: ImageAxes.sizes(config.kernelSize),
                                   strides: ImageAxes.sizes(config.strides), dilations: ImageAxes.sizes(config.dilationRate),
                                   padding: config.padding, useBias: config.useBias, activation: config.activation)
        case .maxPooling1d(let c):
            return try pooling("MaxPool", x, input: input, SequenceAxes.sizes(c.poolSize), c.strides.map(SequenceAxes.sizes), c.padding, layer.name)
        case .maxPooling2d(let c):
            return try pooling("MaxPool", x, input: input, ImageAxes.sizes(c.poolSize), c.strides.map(ImageAxes.sizes), c.padding, layer.name)
        case .averagePooling1d(let c):
            return try pooling("AveragePool", x, input: input, SequenceAxes.sizes(c.poolSize), c.strides.map(SequenceAxes.sizes), c.padding, layer.name)
        case .averagePooling2d(let c):
            return try pooling("AveragePool", x, input: input, ImageAxes.sizes(c.poolSize), c.strides.map(ImageAxes.sizes), c.padding, layer.name)
        case .globalMaxPooling1d, .globalMaxPooling2d:
            return graph.add("ReduceMax", [x], [.ints("axes", Array(1..<input.count)), .int("keepdims", 0)])
        case .globalAveragePooling1d, .globalAveragePooling2d:
            return graph.add("ReduceMean", [x], [.ints("axes", Array(1..<input.count)), .int("keepdims", 0)])
        case .lstm(let config):
            return try recurrent(layer, config.recurrent, x, input: input, op: "LSTM")
        case .gru(let config):
            return try recurrent(layer, config.recurrent, x, input: input, op: "GRU")
        case .simpleRNN(let config):
            return try recurrent(layer, config.recurrent, x, input: input, op: "RNN")
        case .positionalEmbedding(let config):
            return try positionalEmbedding(layer, config, x, input: input)
        case .multiHeadAttention(let config):
            return try multiHeadAttention(layer, config, x, input: input)
        case .transformerEncoder(let config):
            return try transformerEncoder(layer, config, x, input: input)
        case .bidirectional(let config):
            return try bidirectional(layer, config, x, input: input)
        case .embedding, .masking:
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' (\(layer.spec.kind)) has no ONNX conversion yet")
        }
    }

    /// A parameter's values by name, as they are stored.
    func values(_ layer: any Layer, _ name: String) throws -> [Float] {
        guard let parameter = layer.parameters.first(where: { $0.name == name }) else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' has no weight '\(name)'")
        }
        return parameter.value.scalars
    }

    /// A parameter as an initializer in its own layout, named as in the safetensors file.
    mutating func weight(_ layer: any Layer, _ name: String) throws -> String {
        guard let parameter = layer.parameters.first(where: { $0.name == name }) else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' has no weight '\(name)'")
        }
        return graph.floats("\(layer.name)/\(name)", parameter.value.scalars, shape: parameter.value.shape)
    }

    /// An activation as operators (GELU and swish spelled out: opset 17 has no operator for them).
    mutating func activation(_ function: Activation, _ x: String, layer: String) throws -> String {
        switch function {
        case .linear: return x
        case .relu: return graph.add("Relu", [x])
        case .leakyReLU(let alpha): return graph.add("LeakyRelu", [x], [.float("alpha", alpha)])
        case .elu(let alpha): return graph.add("Elu", [x], [.float("alpha", alpha)])
        case .sigmoid: return graph.add("Sigmoid", [x])
        case .tanh: return graph.add("Tanh", [x])
        case .softmax: return graph.add("Softmax", [x], [.int("axis", -1)])
        case .softplus: return graph.add("Softplus", [x])
        case .swish: return graph.add("Mul", [x, graph.add("Sigmoid", [x])])
        case .gelu:
            // 0.5 x (1 + erf(x / sqrt 2)), the exact GELU that Tuna computes.
            let half = graph.floats("half", [0.5], shape: [1])
            let one = graph.floats("one", [1], shape: [1])
            let invSqrt2 = graph.floats("inv_sqrt2", [0.70710678118654752], shape: [1])
            let erf = graph.add("Erf", [graph.add("Mul", [x, invSqrt2])])
            return graph.add("Mul", [graph.add("Mul", [x, half]), graph.add("Add", [erf, one])])
        }
    }

    /// Inference-time batch normalization folded into one scale and one shift per feature.
    mutating func batchNormalization(_ layer: any Layer, _ config: BatchNormalization.Config, _ x: String) throws -> String {
        let mean = try values(layer, "moving_mean")
        let variance = try values(layer, "moving_variance")
        let gamma = config.scale ? try values(layer, "gamma") : [Float](repeating: 1, count: mean.count)
        let beta = config.center ? try values(layer, "beta") : [Float](repeating: 0, count: mean.count)
        let scale = zip(gamma, variance).map { $0 / ($1 + config.epsilon).squareRoot() }
        let shift = mean.indices.map { beta[$0] - mean[$0] * scale[$0] }
        let s = graph.floats("\(layer.name)/folded_scale", scale, shape: [scale.count])
        let b = graph.floats("\(layer.name)/folded_shift", shift, shape: [shift.count])
        return graph.add("Add", [graph.add("Mul", [x, s]), b])
    }

    /// ONNX's LayerNormalization over the last axis (opset 17).
    mutating func layerNormalization(_ layer: any Layer, _ config: LayerNormalization.Config, _ x: String) throws -> String {
        let features = shape.last ?? 1
        let gamma = config.scale ? try weight(layer, "gamma") : graph.floats("ones", [Float](repeating: 1, count: features), shape: [features])
        var inputs = [x, gamma]
        if config.center { inputs.append(try weight(layer, "beta")) }
        return graph.add("LayerNormalization", inputs, [.int("axis", -1), .float("epsilon", config.epsilon)])
    }

    /// Channels-last `(batch, spatial..., channels)` to channels-first and back.
    static func toChannelsFirst(_ rank: Int) -> [Int] { [0, rank - 1] + Array(1..<(rank - 1)) }
    static func toChannelsLast(_ rank: Int) -> [Int] { [0] + Array(2..<rank) + [1] }

    /// Explicit ONNX pads `[begins..., ends...]` placing windows where the engine places them.
    static func pads(input: [Int], kernel: [Int], strides: [Int], dilations: [Int], padding: Padding, layer: String) throws -> [Int] {
        var begins: [Int] = []
        var ends: [Int] = []
        for k in kernel.indices {
            guard let axis = WindowAxis.make(input: input[k], kernel: kernel[k], stride: strides[k], dilation: dilations[k], padding: padding) else {
                throw ONNXExportError("cannot export to ONNX: layer '\(layer)''s window does not fit its input \(input)")
            }
            begins.append(axis.padBefore)
            ends.append(max(0, (axis.output - 1) * axis.stride + axis.span - axis.input - axis.padBefore))
        }
        return begins + ends
    }

    mutating func convolution(
        _ layer: any Layer, _ x: String, input: [Int], kernel: [Int], strides: [Int], dilations: [Int],
        padding: Padding, useBias: Bool, activation function: Activation
    ) throws -> String {
        let rank = input.count + 1
        let channels = input[input.count - 1]
        let stored = try values(layer, "kernel")
        let filters = stored.count / max(1, channels * kernel.reduce(1, *))
        // (kernel..., in, out) to ONNX's (out, in, kernel...).
        let window = kernel.reduce(1, *)
        var reordered = [Float](repeating: 0, count: stored.count)
        for s in 0..<window {
            for i in 0..<channels {
                for o in 0..<filters { reordered[(o * channels + i) * window + s] = stored[(s * channels + i) * filters + o] }
            }
        }
        var inputs = [graph.add("Transpose", [x], [.ints("perm", Self.toChannelsFirst(rank))])]
        inputs.append(graph.floats("\(layer.name)/kernel_oihw", reordered, shape: [filters, channels] + kernel))
        if useBias { inputs.append(try weight(layer, "bias")) }
        let pads = try Self.pads(input: Array(input.dropLast()), kernel: kernel, strides: strides, dilations: dilations, padding: padding, layer: layer.name)
        let y = graph.add("Conv", inputs, [
            .ints("kernel_shape", kernel), .ints("strides", strides), .ints("dilations", dilations), .ints("pads", pads),
        ])
        return try activation(function, graph.add("Transpose", [y], [.ints("perm", Self.toChannelsLast(rank))]), layer: layer.name)
    }

    mutating func pooling(
        _ op: String, _ x: String, input: [Int], _ size: [Int], _ strides: [Int]?, _ padding: Padding, _ layer: String
    ) throws -> String {
        let rank = input.count + 1
        let steps = strides ?? size
        let pads = try Self.pads(input: Array(input.dropLast()), kernel: size, strides: steps,
                                 dilations: size.map { _ in 1 }, padding: padding, layer: layer)
        // AveragePool leaves padding out of the count by default, as Keras does.
        let y = graph.add(op, [graph.add("Transpose", [x], [.ints("perm", Self.toChannelsFirst(rank))])],
                          [.ints("kernel_shape", size), .ints("strides", steps), .ints("pads", pads)])
        return graph.add("Transpose", [y], [.ints("perm", Self.toChannelsLast(rank))])
    }
}
