#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import TunaTensor

/// Adam (Kingma & Ba), in Keras's form: the bias corrections are folded into the step size,
/// `lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, and epsilon is added to `sqrt(v)`.
/// With `amsgrad`, the running maximum of `v` is used in the denominator.
///
/// Not `final`: `AdamW` is this class with decoupled weight decay on by default and its own
/// spec name, as Keras's `AdamW(Adam)` is (`keras/src/optimizers/adamw.py`).
public class Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var amsgrad: Bool
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions
    public var iterations = 0
    public let state = OptimizerState()
    /// The spec name ("adam", or "adamw" for `AdamW`).
    let specName: String

    public convenience init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                amsgrad: Bool = false, schedule: LearningRateSchedule? = nil, gradientOptions: GradientOptions = .init()) {
        self.init(named: "adam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  amsgrad: amsgrad, schedule: schedule, gradientOptions: gradientOptions)
    }

    init(named name: String, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, amsgrad: Bool,
         schedule: LearningRateSchedule?, gradientOptions: GradientOptions) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.schedule = schedule
        self.gradientOptions = gradientOptions
        self.specName = name
    }

    public var slotCount: Int { amsgrad ? 3 : 2 }

    public var spec: OptimizerSpec {
        OptimizerSpec(name: specName, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                      amsgrad: amsgrad, schedule: schedule, gradientOptions: gradientOptions)
    }

    public func update(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate lr: Float, step: Int
    ) {
        let t = Float(step)
        let stepSize = lr * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        VectorLoops.adam(
            weights: w, gradients: g, m: slots[0], v: slots[1], vMax: amsgrad ? slots[2] : nil, count: count,
            beta1: beta1, beta2: beta2, stepSize: stepSize, epsilon: epsilon)
    }
}
