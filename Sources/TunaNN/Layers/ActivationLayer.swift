import TunaTensor

/// Applies an activation on its own (Keras's `Activation` layer).
public final class ActivationLayer: ActivatedLayer {
    public let activation: Activation
    public var name: String
    private var input = Tensor.empty
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private var inputShape: [Int] = []

    public init(_ activation: Activation, name: String? = nil) {
        self.activation = activation
        self.name = name ?? "activation"
    }

    public var spec: LayerSpec { activation.spec }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        self.inputShape = inputShape
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        try checkInput(x, expected: inputShape, layer: name)
        output.reuse(shape: x.shape)
        let rowLength = inputShape.last ?? 1
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { py in
                activation.apply(px.baseAddress!, py.baseAddress!, count: px.count, rowLength: rowLength)
            }
        }
        if training { input = x }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard needsInputGradient else { return nil }
        guard outputGradient.shape == output.shape, input.shape == output.shape else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match output \(output.shape)")
        }
        defer { input = .empty }
        inputGradient.reuse(shape: outputGradient.shape)
        input.withUnsafeBufferPointer { pz in
            output.withUnsafeBufferPointer { py in
                outputGradient.withUnsafeBufferPointer { pdy in
                    inputGradient.withUnsafeMutableBufferPointer { pdz in
                        activation.gradient(
                            z: pz.baseAddress!, y: py.baseAddress!, dy: pdy.baseAddress!, dz: pdz.baseAddress!,
                            count: pdz.count, rowLength: inputShape.last ?? 1)
                    }
                }
            }
        }
        return inputGradient
    }

    public func backward(preActivationGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        input = .empty
        return needsInputGradient ? preActivationGradient : nil
    }
}

/// An activation on its own is a layer kind whose only setting is the activation:
/// `{"activation": "softmax"}`.
extension Activation: LayerConfig {
    public static var kind: String { "activation" }
    public func makeLayer() -> any Layer { ActivationLayer(self) }
    public var spec: LayerSpec { .activation(self) }
}
