/// RMSprop (Hinton, 2012, lecture 6e), with Keras 3's update (`keras/src/optimizers/rmsprop.py`):
///
///     v = rho * v + (1 - rho) * g^2
///     centered:  a = rho * a + (1 - rho) * g;  denominator = v - a^2 + epsilon
///     otherwise: denominator = v + epsilon
///     increment = lr * g / sqrt(denominator)
///     momentum > 0: m = momentum * m + increment;  w -= m
///     otherwise:    w -= increment
///
/// Epsilon is inside the square root (unlike Adam's), and the momentum is plain, not Nesterov:
/// both as Keras has it, so that a study tuned against Keras means the same here.
public final class RMSprop: Optimizer {
    public var learningRate: Float
    public var rho: Float
    /// Plain momentum on the increment. Going from 0 to a positive value mid-training adds a
    /// momentum slot starting at zero.
    public var momentum: Float
    public var epsilon: Float
    /// Divides by the estimated variance of the gradient rather than its second moment. Fixed at
    /// creation because it decides the slot layout.
    public let centered: Bool
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions
    public var iterations = 0
    public let state = OptimizerState()

    /// Keras's defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7, not centered.
    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                centered: Bool = false, schedule: LearningRateSchedule? = nil, gradientOptions: GradientOptions = .init()) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.schedule = schedule
        self.gradientOptions = gradientOptions
    }

    // Slot layout: 0 velocity (mean square), then the mean gradient when centered, then the
    // momentum when momentum > 0. Momentum comes last so that it can be added mid-training.
    private var momentumSlot: Int { centered ? 2 : 1 }

    public var slotCount: Int { 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0) }

    public var spec: OptimizerSpec {
        OptimizerSpec(name: "rmsprop", learningRate: learningRate, momentum: momentum, epsilon: epsilon, rho: rho,
                      centered: centered, schedule: schedule, gradientOptions: gradientOptions)
    }

    public func update(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate lr: Float, step: Int
    ) {
        let v = slots[0]
        let average: UnsafeMutablePointer<Float>? = centered ? slots[1] : nil
        let m: UnsafeMutablePointer<Float>? = momentum > 0 ? slots[momentumSlot] : nil
        let decay = 1 - rho
        for i in 0..<count {
            let gi = g[i]
            v[i] = rho * v[i] + decay * gi * gi
            var denominator = v[i] + epsilon
            if let average {
                average[i] = rho * average[i] + decay * gi
                denominator -= average[i] * average[i]
            }
            let increment = lr * gi / denominator.squareRoot()
            if let m {
                m[i] = momentum * m[i] + increment
                w[i] -= m[i]
            } else {
                w[i] -= increment
            }
        }
    }
}
