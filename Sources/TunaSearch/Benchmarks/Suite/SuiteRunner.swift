/// What one sampler did on one suite function over its instances (one instance per seed).
public struct SuiteResult: Sendable, Codable {
    public var sampler: String
    public var function: String
    /// Best-so-far regret after every evaluation, one curve per seed.
    public var curves: [[Double]]
    /// Proposals after the start-up trials with a float coordinate within 1% of a bound.
    public var boundaryFraction: Double
    /// Proposals after the start-up trials within 1e-3 (unit scale, every coordinate) of an
    /// earlier trial.
    public var duplicateFraction: Double
    /// Mean time of one `ask`, in milliseconds.
    public var suggestMs: Double

    public init(
        sampler: String, function: String, curves: [[Double]], boundaryFraction: Double,
        duplicateFraction: Double, suggestMs: Double
    ) {
        self.sampler = sampler
        self.function = function
        self.curves = curves
        self.boundaryFraction = boundaryFraction
        self.duplicateFraction = duplicateFraction
        self.suggestMs = suggestMs
    }

    /// Median and quartiles of the regret after `n` evaluations (nil past the curves' end).
    public func regret(at n: Int) -> Quartiles? {
        guard n >= 1, let first = curves.first, first.count >= n else { return nil }
        return Quartiles(curves.map { $0[n - 1] })
    }
}

/// Runs samplers sequentially on suite instances and measures, besides regret, the two symptoms
/// issue #14 found in the GP sampler: proposals pressed against a bound and proposals repeating
/// an earlier point.
public struct SuiteRunner: Sendable {
    public var evaluations: Int
    /// Trials before the diagnostics start counting (the samplers' space-filling start).
    public var startup: Int

    public init(evaluations: Int = 100, startup: Int = 10) {
        self.evaluations = evaluations
        self.startup = startup
    }

    public func run(
        sampler name: String, instances: [SuiteInstance], makeSampler: (UInt64) -> any Sampler
    ) throws -> SuiteResult {
        var curves: [[Double]] = []
        var counted = 0, atBound = 0, duplicates = 0
        var askTime = Duration.zero
        var asks = 0
        let clock = ContinuousClock()
        for instance in instances {
            let sampler = makeSampler(instance.seed)
            let space = instance.space
            let encoding = FeatureEncoding(space: space)
            var history: [Trial] = []
            var seen: [[Double]] = []
            var best = Double.infinity
            var curve: [Double] = []
            for n in 0..<evaluations {
                let context = SamplingContext(space: space, direction: .minimize, history: history, trialNumber: n)
                var params = Parameters()
                askTime += try clock.measure { params = try sampler.ask(context) }
                asks += 1
                let f = encoding.encode(params)
                if n >= startup {
                    counted += 1
                    var bound = false
                    for c in 0..<f.count {
                        if case .continuous = encoding.kinds[c], f[c] < 0.01 || f[c] > 0.99 { bound = true }
                    }
                    if bound { atBound += 1 }
                    if seen.contains(where: { zip($0, f).allSatisfy { abs($0 - $1) < 1e-3 } }) { duplicates += 1 }
                }
                seen.append(f)
                let value = try instance.evaluate(params)
                history.append(Trial(number: n, state: .complete, params: params, value: value))
                best = min(best, value)
                curve.append(instance.regret(best))
            }
            curves.append(curve)
        }
        let seconds = Double(askTime.components.seconds) + Double(askTime.components.attoseconds) * 1e-18
        return SuiteResult(
            sampler: name, function: instances.first?.function ?? "", curves: curves,
            boundaryFraction: counted > 0 ? Double(atBound) / Double(counted) : 0,
            duplicateFraction: counted > 0 ? Double(duplicates) / Double(counted) : 0,
            suggestMs: asks > 0 ? seconds * 1000 / Double(asks) : 0)
    }
}
