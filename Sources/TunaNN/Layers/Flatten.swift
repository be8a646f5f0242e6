import TunaTensor

/// Flattens everything but the batch axis.
public final class Flatten: Layer {
    public var name: String
    private var inputShape: [Int] = []

    public init(name: String? = nil) { self.name = name ?? "flatten" }

    public var spec: LayerSpec { .flatten }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        self.inputShape = inputShape
        return [inputShape.reduce(1, *)]
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try checkInput(input, expected: inputShape, layer: name)
        return input.reshaped([input.shape[0], inputShape.reduce(1, *)])
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard needsInputGradient else { return nil }
        return outputGradient.reshaped([outputGradient.shape[0]] + inputShape)
    }
}
