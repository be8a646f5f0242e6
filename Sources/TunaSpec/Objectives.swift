import TunaBase
import TunaSearch

/// One metric a study optimises, with its direction.
public struct ObjectiveMetric: Sendable, Hashable, Codable {
    public var name: String
    public var direction: Direction

    /// Without a direction, the metric's usual one (``minimizedByDefault``, else maximize).
    public init(name: String, direction: Direction? = nil) {
        self.name = name
        self.direction = direction ?? (Self.minimizedByDefault.contains(name) ? .minimize : .maximize)
    }

    /// Metrics where smaller is better, so a study may name them without a direction; every
    /// other metric (accuracy, f1, r2, …) defaults to maximize.
    public static let minimizedByDefault: Set<String> = [
        "loss", "mse", "mae", "rmse", "log_loss", "inference_ms", "parameters", "model_size",
    ]
}

/// The samplers a multi-objective study may name in `search.algorithm`.
public enum MultiObjectiveSamplerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case nsga2, motpe, random, sobol, auto
}

/// What a study with several metrics adds to `search:`.
public struct MultiObjectiveSearch: Sendable, Hashable {
    public var sampler: MultiObjectiveSamplerKind
    public var populationSize: Int
    public var crossover: NSGAIISampler.Crossover
    /// Where the hypervolume is measured from, one value per metric in value space (a
    /// maximised metric's reference is a lower bound); `tuna best` prints the hypervolume
    /// only when the study declares one, since a made-up reference changes the number's meaning.
    public var referencePoint: [Double]?

    /// Above this budget `auto` takes NSGA-II: MOTPE sorts the whole history into fronts on
    /// every ask (O(M n²)): 9 ms per ask at 1,000 two-objective trials, 0.9 s at 10,000, where
    /// NSGA-II takes 2 and 21 ms (DESIGN.md, "Multi-objective"). Below it MOTPE is much better
    /// per trial (the hypervolume table there: 50–200 trials on ZDT and DTLZ2).
    public static let autoNSGAIIAbove = 1000

    /// The sampler for a study of `budget` trials.
    public func make(seed: UInt64, budget: Int) -> any MultiObjectiveSampler {
        switch sampler {
        case .nsga2: NSGAIISampler(seed: seed, populationSize: populationSize, crossover: crossover)
        case .motpe: MOTPESampler(seed: seed)
        case .random: SingleObjectiveAdapter(RandomSampler(seed: seed))
        case .sobol: SingleObjectiveAdapter(SobolSampler(seed: seed))
        case .auto:
            budget > Self.autoNSGAIIAbove
                ? NSGAIISampler(seed: seed, populationSize: populationSize, crossover: crossover)
                : MOTPESampler(seed: seed)
        }
    }
}

extension SearchSettings {
    /// At most this many metrics: each is one more column everywhere and one more dimension
    /// of the exact hypervolume, which is exponential in it.
    public static let maxObjectives = 8

