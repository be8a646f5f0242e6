/// Median and quartiles of a sample.
public struct Quartiles: Sendable, Hashable, Codable {
    public var q25: Double
    public var median: Double
    public var q75: Double

    /// Linear-interpolation percentiles (NumPy's default), so numbers compare with the Python
    /// reference scripts.
    public init(_ values: [Double]) {
        let s = values.sorted()
        func pct(_ p: Double) -> Double {
            guard !s.isEmpty else { return .nan }
            let pos = p / 100 * Double(s.count - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
            return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
        }
        q25 = pct(25)
        median = pct(50)
        q75 = pct(75)
    }
}

/// What one sampler achieved on one function over several seeds.
public struct BenchmarkResult: Sendable, Codable {
    public var sampler: String
    public var function: String
    public var seeds: Int
    public var evaluations: Int
    /// Regret (best found − optimum) after each checkpoint, over seeds.
    public var regretAt: [Int: Quartiles]
    /// Mean wall time of one `ask`, in milliseconds.
    public var suggestMs: Double
    /// Best-so-far regret after every evaluation, one curve per seed.
    public var curves: [[Double]]
}

/// Runs samplers on benchmark functions, sequentially (one trial at a time), and reports regret
/// and suggestion time. Printing is left to the CLI.
public struct BenchmarkRunner: Sendable {
    public var evaluations: Int
    public var seeds: [UInt64]
    public var checkpoints: [Int]

    public init(evaluations: Int = 100, seeds: [UInt64] = Array(0..<10), checkpoints: [Int] = [25, 50, 100]) {
        self.evaluations = evaluations
        self.seeds = seeds
        self.checkpoints = checkpoints.filter { $0 <= evaluations }
    }

    /// Runs `makeSampler(seed)` once per seed on `function`.
    public func run(
        sampler name: String, function: any BenchmarkFunction, makeSampler: (UInt64) -> any Sampler
    ) throws -> BenchmarkResult {
        var curves: [[Double]] = []
        var askTime = Duration.zero
        var asks = 0
        let clock = ContinuousClock()
        for seed in seeds {
            let sampler = makeSampler(seed)
            var history: [Trial] = []
            var best = Double.infinity
            var curve: [Double] = []
            for n in 0..<evaluations {
                let context = SamplingContext(space: function.space, direction: .minimize, history: history, trialNumber: n)
                var params = Parameters()
                askTime += try clock.measure { params = try sampler.ask(context) }
                asks += 1
                let value = try function.evaluate(params)
                history.append(Trial(number: n, state: .complete, params: params, value: value))
                best = min(best, value)
                curve.append(function.regret(best))
            }
            curves.append(curve)
        }
        var regretAt: [Int: Quartiles] = [:]
        for c in checkpoints { regretAt[c] = Quartiles(curves.map { $0[c - 1] }) }
        let seconds = Double(askTime.components.seconds) + Double(askTime.components.attoseconds) * 1e-18
        return BenchmarkResult(
            sampler: name, function: function.name, seeds: seeds.count, evaluations: evaluations,
            regretAt: regretAt, suggestMs: asks > 0 ? seconds * 1000 / Double(asks) : 0, curves: curves)
    }
}

extension BenchmarkRunner {
    /// Runs a named sampler (default options) on a named benchmark function.
    public func run(sampler kind: SamplerKind, function name: String) throws -> BenchmarkResult {
        let function = try BenchmarkFunctions.named(name)
        return try run(sampler: kind.rawValue, function: function) { kind.make(seed: $0) }
    }
}
