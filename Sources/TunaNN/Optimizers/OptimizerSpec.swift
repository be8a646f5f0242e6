/// A declarative optimizer: a Keras name plus the settings that apply to it, as study files and
/// model files write it (`{name: adam, learning_rate: 0.001}`). Unset fields take Keras defaults.
public struct OptimizerSpec: Hashable, Sendable {
    public var name: String
    public var learningRate: Float?
    public var momentum: Float?
    public var nesterov: Bool?
    public var beta1: Float?
    public var beta2: Float?
    public var epsilon: Float?
    public var amsgrad: Bool?
    public var rho: Float?
    public var centered: Bool?
    public var initialAccumulatorValue: Float?
    public var schedule: LearningRateSchedule?
    public var gradientOptions: GradientOptions

    public static let knownNames = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta"]

    public init(
        name: String, learningRate: Float? = nil, momentum: Float? = nil, nesterov: Bool? = nil,
        beta1: Float? = nil, beta2: Float? = nil, epsilon: Float? = nil, amsgrad: Bool? = nil, rho: Float? = nil,
        centered: Bool? = nil, initialAccumulatorValue: Float? = nil, schedule: LearningRateSchedule? = nil,
        gradientOptions: GradientOptions = .init()
    ) {
        self.name = name
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.rho = rho
        self.centered = centered
        self.initialAccumulatorValue = initialAccumulatorValue
        self.schedule = schedule
        self.gradientOptions = gradientOptions
    }

    /// A fresh optimizer (with empty state) for this description.
    public func makeOptimizer() throws -> any Optimizer {
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw NNError.invalidArgument("optimizer '\(name)': learning_rate must be positive, got \(learningRate)")
        }
        try schedule?.validate()
        switch name.lowercased() {
        case "sgd":
            return SGD(learningRate: learningRate ?? 0.01, momentum: momentum ?? 0, nesterov: nesterov ?? false,
                       schedule: schedule, gradientOptions: gradientOptions)
        case "adam":
            return Adam(learningRate: learningRate ?? 0.001, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999,
                        epsilon: epsilon ?? 1e-7, amsgrad: amsgrad ?? false, schedule: schedule, gradientOptions: gradientOptions)
        default:
            throw NNError.unknownName(kind: "optimizer", name: name, known: Self.knownNames)
        }
    }
}

extension OptimizerSpec: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, momentum, nesterov, epsilon, amsgrad, rho, centered, schedule
        case learningRate = "learning_rate", beta1 = "beta_1", beta2 = "beta_2"
        case initialAccumulatorValue = "initial_accumulator_value"
        case clipNorm = "clipnorm", globalClipNorm = "global_clipnorm", clipValue = "clipvalue"
        case weightDecay = "weight_decay"
    }

    /// A bare name (`"adam"`) or an object with `name` and settings; unknown keys are refused.
    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self.init(name: name)
            return
        }
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "optimizer")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name),
            learningRate: try c.decodeIfPresent(Float.self, forKey: .learningRate),
            momentum: try c.decodeIfPresent(Float.self, forKey: .momentum),
            nesterov: try c.decodeIfPresent(Bool.self, forKey: .nesterov),
            beta1: try c.decodeIfPresent(Float.self, forKey: .beta1),
            beta2: try c.decodeIfPresent(Float.self, forKey: .beta2),
            epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon),
            amsgrad: try c.decodeIfPresent(Bool.self, forKey: .amsgrad),
            rho: try c.decodeIfPresent(Float.self, forKey: .rho),
            centered: try c.decodeIfPresent(Bool.self, forKey: .centered),
            initialAccumulatorValue: try c.decodeIfPresent(Float.self, forKey: .initialAccumulatorValue),
            schedule: try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule),
            gradientOptions: GradientOptions(
                clipNorm: try c.decodeIfPresent(Float.self, forKey: .clipNorm),
                globalClipNorm: try c.decodeIfPresent(Float.self, forKey: .globalClipNorm),
                clipValue: try c.decodeIfPresent(Float.self, forKey: .clipValue),
                weightDecay: try c.decodeIfPresent(Float.self, forKey: .weightDecay)))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encodeIfPresent(momentum, forKey: .momentum)
        try c.encodeIfPresent(nesterov, forKey: .nesterov)
        try c.encodeIfPresent(beta1, forKey: .beta1)
        try c.encodeIfPresent(beta2, forKey: .beta2)
        try c.encodeIfPresent(epsilon, forKey: .epsilon)
        try c.encodeIfPresent(amsgrad, forKey: .amsgrad)
        try c.encodeIfPresent(rho, forKey: .rho)
        try c.encodeIfPresent(centered, forKey: .centered)
        try c.encodeIfPresent(initialAccumulatorValue, forKey: .initialAccumulatorValue)
        try c.encodeIfPresent(schedule, forKey: .schedule)
        try c.encodeIfPresent(gradientOptions.clipNorm, forKey: .clipNorm)
        try c.encodeIfPresent(gradientOptions.globalClipNorm, forKey: .globalClipNorm)
        try c.encodeIfPresent(gradientOptions.clipValue, forKey: .clipValue)
        try c.encodeIfPresent(gradientOptions.weightDecay, forKey: .weightDecay)
    }
}
