import TunaTensor

/// Flattens everything but the batch axis.
public final class Flatten: Layer {
    public var name: String
    private var inputShape: [Int] = []

    public init(name: String? = nil) { self.name = name ?? "flatten" }

    public var spec: LayerSpec { .flatten }

    /// Flatten has no settings.
    public struct Config: LayerConfig {
        public init() {}
    }

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

extension Flatten.Config {
    public static var kind: String { "flatten" }
    public static var standard: Self? { Self() }
    public func makeLayer() -> any Layer { Flatten() }
    public var spec: LayerSpec { .flatten }

    /// Whatever follows the name is ignored (`{"flatten": {}}`, `{"flatten": null}`), as files
    /// written before layers had settings types did.
    public init(from decoder: Decoder) throws { self.init() }

    public func encode(to encoder: Encoder) throws {
        _ = encoder.container(keyedBy: DynamicKey.self)
    }
}
