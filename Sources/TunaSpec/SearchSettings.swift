import TunaBase
import TunaSearch

/// The `search:` section: how to propose trials, how many, and how to score them.
public struct SearchSettings: Sendable, Hashable {
    /// The single-objective sampler (`auto` and unused when `multiObjective` is set).
    public var algorithm: SamplerKind
    /// The metric a trial is ranked by (its mean over folds): the first of `objectives`, which
    /// is what readers that know one metric (ranking, dashboard, report) show.
    public var metric: String
    public var direction: Direction
    /// Every metric the study optimises, in the study's order (one for most studies).
    public var objectives: [ObjectiveMetric]
    /// Set when `metrics` lists several: the study searches for a Pareto front.
    public var multiObjective: MultiObjectiveSearch?
    public var folds: Int
    /// Trial budget (finished trials: complete, pruned or failed).
    public var trials: Int
    /// Wall-clock budget in seconds, if any.
    public var timeBudget: Double?
    public var seed: UInt64
    /// Points per float parameter for the grid sampler.
    public var gridPoints: Int
    public var pruner: PrunerConfig?
    /// Attempts per trial before it is marked failed (a worker died, or the trial errored).
    public var maxAttempts: Int
    public var space: SearchSpace

    static let keys = [
        "algorithm", "metric", "direction", "folds", "trials", "time_budget", "seed", "grid_points",
        "pruner", "parameters", "max_attempts", "metrics", "population_size", "crossover", "reference_point",
    ]

    init(_ node: SpecNode, studyName: String) throws {
        try node.checkKeys(Self.keys, in: "search")
        objectives = try Self.objectives(node)
        multiObjective = try Self.multiObjective(node, objectives: objectives)
        let algorithmName = multiObjective == nil ? node["algorithm"]?.text ?? "auto" : "auto"
        guard let algorithm = SamplerKind(rawValue: algorithmName) else {
            let known = SamplerKind.allCases.map(\.rawValue)
            var message = "unknown search algorithm '\(algorithmName)'"
            if let near = nearestName(to: algorithmName, in: known) { message += " (did you mean '\(near)'?)" }
            throw (node["algorithm"] ?? node).error(message + "; known: \(known.joined(separator: ", "))")
        }
        self.algorithm = algorithm
        metric = objectives[0].name
        direction = objectives[0].direction
        folds = try Self.integer(node, "folds", default: 5, minimum: 1, maximum: StudyLimits.maxFolds)
        trials = try Self.integer(node, "trials", default: 20, minimum: 1, maximum: StudyLimits.maxTrials)
        seed = UInt64(try Self.integer(node, "seed", default: 0, minimum: 0, maximum: Int.max))
        gridPoints = try Self.integer(node, "grid_points", default: 5, minimum: 2, maximum: StudyLimits.maxGridPoints)
        maxAttempts = try Self.integer(node, "max_attempts", default: 3, minimum: 1, maximum: 100)
        if let budget = node["time_budget"] {
            guard let seconds = budget.text.flatMap(Double.init), seconds > 0, seconds <= StudyLimits.maxSeconds else {
                throw budget.error("'time_budget' is a positive number of seconds, at most \(Int(StudyLimits.maxSeconds)) (a year)")
            }
            timeBudget = seconds
        }
        if let prunerNode = node["pruner"] {
            var config = try prunerNode.decode(PrunerConfig.self, what: "pruner")
            // Hyperband assigns trials to brackets by hashing the study's name, as Optuna does.
            if case .hyperband(var hyperband) = config, hyperband.studyName.isEmpty {
                hyperband.studyName = studyName
                config = .hyperband(hyperband)
            }
            pruner = config
        }
        guard let parameters = node["parameters"] else { throw node.error("search needs 'parameters'") }
        space = try ParameterParser.space(parameters)
    }

    /// An integer setting in `minimum...maximum`; `Int(text)` refuses what does not fit in Int
    /// rather than trapping, and the bound keeps later arithmetic (budgets, grids) from overflowing.
    static func integer(_ node: SpecNode, _ key: String, default value: Int, minimum: Int, maximum: Int) throws -> Int {
        guard let child = node[key] else { return value }
        guard let text = child.text, let number = Int(text), number >= minimum, number <= maximum else {
            throw child.error(maximum == Int.max
                ? "'\(key)' is an integer of at least \(minimum)"
                : "'\(key)' is an integer from \(minimum) to \(maximum) (the limit)")
        }
        return number
    }
}
