import TunaRandom

/// Independent uniform draws for every active parameter (log-uniform for log parameters,
/// snapped to steps and integers), from a stream fixed by the seed and the trial number.
public struct RandomSampler: Sampler, Codable, Hashable {
    public var seed: UInt64

    public init(seed: UInt64 = 0) {
        self.seed = seed
    }

    /// Draws depend on the seed and the trial number only.
    public var needsHistory: Bool { false }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber))
        let ordered = try context.space.orderedParameters()
        return context.space.assemble(ordered) { p, _ in p.domain.value(atUnit: rng.nextDouble()) }
    }
}
