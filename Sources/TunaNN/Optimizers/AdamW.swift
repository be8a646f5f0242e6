/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019) as Keras 3 defines
/// it (`keras/src/optimizers/adamw.py`): Adam, plus the shared decoupled weight decay
/// `w -= w * weight_decay * lr` applied before each Adam step (`BaseOptimizer._apply_weight_decay`),
/// with weight_decay 0.004 by default. The decay is multiplied by the learning rate (the
/// schedule's value when there is one), as in Keras, not by a separate schedule multiplier as in
/// the paper.
///
/// Nothing in the update rule differs from `Adam`, so this is a subclass that only fixes the
/// defaults and the spec name; the decay itself is the one every optimizer shares through
/// `GradientOptions.weightDecay`.
public final class AdamW: Adam {
    /// Keras's defaults: learning_rate 0.001, weight_decay 0.004, beta_1 0.9, beta_2 0.999,
    /// epsilon 1e-7, no amsgrad. `weightDecay` overrides `gradientOptions.weightDecay`.
    public init(learningRate: Float = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, amsgrad: Bool = false, schedule: LearningRateSchedule? = nil,
                gradientOptions: GradientOptions = .init()) {
        var options = gradientOptions
        options.weightDecay = weightDecay
        super.init(named: "adamw", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   amsgrad: amsgrad, schedule: schedule, gradientOptions: options)
    }

    /// The decoupled weight decay (`gradientOptions.weightDecay`; nil reads as 0).
    public var weightDecay: Float {
        get { gradientOptions.weightDecay ?? 0 }
        set { gradientOptions.weightDecay = newValue }
    }

    /// Always writes the weight decay, so that a spec made from an AdamW whose decay was cleared
    /// does not come back with the 0.004 default.
    public override var spec: OptimizerSpec {
        var spec = super.spec
        spec.gradientOptions.weightDecay = weightDecay
        return spec
    }
}
