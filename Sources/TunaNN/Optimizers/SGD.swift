/// Stochastic gradient descent with optional (Nesterov) momentum, as Keras defines it:
/// `v = momentum * v - lr * g; w += v` (Nesterov: `w += momentum * v - lr * g`).
public final class SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions
    public var iterations = 0
    public let state = OptimizerState()

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                schedule: LearningRateSchedule? = nil, gradientOptions: GradientOptions = .init()) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.schedule = schedule
        self.gradientOptions = gradientOptions
    }

    public var slotCount: Int { momentum == 0 ? 0 : 1 }

    public var spec: OptimizerSpec {
        OptimizerSpec(name: "sgd", learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                      schedule: schedule, gradientOptions: gradientOptions)
    }

    public func update(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate lr: Float, step: Int
    ) {
        guard momentum != 0 else {
            for i in 0..<count { w[i] -= lr * g[i] }
            return
        }
        let v = slots[0]
        for i in 0..<count {
            v[i] = momentum * v[i] - lr * g[i]
            w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i]
        }
    }
}
