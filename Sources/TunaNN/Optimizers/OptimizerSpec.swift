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

    /// The settings each optimizer takes besides learning_rate, schedule, clipping and weight
    /// decay (Keras's constructor arguments; Keras refuses any other argument).
    static let settings: [String: Set<String>] = [
        "sgd": ["momentum", "nesterov"],
        "adam": ["beta_1", "beta_2", "epsilon", "amsgrad"],
        "adamw": ["beta_1", "beta_2", "epsilon", "amsgrad"],
        "rmsprop": ["rho", "momentum", "epsilon", "centered"],
        "adagrad": ["initial_accumulator_value", "epsilon"],
        "adadelta": ["rho", "epsilon"],
    ]

    /// The optimizer-specific settings this spec sets, by their file names.
    private var setSettings: [String] {
        var names: [String] = []
        if momentum != nil { names.append("momentum") }
        if nesterov != nil { names.append("nesterov") }
        if beta1 != nil { names.append("beta_1") }
        if beta2 != nil { names.append("beta_2") }
        if epsilon != nil { names.append("epsilon") }
        if amsgrad != nil { names.append("amsgrad") }
        if rho != nil { names.append("rho") }
        if centered != nil { names.append("centered") }
        if initialAccumulatorValue != nil { names.append("initial_accumulator_value") }
        return names
    }

    /// A fresh optimizer (with empty state) for this description.
    ///
    /// Refuses, with the optimizer and setting named: an unknown optimizer (with the nearest known
    /// name), a setting the optimizer does not take (Keras: "Argument(s) not recognized"), more
    /// than one kind of clipping (Keras: "Only one of `clipnorm`, `clipvalue` and
    /// `global_clipnorm` can be set"), and values that would make the update NaN or meaningless.
    public func makeOptimizer() throws -> any Optimizer {
        let kind = name.lowercased()
        guard let accepted = Self.settings[kind] else {
            throw NNError.unknownName(kind: "optimizer", name: name, known: Self.knownNames)
        }
        for setting in setSettings where !accepted.contains(setting) {
            throw NNError.invalidArgument(
                "optimizer '\(name)' has no setting '\(setting)'; it takes: "
                    + (["learning_rate"] + accepted.sorted()).joined(separator: ", "))
        }
        try validate()
        switch kind {
        case "sgd":
            return SGD(learningRate: learningRate ?? 0.01, momentum: momentum ?? 0, nesterov: nesterov ?? false,
                       schedule: schedule, gradientOptions: gradientOptions)
        case "adam":
            return Adam(learningRate: learningRate ?? 0.001, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999,
                        epsilon: epsilon ?? 1e-7, amsgrad: amsgrad ?? false, schedule: schedule, gradientOptions: gradientOptions)
        case "adamw":
            return AdamW(learningRate: learningRate ?? 0.001, weightDecay: gradientOptions.weightDecay ?? 0.004,
                         beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-7, amsgrad: amsgrad ?? false,
                         schedule: schedule, gradientOptions: gradientOptions)
        case "rmsprop":
            return RMSprop(learningRate: learningRate ?? 0.001, rho: rho ?? 0.9, momentum: momentum ?? 0,
                           epsilon: epsilon ?? 1e-7, centered: centered ?? false, schedule: schedule,
                           gradientOptions: gradientOptions)
        case "adagrad":
            return Adagrad(learningRate: learningRate ?? 0.001, initialAccumulatorValue: initialAccumulatorValue ?? 0.1,
                           epsilon: epsilon ?? 1e-7, schedule: schedule, gradientOptions: gradientOptions)
        case "adadelta":
            return Adadelta(learningRate: learningRate ?? 0.001, rho: rho ?? 0.95, epsilon: epsilon ?? 1e-7,
                            schedule: schedule, gradientOptions: gradientOptions)
        default:
            throw NNError.unknownName(kind: "optimizer", name: name, known: Self.knownNames)
        }
    }

    /// Range checks on the values that are set.
    private func validate() throws {
        func check(_ value: Float?, _ key: String, _ range: String, _ valid: (Float) -> Bool) throws {
            guard let value else { return }
            guard value.isFinite, valid(value) else {
                throw NNError.invalidArgument("optimizer '\(name)': \(key) must be \(range), got \(value)")
            }
        }
        try check(learningRate, "learning_rate", "positive", { $0 > 0 })
        // Keras's SGD refuses momentum outside [0, 1].
        try check(momentum, "momentum", "in [0, 1]", { $0 >= 0 && $0 <= 1 })
        // beta = 1 makes Adam's bias correction 1 - beta^t zero.
        try check(beta1, "beta_1", "in [0, 1)", { $0 >= 0 && $0 < 1 })
        try check(beta2, "beta_2", "in [0, 1)", { $0 >= 0 && $0 < 1 })
        try check(rho, "rho", "in [0, 1)", { $0 >= 0 && $0 < 1 })
        try check(epsilon, "epsilon", "at least 0", { $0 >= 0 })
        // Keras: "Starting value for the accumulators ... Must be non-negative."
        try check(initialAccumulatorValue, "initial_accumulator_value", "at least 0", { $0 >= 0 })
        try check(gradientOptions.clipNorm, "clipnorm", "positive", { $0 > 0 })
        try check(gradientOptions.globalClipNorm, "global_clipnorm", "positive", { $0 > 0 })
        try check(gradientOptions.clipValue, "clipvalue", "positive", { $0 > 0 })
        try check(gradientOptions.weightDecay, "weight_decay", "at least 0", { $0 >= 0 })
        let clips = [("clipnorm", gradientOptions.clipNorm), ("global_clipnorm", gradientOptions.globalClipNorm),
                     ("clipvalue", gradientOptions.clipValue)].filter { $0.1 != nil }.map(\.0)
        if clips.count > 1 {
            throw NNError.invalidArgument(
                "optimizer '\(name)': only one of clipnorm, global_clipnorm and clipvalue can be set, got \(clips.joined(separator: " and "))")
        }
        try schedule?.validate()
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
