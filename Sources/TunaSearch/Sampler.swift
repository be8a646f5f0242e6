/// What a sampler is told when asked for the next trial's parameters.
public struct SamplingContext: Sendable, Hashable, Codable {
    public var space: SearchSpace
    public var direction: Direction
    /// Finished trials (any state; samplers learn from the complete ones).
    public var history: [Trial]
    /// Parameters of trials handed out but not finished yet, so that parallel workers get
    /// different points.
    public var running: [Parameters]
    /// Number of the trial being asked for; seeds the per-ask random stream.
    public var trialNumber: Int

    public init(
        space: SearchSpace, direction: Direction = .minimize, history: [Trial] = [],
        running: [Parameters] = [], trialNumber: Int? = nil
    ) {
        self.space = space
        self.direction = direction
        self.history = history
        self.running = running
        self.trialNumber = trialNumber ?? (history.count + running.count)
    }

    /// Complete trials with finite values, as (params, loss) with the loss to be minimised, and
    /// diverged failures with the worst loss of the complete ones.
    ///
    /// A diverged configuration (a learning rate that blows the loss up) fails the same way
    /// every time; left out, it looks unexplored to the model and is proposed again. As the
    /// worst loss seen it pushes the model away from that region without distorting the scale
    /// of the others (an infinite or huge stand-in would). With no complete trial yet there is
    /// no scale, and diverged trials are left out.
    public var observations: [(params: Parameters, loss: Double)] {
        var out: [(params: Parameters, loss: Double)] = history.compactMap { t in
            guard t.isUsable, let v = t.value else { return nil }
            return (t.params, direction.loss(v))
        }
        if let worst = out.map(\.loss).max() {
            for t in history where t.isDivergedFailure { out.append((t.params, worst)) }
        }
        return out
    }
}

/// Errors a sampler reports instead of a suggestion.
public enum SamplerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every grid point has been handed out (finished or running).
    case exhausted(points: Int)
    /// The grid would be too large to enumerate.
    case gridTooLarge(points: Double, limit: Int)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .exhausted(let n): return "the grid's \(n) points have all been handed out"
        case .gridTooLarge(let n, let l):
            let count = n < 1e15 ? String(Int(n.rounded())) : String(n)
            return "the grid has \(count) points, more than the limit of \(l); lower grid_points or narrow the ranges"
        case .invalidOption(let s): return s
        }
    }
}

/// Proposes parameters for the next trial.
///
/// Samplers are immutable values: everything they know comes through the context, so a
/// suggestion depends only on (seed, space, history, running trials, trial number), which makes
/// runs reproducible and lets a resumed study carry on exactly. `tell` exists for samplers that
/// want to cache work; the default does nothing.
public protocol Sampler: Sendable {
    /// Parameters for trial `context.trialNumber` (inactive conditional parameters absent).
    func ask(_ context: SamplingContext) throws -> Parameters
    /// Hears about a finished trial (default: nothing to do).
    func tell(_ trial: Trial)
    /// Whether `ask` reads `context.history` (default: yes). A sampler that does not lets the
    /// scheduler keep no list of finished trials, so its memory stays flat over millions.
    var needsHistory: Bool { get }
}

extension Sampler {
    public func tell(_ trial: Trial) {}
    public var needsHistory: Bool { true }

    /// Convenience: ask with a space and a history, minimising.
    public func ask(
        space: SearchSpace, history: [Trial] = [], running: [Parameters] = [],
        direction: Direction = .minimize
    ) throws -> Parameters {
        try ask(SamplingContext(space: space, direction: direction, history: history, running: running))
    }
}
