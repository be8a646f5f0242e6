/// Adagrad (Duchi, Hazan & Singer, 2011), with Keras 3's update (`keras/src/optimizers/adagrad.py`):
///
///     a += g^2                 (a starts at initial_accumulator_value, not 0)
///     w -= lr * g / sqrt(a + epsilon)
///
/// The accumulator's starting value (Keras: 0.1) keeps the first steps from being `lr * sign(g)`;
/// it is this optimizer's `initialSlotValue`.
public final class Adagrad: Optimizer {
    public var learningRate: Float
    /// The starting value of the squared-gradient accumulator; read when a parameter's slot is
    /// first made, so changing it later affects only parameters not yet updated.
    public var initialAccumulatorValue: Float
    public var epsilon: Float
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions
    public var iterations = 0
    public let state = OptimizerState()

    /// Keras's defaults: learning_rate 0.001, initial_accumulator_value 0.1, epsilon 1e-7.
    public init(learningRate: Float = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7,
                schedule: LearningRateSchedule? = nil, gradientOptions: GradientOptions = .init()) {
        self.learningRate = learningRate
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.schedule = schedule
        self.gradientOptions = gradientOptions
    }

    public var slotCount: Int { 1 }
    public var initialSlotValue: Float { initialAccumulatorValue }

    public var spec: OptimizerSpec {
        OptimizerSpec(name: "adagrad", learningRate: learningRate, epsilon: epsilon,
                      initialAccumulatorValue: initialAccumulatorValue, schedule: schedule, gradientOptions: gradientOptions)
    }

    public func update(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate lr: Float, step: Int
    ) {
        let a = slots[0]
        for i in 0..<count {
            let gi = g[i]
            a[i] += gi * gi
            w[i] -= lr * gi / (a[i] + epsilon).squareRoot()
        }
    }
}
