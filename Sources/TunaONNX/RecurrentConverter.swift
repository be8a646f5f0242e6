import TunaNN

/// Recurrent layers as ONNX's LSTM, GRU and RNN operators. Keras stores a kernel
/// `(features, gates·units)` and a recurrent kernel `(units, gates·units)`, gates in blocks of
/// `units` columns; ONNX wants `(1, gates·units, features)` and `(1, gates·units, units)` with
/// its own gate order (LSTM: input, output, forget, cell against Keras's input, forget, cell,
/// output; GRU: update, reset, hidden in both) and separate input and recurrent biases.
extension LayerConverter {
    /// ONNX's name for a recurrent activation, or nil when the operators have none that matches.
    static func recurrentActivation(_ function: Activation) -> String? {
        switch function {
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .relu: "Relu"
        case .softplus: "Softplus"
        default: nil
        }
    }

    /// `matrix` `(rows, gates·units)` as `(gates·units, rows)`, gate blocks taken in `order`.
    static func gatesFirst(_ matrix: [Float], rows: Int, units: Int, order: [Int]) -> [Float] {
        let width = order.count * units
        var out = [Float](repeating: 0, count: matrix.count)
        for (g, source) in order.enumerated() {
            for j in 0..<units {
                for r in 0..<rows { out[(g * units + j) * rows + r] = matrix[r * width + source * units + j] }
            }
        }
        return out
    }

    /// `prefix` picks one run's weights inside a Bidirectional layer (`forward/`, `backward/`).
    mutating func recurrent(
        _ layer: any Layer, _ config: RecurrentConfig, _ x: String, input: [Int], op: String, prefix: String = ""
    ) throws -> String {
        let units = config.units
        guard input.count == 2 else {
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' reads \(input) instead of (steps, features)")
        }
        let (steps, features) = (input[0], input[1])
        let gateOrder: [Int] = switch op {
        case "LSTM": [0, 3, 1, 2]
        case "GRU": [0, 1, 2]
        default: [0]
        }
        var activations = [config.activation]
        if op == "LSTM" { activations = [config.recurrentActivation, config.activation, config.activation] }
        if op == "GRU" { activations = [config.recurrentActivation, config.activation] }
        let names = try activations.map { function in
            guard let name = Self.recurrentActivation(function) else {
                throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' uses the activation \(function.name), which ONNX's \(op) has no match for")
            }
            return name
        }
        let width = gateOrder.count * units
        let kernel = Self.gatesFirst(try values(layer, prefix + "kernel"), rows: features, units: units, order: gateOrder)
        let recurrentKernel = Self.gatesFirst(try values(layer, prefix + "recurrent_kernel"), rows: units, units: units, order: gateOrder)
        let bias = try values(layer, prefix + "bias")
        // Keras's GRU keeps an input and a recurrent bias (2, 3·units); the others one bias.
        let inputBias = Array(bias.prefix(width))
        let recurrentBias = bias.count == 2 * width ? Array(bias.suffix(width)) : [Float](repeating: 0, count: width)
        func reorder(_ b: [Float]) -> [Float] { gateOrder.flatMap { b[($0 * units)..<(($0 + 1) * units)] } }

        // (batch, steps, features) to time-first, reversed first for go_backwards, whose
        // outputs come in the order it reads the steps.
        var sequence = x
        if config.goBackwards {
            sequence = graph.add("Gather", [x, graph.ints("reversed_steps", Array((0..<steps).reversed()))], [.int("axis", 1)])
        }
        sequence = graph.add("Transpose", [sequence], [.ints("perm", [1, 0, 2])])
        let w = graph.floats("\(layer.name)/\(prefix)W", kernel, shape: [1, width, features])
        let r = graph.floats("\(layer.name)/\(prefix)R", recurrentKernel, shape: [1, width, units])
        let b = graph.floats("\(layer.name)/\(prefix)B", reorder(inputBias) + reorder(recurrentBias), shape: [1, 2 * width])
        var attributes: [ONNXAttribute] = [.int("hidden_size", units), .strings("activations", names)]
        if op == "GRU" { attributes.append(.int("linear_before_reset", 1)) }
        let outputs = graph.add(op, [sequence, w, r, b], attributes, outputs: 2)
        if config.returnSequences {
            // Y: (steps, 1, batch, units).
            let squeezed = graph.add("Squeeze", [outputs[0], graph.ints("axis_1", [1])])
            return graph.add("Transpose", [squeezed], [.ints("perm", [1, 0, 2])])
        }
        // Y_h: (1, batch, units).
        return graph.add("Squeeze", [outputs[1], graph.ints("axis_0", [0])])
    }

    /// Keras's Bidirectional: the wrapped layer run as stored and with `go_backwards` flipped,
    /// the second run's sequence put back in time order (as the engine does whenever it returns
    /// sequences), then the two merged on the last axis.
    mutating func bidirectional(_ layer: any Layer, _ config: Bidirectional.Config, _ x: String, input: [Int]) throws -> String {
        let (inner, op): (RecurrentConfig, String)
        switch config.layer {
        case .lstm(let c): (inner, op) = (c.recurrent, "LSTM")
        case .gru(let c): (inner, op) = (c.recurrent, "GRU")
        case .simpleRNN(let c): (inner, op) = (c.recurrent, "RNN")
        default:
            throw ONNXExportError("cannot export to ONNX: layer '\(layer.name)' wraps '\(config.layer.kind)', not a recurrent layer")
        }
        var reversed = inner
        reversed.goBackwards.toggle()
        let forward = try recurrent(layer, inner, x, input: input, op: op, prefix: "forward/")
        var backward = try recurrent(layer, reversed, x, input: input, op: op, prefix: "backward/")
        if inner.returnSequences {
            let steps = input.first ?? 1
            backward = graph.add("Gather", [backward, graph.ints("reversed_steps", Array((0..<steps).reversed()))], [.int("axis", 1)])
        }
        switch config.mergeMode {
        case .concat: return graph.add("Concat", [forward, backward], [.int("axis", -1)])
        case .sum: return graph.add("Add", [forward, backward])
        case .mul: return graph.add("Mul", [forward, backward])
        case .ave: return graph.add("Mul", [graph.add("Add", [forward, backward]), graph.floats("half", [0.5], shape: [1])])
        }
    }
}
