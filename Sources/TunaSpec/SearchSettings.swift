import TunaNN
import TunaSearch

/// The `search:` section: how to propose trials, how many, and how to score them.
public struct SearchSettings: Sendable, Hashable {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable, Codable {
        case auto, grid, random, sobol, bayesian, tpe
    }

    public var algorithm: Algorithm
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
    public var pruner: PrunerSpec?
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
        guard let algorithm = Algorithm(rawValue: algorithmName) else {
            let known = Algorithm.allCases.map(\.rawValue)
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
        pruner = try node["pruner"].map(PrunerSpec.init)
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

/// Early stopping of unpromising trials on their intermediate values (per epoch or fold).
public enum PrunerSpec: Sendable, Hashable, Codable {
    /// Prune when the trial's value at a step is worse than the median of earlier trials there.
    case median(startupTrials: Int, warmupSteps: Int)
    /// Like median at another percentile (25 prunes more, 75 less).
    case percentile(Double, startupTrials: Int, warmupSteps: Int)
    /// Asynchronous successive halving.
    case successiveHalving(minResource: Int, reductionFactor: Int)
    /// Brackets of successive halving.
    case hyperband(minResource: Int, maxResource: Int, reductionFactor: Int)

    static let names = ["median", "percentile", "successive_halving", "asha", "hyperband"]

    init(_ node: SpecNode) throws {
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
        func value(_ key: String, _ fallback: Double) throws -> Double {
            guard let child = settings?[key] else { return fallback }
            guard let number = child.text.flatMap(Double.init) else { throw child.error("'\(key)' is a number") }
            return number
        }
        switch name {
        case "median":
            try settings?.checkKeys(["startup_trials", "warmup_steps"], in: "median pruner")
            self = .median(startupTrials: Int(try value("startup_trials", 5)), warmupSteps: Int(try value("warmup_steps", 0)))
        case "percentile":
            try settings?.checkKeys(["percentile", "startup_trials", "warmup_steps"], in: "percentile pruner")
            let p = try value("percentile", 25)
            guard (0...100).contains(p) else { throw (settings ?? node).error("'percentile' is in [0, 100]") }
            self = .percentile(p, startupTrials: Int(try value("startup_trials", 5)), warmupSteps: Int(try value("warmup_steps", 0)))
        case "successive_halving", "asha":
            try settings?.checkKeys(["min_resource", "reduction_factor"], in: "successive halving pruner")
            self = .successiveHalving(minResource: Int(try value("min_resource", 1)), reductionFactor: Int(try value("reduction_factor", 3)))
        case "hyperband":
            try settings?.checkKeys(["min_resource", "max_resource", "reduction_factor"], in: "hyperband pruner")
            self = .hyperband(
                minResource: Int(try value("min_resource", 1)), maxResource: Int(try value("max_resource", 81)),
                reductionFactor: Int(try value("reduction_factor", 3)))
        default:
            var message = "unknown pruner '\(name)'"
            if let near = nearestName(to: name, in: Self.names) { message += " (did you mean '\(near)'?)" }
            throw node.error(message + "; known: \(Self.names.joined(separator: ", "))")
        }
    }
}
