import Foundation

/// One attribute of an ONNX node (`AttributeProto`), in the few types the exporter uses.
enum ONNXAttribute {
    case int(String, Int)
    case float(String, Float)
    case ints(String, [Int])
    case string(String, String)
    case strings(String, [String])

    /// AttributeProto: name 1, f 2, i 3, s 4, ints 8, strings 9, type 20
    /// (FLOAT 1, INT 2, STRING 3, INTS 7, STRINGS 8).
    func write(_ w: inout ProtoWriter) {
        switch self {
        case .int(let name, let value):
            w.string(1, name); w.int(3, value); w.int(20, 2)
        case .float(let name, let value):
            w.string(1, name); w.float(2, value); w.int(20, 1)
        case .ints(let name, let values):
            w.string(1, name); w.packedInts(8, values); w.int(20, 7)
        case .string(let name, let value):
            w.string(1, name); w.string(4, value); w.int(20, 3)
        case .strings(let name, let values):
            w.string(1, name)
            for value in values { w.string(9, value) }
            w.int(20, 8)
        }
    }
}

/// An ONNX graph being assembled: nodes in execution order and constant tensors, with fresh
/// names handed out so that the converters never have to invent unique ones themselves.
struct ONNXGraph {
    /// The opset the operators are written for: 17 has LayerNormalization and still takes
    /// the reductions' axes as an attribute.
    static let opset = 17
    /// IR version 8 goes with opset 17 (onnxruntime reads it from 1.14 on).
    static let irVersion = 8

    private struct Node {
        var op: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [ONNXAttribute]
    }

    private struct Constant {
        var name: String
        var shape: [Int]
        var floats: [Float]?
        var ints: [Int]?
    }

    private var nodes: [Node] = []
    private var constants: [Constant] = []
    private var used: [String: Int] = [:]

    /// `base` if unused, else `base_2`, `base_3`...
    mutating func fresh(_ base: String) -> String {
        let n = used[base, default: 0] + 1
        used[base] = n
        return n == 1 ? base : "\(base)_\(n)"
    }

    /// A float initializer; returns its name.
    mutating func floats(_ name: String, _ values: [Float], shape: [Int]) -> String {
        let unique = fresh(name)
        constants.append(Constant(name: unique, shape: shape, floats: values, ints: nil))
        return unique
    }

    /// An int64 initializer (shapes, axes, indices); returns its name.
    mutating func ints(_ name: String, _ values: [Int], shape: [Int]? = nil) -> String {
        let unique = fresh(name)
        constants.append(Constant(name: unique, shape: shape ?? [values.count], floats: nil, ints: values))
        return unique
    }

    /// Appends a node and returns the names of its `outputs` outputs.
    @discardableResult
    mutating func add(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = [], outputs: Int) -> [String] {
        let names = (0..<outputs).map { _ in fresh(op.lowercased()) }
        nodes.append(Node(op: op, inputs: inputs, outputs: names, attributes: attributes))
        return names
    }

    /// Appends a one-output node and returns its output's name.
    mutating func add(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = []) -> String {
        add(op, inputs, attributes, outputs: 1)[0]
    }

    /// Renames the final value so the graph's output has a stable name: an Identity node.
    mutating func output(_ value: String, as name: String) {
        nodes.append(Node(op: "Identity", inputs: [value], outputs: [name], attributes: []))
    }

    /// A float tensor's ValueInfoProto; nil dimensions are the symbolic batch size.
    private static func valueInfo(_ w: inout ProtoWriter, name: String, shape: [Int?]) {
        w.string(1, name)
        w.message(2) { type in  // TypeProto.tensor_type
            type.message(1) { tensor in
                tensor.int(1, 1)  // FLOAT
                tensor.message(2) { dims in
                    for d in shape {
                        dims.message(1) { dim in
                            if let d { dim.int(1, d) } else { dim.string(2, "batch") }
                        }
                    }
                }
            }
        }
    }

    /// The ModelProto's bytes with one float input and one float output.
    func encoded(input: (String, [Int?]), output: (String, [Int?]), docString: String) -> Data {
        var w = ProtoWriter()
        w.int(1, Self.irVersion)
        w.string(2, "tuna")
        w.string(3, "1")
        w.string(6, docString)
        w.message(7) { g in
            for node in nodes {
                g.message(1) { n in
                    for i in node.inputs { n.string(1, i) }
                    for o in node.outputs { n.string(2, o) }
                    n.string(3, node.outputs[0])
                    n.string(4, node.op)
                    for a in node.attributes { n.message(5) { a.write(&$0) } }
                }
            }
            g.string(2, "tuna")
            for c in constants {
                g.message(5) { t in
                    t.packedInts(1, c.shape)
                    if let floats = c.floats {
                        t.int(2, 1)
                        t.string(8, c.name)
                        t.packedFloats(9, floats)  // raw_data: the same little-endian bytes
                    } else {
                        t.int(2, 7)
                        t.string(8, c.name)
                        t.packedInts(7, c.ints ?? [])
                    }
                }
            }
            g.message(11) { Self.valueInfo(&$0, name: input.0, shape: input.1) }
            g.message(12) { Self.valueInfo(&$0, name: output.0, shape: output.1) }
        }
        w.message(8) { op in op.string(1, ""); op.int(2, Self.opset) }
        return Data(w.bytes)
    }
}
