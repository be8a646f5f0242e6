/// Adadelta (Zeiler, 2012, Algorithm 1), with Keras 3's update (`keras/src/optimizers/adadelta.py`):
///
///     E[g^2]  = rho * E[g^2] + (1 - rho) * g^2
///     delta   = -sqrt(E[dx^2] + epsilon) / sqrt(E[g^2] + epsilon) * g
///     E[dx^2] = rho * E[dx^2] + (1 - rho) * delta^2
///     w += lr * delta
///
/// The paper has no learning rate (it is 1); Keras multiplies by one, defaulting to 0.001, and
/// the accumulated update `E[dx^2]` is of the unscaled `delta`, as in Keras.
public final class Adadelta: Optimizer {
    public var learningRate: Float
    public var rho: Float
    public var epsilon: Float
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions
    public var iterations = 0
    public let state = OptimizerState()

    /// Keras's defaults: learning_rate 0.001, rho 0.95, epsilon 1e-7 (use learning_rate 1 and
    /// epsilon 1e-6 for the paper's form).
    public init(learningRate: Float = 0.001, rho: Float = 0.95, epsilon: Float = 1e-7,
                schedule: LearningRateSchedule? = nil, gradientOptions: GradientOptions = .init()) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
        self.schedule = schedule
        self.gradientOptions = gradientOptions
    }

    /// Slot 0: the running mean of squared gradients; slot 1: of squared updates.
    public var slotCount: Int { 2 }

    public var spec: OptimizerSpec {
        OptimizerSpec(name: "adadelta", learningRate: learningRate, epsilon: epsilon, rho: rho,
                      schedule: schedule, gradientOptions: gradientOptions)
    }

    public func update(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate lr: Float, step: Int
    ) {
        let meanSquareGradient = slots[0], meanSquareDelta = slots[1]
        let decay = 1 - rho
        for i in 0..<count {
            let gi = g[i]
            meanSquareGradient[i] = rho * meanSquareGradient[i] + decay * gi * gi
            let delta = -(meanSquareDelta[i] + epsilon).squareRoot() / (meanSquareGradient[i] + epsilon).squareRoot() * gi
            meanSquareDelta[i] = rho * meanSquareDelta[i] + decay * delta * delta
            w[i] += lr * delta
        }
    }
}
