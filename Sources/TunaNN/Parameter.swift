import TunaTensor

/// A trainable (or tracked) weight tensor with its gradient.
///
/// A reference type on purpose: a layer, the optimizer's per-parameter state and a model file
/// all refer to the same weight, and the optimizer updates it in place.
public final class Parameter {
    /// A name unique within its layer (`kernel`, `bias`, `gamma`, `moving_mean`, ...).
    /// Wrappers (Bidirectional) prefix the names of the layers they hold.
    public internal(set) var name: String
    /// The current value.
    public var value: Tensor
    /// The gradient of the loss with respect to `value`, written by the layer's backward pass.
    public var gradient: Tensor
    /// False for state that is saved but not optimised (BatchNormalization's moving statistics)
    /// and for the weights of frozen layers (fine-tuning keeps them as they are).
    public internal(set) var trainable: Bool
    /// A penalty added to the loss (and its gradient to `gradient`).
    public var regularizer: Regularizer?
    /// A projection applied after every optimiser step.
    public var constraint: Constraint?

    public init(name: String, value: Tensor, trainable: Bool = true, regularizer: Regularizer? = nil, constraint: Constraint? = nil) {
        self.name = name
        self.value = value
        self.gradient = Tensor(zeros: value.shape)
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
    }
}