    /// `metrics: [accuracy, {name: inference_ms, direction: minimize}]`, or the single
    /// `metric`/`direction` pair; the first metric is the one single-objective readers show.
    static func objectives(_ node: SpecNode) throws -> [ObjectiveMetric] {
        guard let list = node["metrics"] else {
            let metric = node["metric"]?.text ?? "loss"
            return [ObjectiveMetric(name: metric, direction: try direction(node["direction"]))]
        }
        if let clash = node["metric"] ?? node["direction"] {
            throw clash.error("'metrics' lists every metric with its direction; remove 'metric' and 'direction'")
        }
        guard case .sequence(let items, _) = list, !items.isEmpty else {
            throw list.error("'metrics' is a list of metric names or {name, direction} mappings")
        }
        guard items.count <= maxObjectives else {
            throw list.error("'metrics' lists \(items.count) metrics; at most \(maxObjectives) (the limit)")
        }
        var out: [ObjectiveMetric] = []
        for item in items {
            let metric: ObjectiveMetric
            if let name = item.text {
                metric = ObjectiveMetric(name: name)
            } else if case .mapping = item {
                try item.checkKeys(["name", "direction"], in: "a metric")
                guard let name = item["name"]?.text else { throw item.error("a metric needs a 'name'") }
                metric = ObjectiveMetric(name: name, direction: try direction(item["direction"]))
            } else {
                throw item.error("a metric is a name or a {name, direction} mapping")
            }
            guard !metric.name.isEmpty, metric.name.count <= 64,
                  metric.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw item.error("a metric name holds 1 to 64 letters, digits, '-', '_' and '.', got '\(metric.name)'")
            }
            guard !out.contains(where: { $0.name == metric.name }) else {
                throw item.error("metric '\(metric.name)' is listed twice")
            }
            out.append(metric)
        }
        return out
    }

    /// A declared direction, or nil for the metric's usual one.
    static func direction(_ node: SpecNode?) throws -> Direction? {
        guard let node else { return nil }
        guard let text = node.text, let direction = Direction(rawValue: text) else {
            throw node.error("direction is 'minimize' or 'maximize', got '\(node.text ?? "a non-scalar")'")
        }
        return direction
    }

    /// The multi-objective part of `search:`; the algorithm and options checked against the
    /// number of metrics, so a study that would fail at its first ask fails at load.
    static func multiObjective(_ node: SpecNode, objectives: [ObjectiveMetric]) throws -> MultiObjectiveSearch? {
        let algorithmName = node["algorithm"]?.text ?? "auto"
        let optionKeys = ["population_size", "crossover", "reference_point"]
        guard objectives.count > 1 else {
            if let kind = MultiObjectiveSamplerKind(rawValue: algorithmName), SamplerKind(rawValue: algorithmName) == nil {
                throw (node["algorithm"] ?? node).error("'\(kind.rawValue)' is a multi-objective sampler; list several 'metrics', or pick one of \(SamplerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let key = optionKeys.first(where: { node[$0] != nil }), let option = node[key] {
                throw option.error("'\(key)' is for multi-objective studies (several 'metrics')")
            }
            return nil
        }
        guard let kind = MultiObjectiveSamplerKind(rawValue: algorithmName) else {
            let known = MultiObjectiveSamplerKind.allCases.map(\.rawValue)
            var message = "'\(algorithmName)' optimises one metric; a study with \(objectives.count) metrics takes one of \(known.joined(separator: ", "))"
            if SamplerKind(rawValue: algorithmName) == nil, let near = nearestName(to: algorithmName, in: known) {
                message = "unknown search algorithm '\(algorithmName)' (did you mean '\(near)'?); known for several metrics: \(known.joined(separator: ", "))"
            }
            throw (node["algorithm"] ?? node).error(message)
        }
        if let pruner = node["pruner"] {
            throw pruner.error("a pruner compares one metric over epochs; a study with several metrics cannot use one (remove 'pruner')")
        }
        var search = MultiObjectiveSearch(sampler: kind, populationSize: 50, crossover: .uniform, referencePoint: nil)
        for key in ["population_size", "crossover"] where node[key] != nil && kind != .nsga2 && kind != .auto {
            if let option = node[key] { throw option.error("'\(key)' is an NSGA-II option; 'algorithm' is \(kind.rawValue)") }
        }
        search.populationSize = try integer(node, "population_size", default: 50, minimum: 2, maximum: 10_000)
        if let crossover = node["crossover"] {
            guard let text = crossover.text, let value = NSGAIISampler.Crossover(rawValue: text) else {
                throw crossover.error("'crossover' is \(NSGAIISampler.Crossover.allCases.map(\.rawValue).joined(separator: " or ")), got '\(crossover.text ?? "a non-scalar")'")
            }
            search.crossover = value
        }
        if let reference = node["reference_point"] {
            guard case .sequence(let items, _) = reference, items.count == objectives.count else {
                throw reference.error("'reference_point' is a list of \(objectives.count) numbers, one per metric (\(objectives.map(\.name).joined(separator: ", ")))")
            }
            search.referencePoint = try items.map { item in
                guard let value = item.text.flatMap(Double.init), value.isFinite else {
                    throw item.error("a reference point value is a finite number, got '\(item.text ?? "a non-scalar")'")
                }
                return value
            }
        }
        return search
    }
}

extension Study {
    /// NSGA-II breeds from its second generation on: with fewer trials than two populations
    /// most of the budget is random search, which a user who picked NSGA-II does not expect.
    public func samplerWarnings() -> [SpecWarning] {
        guard let multi = search.multiObjective,
              multi.make(seed: 0, budget: search.trials) is NSGAIISampler,
              search.trials < 2 * multi.populationSize else { return [] }
        let searchNode = (try? SpecNode.parse(yaml: text, file: file))?["search"]
        let node = searchNode?["population_size"] ?? searchNode?["algorithm"] ?? searchNode
        return [SpecWarning(
            location: node?.location, file: file,
            message: "NSGA-II's first generation (population_size \(multi.populationSize)) is random and breeding starts after it; \(search.trials) trials leave \(max(0, search.trials - multi.populationSize)) bred ones (lower population_size, or use motpe)")]
    }
}
