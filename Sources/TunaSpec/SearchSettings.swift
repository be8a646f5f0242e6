import TunaBase
import TunaSearch

/// The `search:` section: how to propose trials, how many, and how to score them.
public struct SearchSettings: Sendable, Hashable {
    public var algorithm: SamplerKind
    /// The metric a trial is ranked by (its mean over folds).
    public var metric: String
    public var direction: Direction
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
        "pruner", "parameters", "max_attempts",
    ]

    init(_ node: SpecNode) throws {
        try node.checkKeys(Self.keys, in: "search")
        let algorithmName = node["algorithm"]?.text ?? "auto"
        guard let algorithm = SamplerKind(rawValue: algorithmName) else {
            let known = SamplerKind.allCases.map(\.rawValue)
            var message = "unknown search algorithm '\(algorithmName)'"
            if let near = nearestName(to: algorithmName, in: known) { message += " (did you mean '\(near)'?)" }
            throw (node["algorithm"] ?? node).error(message + "; known: \(known.joined(separator: ", "))")
        }
        self.algorithm = algorithm
        metric = node["metric"]?.text ?? "loss"
        let directionName = node["direction"]?.text ?? (["loss", "mse", "mae", "rmse", "log_loss"].contains(metric) ? "minimize" : "maximize")
        guard let direction = Direction(rawValue: directionName) else {
            throw (node["direction"] ?? node).error("direction is 'minimize' or 'maximize', got '\(directionName)'")
        }
        self.direction = direction
        folds = try Self.integer(node, "folds", default: 5, minimum: 1)
        trials = try Self.integer(node, "trials", default: 20, minimum: 1)
        seed = UInt64(try Self.integer(node, "seed", default: 0, minimum: 0))
        gridPoints = try Self.integer(node, "grid_points", default: 5, minimum: 2)
        maxAttempts = try Self.integer(node, "max_attempts", default: 3, minimum: 1)
        if let budget = node["time_budget"] {
            guard let seconds = budget.text.flatMap(Double.init), seconds > 0 else {
                throw budget.error("'time_budget' is a positive number of seconds")
            }
            timeBudget = seconds
        }
        pruner = try node["pruner"].map(PrunerParser.config)
        guard let parameters = node["parameters"] else { throw node.error("search needs 'parameters'") }
        space = try ParameterParser.space(parameters)
    }

    static func integer(_ node: SpecNode, _ key: String, default value: Int, minimum: Int) throws -> Int {
        guard let child = node[key] else { return value }
        guard let text = child.text, let number = Int(text), number >= minimum else {
            throw child.error("'\(key)' is an integer of at least \(minimum)")
        }
        return number
    }
}

/// Reads `pruner:` into TunaSearch's pruner configuration: a name (`median`) or a one-key
/// mapping with settings (`{median: {warmup_steps: 1}}`).
enum PrunerParser {
    static let names = ["none", "median", "percentile", "successive_halving", "asha", "hyperband"]

    static func config(_ node: SpecNode) throws -> PrunerConfig {
        let name: String
        let settings: SpecNode?
        if let text = node.text {
            name = text
            settings = nil
        } else {
            let entries = try node.entries("pruner")
            guard entries.count == 1, let entry = entries.first else { throw node.error("a pruner is a name or a one-key mapping") }
            name = entry.key
            settings = entry.value.isNull ? nil : entry.value
        }
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let child = settings?[key] else { return fallback }
            guard let number = child.text.flatMap(Int.init), number >= 0 else { throw child.error("'\(key)' is a non-negative integer") }
            return number
        }
        switch name {
        case "none":
            return .none
        case "median":
            try settings?.checkKeys(["startup_trials", "warmup_steps", "interval_steps"], in: "median pruner")
            return .median(MedianPruner(
                startupTrials: try int("startup_trials", 5), warmupSteps: try int("warmup_steps", 0),
                intervalSteps: max(1, try int("interval_steps", 1))))
        case "percentile":
            try settings?.checkKeys(["percentile", "startup_trials", "warmup_steps", "interval_steps"], in: "percentile pruner")
            let percentileNode = settings?["percentile"]
            let p = percentileNode?.text.flatMap(Double.init) ?? 25
            guard (0...100).contains(p) else { throw (percentileNode ?? node).error("'percentile' is in [0, 100]") }
            return .percentile(PercentilePruner(
                percentile: p, startupTrials: try int("startup_trials", 5), warmupSteps: try int("warmup_steps", 0),
                intervalSteps: max(1, try int("interval_steps", 1))))
        case "successive_halving", "asha":
            try settings?.checkKeys(["min_resource", "reduction_factor"], in: "successive halving pruner")
            let factor = try int("reduction_factor", 4)
            guard factor >= 2 else { throw (settings ?? node).error("'reduction_factor' is at least 2") }
            return .successiveHalving(SuccessiveHalvingPruner(minResource: settings?["min_resource"] == nil ? nil : try int("min_resource", 1), reductionFactor: factor))
        case "hyperband":
            try settings?.checkKeys(["min_resource", "max_resource", "reduction_factor"], in: "hyperband pruner")
            let factor = try int("reduction_factor", 3)
            guard factor >= 2 else { throw (settings ?? node).error("'reduction_factor' is at least 2") }
            return .hyperband(HyperbandPruner(
                minResource: max(1, try int("min_resource", 1)),
                maxResource: settings?["max_resource"] == nil ? nil : try int("max_resource", 81), reductionFactor: factor))
        default:
            var message = "unknown pruner '\(name)'"
            if let near = nearestName(to: name, in: names) { message += " (did you mean '\(near)'?)" }
            throw node.error(message + "; known: \(names.joined(separator: ", "))")
        }
    }
}
