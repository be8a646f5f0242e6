/// A sampler that proposes several points at once more cheaply than by asking once per point
/// (a GP fitted once, then conditioned on its own proposals as running trials).
///
/// Additive to `Sampler`: the scheduler asks for a batch when many workers wait, and a sampler
/// without this conformance is asked point by point through `Sampler.askSequence`.
public protocol BatchSampler: Sampler {
    /// `count` points for trials `context.trialNumber`, `+1`, …; each must be what `ask` would
    /// propose if the points before it were running (so a batch is as diverse as a parallel
    /// study's asks are).
    func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters]
}

extension Sampler {
    /// `count` proposals, each asked with the ones before it added to the running trials and
    /// the trial number advanced: what `count` asks in a row would give if no trial finished
    /// between them (the parallel strategy — kriging believer, constant liar — spreads them).
    /// A sampler that throws part-way returns what it proposed, or rethrows if nothing.
    public func askSequence(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        if let batch = self as? any BatchSampler { return try batch.askBatch(context, count: count) }
        return try askInSequence(context, count: count, ask)
    }
}

extension MultiObjectiveSampler {
    /// `count` proposals asked one after another, as ``Sampler/askSequence(_:count:)``.
    public func askSequence(_ context: MultiObjectiveContext, count: Int) throws -> [Parameters] {
        try askInSequence(context, count: count, ask)
    }
}

/// What `askInSequence` advances between asks.
protocol AskedInSequence {
    var running: [Parameters] { get set }
    var trialNumber: Int { get set }
}

extension SamplingContext: AskedInSequence {}
extension MultiObjectiveContext: AskedInSequence {}

/// Each point asked with the ones before it added to the running trials and the trial number
/// advanced; a sampler that throws part-way gives what it proposed, or the error if nothing.
func askInSequence<Context: AskedInSequence>(
    _ context: Context, count: Int, _ ask: (Context) throws -> Parameters
) throws -> [Parameters] {
    var context = context
    var proposals: [Parameters] = []
    for _ in 0..<max(count, 0) {
        let params: Parameters
        do {
            params = try ask(context)
        } catch {
            if proposals.isEmpty { throw error }
            return proposals
        }
        proposals.append(params)
        context.running.append(params)
        context.trialNumber += 1
    }
    return proposals
}
