/// The default sampler: Bayesian optimisation while the space suits a GP (at most
/// `maxBayesianDimensions` searchable parameters and no conditions), TPE otherwise.
///
/// A GP's cost and its need for data grow with the dimension, and the GP encoding has no good
/// answer for inactive parameters; TPE handles both. The choice depends on the space only, so a
/// study never switches sampler halfway; budget and parallelism do not enter it (both samplers
/// account for running trials, and the GP's suggestion time is bounded at long histories).
///
/// Checked on `tuna bench search --suite` (docs/DESIGN.md): on its 20 unconditional spaces of
/// 2–10 parameters, five with ints and categoricals, the GP beat TPE @50 on 15; TPE won on
/// rugged objectives (Rastrigin, Schaffers, Griewank–Rosenbrock, the attractive sector), which
/// the space does not reveal, so no class of these spaces is sent to TPE.
public struct AutoSampler: Sampler, Codable, Hashable {
    public var seed: UInt64
    public var maxBayesianDimensions: Int

    public init(seed: UInt64 = 0, maxBayesianDimensions: Int = 12) {
        self.seed = seed
        self.maxBayesianDimensions = maxBayesianDimensions
    }

    /// The sampler this one delegates to for `space`.
    public func choice(for space: SearchSpace) -> any Sampler {
        if !space.isConditional && space.searchableCount <= maxBayesianDimensions {
            return BayesianSampler(seed: seed)
        }
        return TPESampler(seed: seed)
    }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        try choice(for: context.space).ask(context)
    }
}

/// The samplers by name, as study files and `tuna bench search` spell them.
public enum SamplerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case grid, random, sobol, bayesian, tpe, auto

    /// A sampler of this kind with default options.
    public func make(seed: UInt64) -> any Sampler {
        switch self {
        case .grid: return GridSampler(seed: seed)
        case .random: return RandomSampler(seed: seed)
        case .sobol: return SobolSampler(seed: seed)
        case .bayesian: return BayesianSampler(seed: seed)
        case .tpe: return TPESampler(seed: seed)
        case .auto: return AutoSampler(seed: seed)
        }
    }
}
