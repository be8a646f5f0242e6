import TunaTensor

/// One step of a network: it is built for an input shape, maps a batch forward, and maps the
/// loss gradient backward, writing its parameters' gradients.
///
/// Shapes exclude the batch axis. A layer keeps what its backward pass needs from the last
/// training forward pass and lets go of it in `backward`, so that the buffers it hands on can be
/// reused on the next step without copying.
public protocol Layer: AnyObject {
    /// The layer's name, unique within a model (used in model files).
    var name: String { get set }
    /// The declarative description this layer was made from (for model files and study files).
    var spec: LayerSpec { get }
    /// Weights, in a fixed order; empty for layers without any.
    var parameters: [Parameter] { get }
    /// Creates the weights for `inputShape` and returns the output shape.
    func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int]
    /// Maps a batch forward. `training` switches dropout, noise and batch statistics on.
    func forward(_ input: Tensor, training: Bool) throws -> Tensor
    /// Maps the gradient of the loss with respect to this layer's output to the gradient with
    /// respect to its input (nil when `needsInputGradient` is false), writing parameter gradients.
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor?
    /// Multiply-add FLOPs of one sample's forward pass (see the default below).
    var forwardFlopsPerSample: Int { get }
    /// Maps a batch forward knowing which steps of its sequences are padding. Layers that read
    /// the mask (recurrent layers, sequence pooling) implement it; the rest ignore it.
    func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor
    /// The padding mask of this layer's output given its input's: layers that make one
    /// (`Masking`, `Embedding` with `mask_zero`) or keep the time axis step for step (dropout,
    /// activations, sequence-returning recurrent layers) say so; by default the mask ends here.
    func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask?
}

extension Layer {
    public var parameters: [Parameter] { [] }

    /// Multiply-add FLOPs of one sample's forward pass, for deciding whether a batch is worth
    /// splitting across cores. Each weight used once per sample, by default; layers that reuse
    /// their weights across steps or positions say more.
    public var forwardFlopsPerSample: Int { 2 * parameters.reduce(0) { $0 + $1.value.count } }

    public func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        try forward(input, training: training)
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? { nil }
}

/// A layer whose last step is an activation, so that a following cross-entropy loss can hand it
/// the gradient with respect to the pre-activation directly (`p - y`), which is both cheaper and
/// free of the division by small probabilities.
public protocol ActivatedLayer: Layer {
    var activation: Activation { get }
    /// Like `backward`, but `preActivationGradient` is already the gradient before the activation.
    func backward(preActivationGradient: Tensor, needsInputGradient: Bool) throws -> Tensor?
}

/// Checks a batch against the shape a layer was built for (batch axis excluded).
@inline(__always)
func checkInput(_ input: Tensor, expected: [Int], layer: String) throws {
    if input.rank != expected.count + 1 || Array(input.shape.dropFirst()) != expected {
        throw NNError.shapeMismatch(
            "layer '\(layer)' expects input of shape (batch, \(expected.map(String.init).joined(separator: ", "))), got \(input.shape)")
    }
}
