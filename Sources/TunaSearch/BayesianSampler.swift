import TunaRandom

/// How the Bayesian sampler accounts for trials that are running (handed out, no value yet).
public enum ParallelStrategy: String, Sendable, Hashable, Codable {
    /// Pretend each running trial returned the GP's posterior mean there (kriging believer):
    /// the variance collapses at that point, so the next worker is sent elsewhere.
    case krigingBeliever = "kriging_believer"
    /// Pretend each running trial returned the worst loss seen so far (pessimistic constant
    /// liar): pushes parallel workers further apart.
    case constantLiar = "constant_liar"
}

/// Gaussian-process Bayesian optimisation with log expected improvement.
///
/// - The first `startupTrials` suggestions are scrambled Sobol' points (a space-filling design),
///   or more while over four times as many trials run as have finished (many workers).
/// - Then: inputs scaled to the unit cube (log where declared; see ``FeatureEncoding``),
///   losses warped and standardised (``OutputWarping``) with the GP's prior mean one standard
///   deviation above their mean (`pessimism`), a Matérn-5/2 ARD GP with hyperparameters
///   fitted by maximum a posteriori marginal likelihood (``GPFitter``), running trials added as
///   fake observations (``ParallelStrategy``), and log EI maximised by ``AcquisitionOptimizer``
///   inside a trust region around the best trial (``TrustRegion``), never on a point already
///   evaluated or running.
///
/// The defaults were chosen on `tuna bench search --suite` (docs/DESIGN.md has the table):
/// before them, most proposals sat on a bound of the box and some repeated the incumbent.
///
/// Cost control for long studies (the suggestion budget is 20 ms at 200 trials): the model
/// conditions on at most `maxModelPoints` observations and the hyperparameters are fitted on at
/// most `maxFitPoints` of them (the best half of that budget plus an even, seeded spread of the
/// rest), because the fit is the dominant O(n³ × iterations) cost while conditioning is a single
/// O(n³) Cholesky. All of it is float64.
public struct BayesianSampler: Sampler, Codable, Hashable {
    public var seed: UInt64
    public var startupTrials: Int
    public var parallelStrategy: ParallelStrategy
    public var maxModelPoints: Int
    public var maxFitPoints: Int
    public var hyperparameterRestarts: Int
    public var candidates: Int
    public var minimumNoise: Double
    /// Whether losses are warped (Yeo–Johnson) before the fit; see ``OutputWarping``.
    public var warpOutputs: Bool
    public var lengthscalePrior: LengthscalePrior
    /// Where the GP's prior mean sits, in standard deviations above the mean loss.
    public var pessimism: Double
    /// Whether the acquisition is maximised inside a trust region around the best trial
    /// (``TrustRegion``) rather than over the whole box.
    public var trustRegion: Bool

    public init(
        seed: UInt64 = 0, startupTrials: Int = 10, parallelStrategy: ParallelStrategy = .krigingBeliever,
        maxModelPoints: Int = 300, maxFitPoints: Int = 64, hyperparameterRestarts: Int = 3,
        candidates: Int = 1024, minimumNoise: Double = 1e-8, warpOutputs: Bool = true,
        lengthscalePrior: LengthscalePrior = .optuna, pessimism: Double = 1, trustRegion: Bool = true
    ) {
        self.trustRegion = trustRegion
        self.pessimism = pessimism
        self.warpOutputs = warpOutputs
        self.lengthscalePrior = lengthscalePrior
        self.seed = seed
        self.startupTrials = startupTrials
        self.parallelStrategy = parallelStrategy
        self.maxModelPoints = maxModelPoints
        self.maxFitPoints = maxFitPoints
        self.hyperparameterRestarts = hyperparameterRestarts
        self.candidates = candidates
        self.minimumNoise = minimumNoise
    }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        let space = context.space
        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber))
        guard let model = try model(context, rng: &rng) else { return try SobolSampler(seed: seed).ask(context) }
        let f = model.maximize(rng: &rng)
        return model.encoding.decode(f, space: space, ordered: try space.orderedParameters())
    }

    /// What an ask builds before it searches: the GP conditioned on the observations and the
    /// running trials' lies, and where the acquisition may look. Nil during the Sobol' start-up.
    /// `ask` maximises it once; `askBatch` maximises it once and then picks the rest greedily,
    /// so a batch's first point is exactly `ask`'s.
    func model(_ context: SamplingContext, rng: inout SeededGenerator) throws -> FittedModel? {
        let space = context.space
        let observations = context.observations
        let encoding = FeatureEncoding(space: space)
        // The space-filling start-up lasts at least until a quarter as many trials have finished
        // as are running: with a thousand workers, a GP of ten results and hundreds of lies says
        // little that Sobol' points do not, and costs an ask of tens of milliseconds while a
        // burst of joining workers waits for it. One worker, or a few, changes nothing.
        if observations.count < max(startupTrials, 1, context.running.count / 4) || encoding.dimensions == 0 { return nil }
        let d = encoding.dimensions
        let categorical = encoding.categoricalMask

        // Observations the model sees, best first.
        var rows = observations.map { (f: encoding.encode($0.params), y: $0.loss) }
        rows.sort { $0.y < $1.y }
        rows = Self.subsample(rows, limit: maxModelPoints, rng: &rng)

        // Standardise, or warp and standardise (see OutputWarping).
        let ys = rows.map(\.y)
        // The GP's prior mean sits `pessimism` standard deviations above the mean loss: far from
        // every observation the model expects a bad loss, not an average one, so expected
        // improvement stops chasing variance into the corners of the box.
        let z = (warpOutputs ? OutputWarping.warp(ys).values : OutputWarping.standardise(ys)).map { $0 - pessimism }

        // Fit hyperparameters on a subset.
        let fitRows = Self.subsample(Array(zip(rows.map(\.f), z)).map { (f: $0.0, y: $0.1) }, limit: maxFitPoints, rng: &rng)
        // Long histories (> 100 observations) get a lighter search everywhere: the model is
        // already well determined there, and the 20 ms budget at 200 trials is what matters.
        let long = rows.count > 100
        let fitter = GPFitter(
            restarts: long ? min(hyperparameterRestarts, 2) : hyperparameterRestarts,
            maxIterations: long ? 40 : 60, minimumNoise: minimumNoise, lengthscalePrior: lengthscalePrior)
        let hyper = fitter.fit(
            x: fitRows.flatMap(\.f), y: fitRows.map(\.y), d: d, categorical: categorical, rng: &rng)

        var x = rows.flatMap(\.f)
        var y = z
        var gp = try GaussianProcess(x: x, y: y, dimensions: d, categorical: categorical, hyper: hyper)
        let worst = z.max() ?? 0
        if !context.running.isEmpty {
            for f in Self.liesNearest(context.running.map(encoding.encode), center: rows[0].f, hyper: hyper, categorical: categorical) {
                let lie = parallelStrategy == .krigingBeliever ? gp.predict(f).mean : worst
                x += f
                y.append(lie)
            }
            gp = try GaussianProcess(x: x, y: y, dimensions: d, categorical: categorical, hyper: hyper)
        }

        // Candidate evaluation costs O(n²) each; past 100 observations fewer global candidates
        // suffice (the model is dense and refinement starts near the incumbents anyway).
        let global = long ? max(candidates * 100 / rows.count, 256) : candidates
        var optimizer = AcquisitionOptimizer(globalCandidates: global)
        if long {
            optimizer.localCandidatesPerPoint = 32
            optimizer.refineStarts = 4
            optimizer.localStarts = 2
            optimizer.refineIterations = 30
        }
        let region = trustRegion
            ? TrustRegion.box(
                losses: observations.map(\.loss), startup: startupTrials, center: rows[0].f,
                hyper: hyper, categorical: categorical)
            : nil
        return FittedModel(
            gp: gp, encoding: encoding, optimizer: optimizer,
            // Lies count as observations: a believed improvement raises the bar for the next point.
            best: y.min() ?? 0, lie: parallelStrategy == .krigingBeliever ? nil : worst,
            incumbents: rows.prefix(5).map(\.f),
            // Every evaluated and running point, not only those the model kept: none is proposed again.
            observed: observations.map { encoding.encode($0.params) } + context.running.map { encoding.encode($0) },
            region: region, globalCandidates: global)
    }

    /// The model of one ask and where its acquisition searches (see `model(_:rng:)`).
    struct FittedModel {
        var gp: GaussianProcess
        var encoding: FeatureEncoding
        var optimizer: AcquisitionOptimizer
        var best: Double
        /// The constant liar's value for points proposed but not evaluated; nil for the kriging believer.
        var lie: Double?
        var incumbents: [[Double]]
        var observed: [[Double]]
        var region: (lower: [Double], upper: [Double])?
        var globalCandidates: Int

        /// The log-EI maximiser inside the region, away from every observed point (encoded).
        func maximize(rng: inout SeededGenerator) -> [Double] {
            optimizer.maximize(
                gp: gp, encoding: encoding, best: best, incumbents: incumbents, observed: observed, region: region,
                rng: &rng)
        }
    }

    /// At most `limit` rows of a best-first list: the best `limit/2`, then an even seeded
    /// spread of the rest (keeps the optimum's neighbourhood sharp and the global shape known).
    static func subsample<T>(_ rows: [T], limit: Int, rng: inout SeededGenerator) -> [T] {
        guard rows.count > limit, limit > 1 else { return rows }
        let head = limit / 2
        var out = Array(rows.prefix(head))
        let rest = rows.count - head
        let take = limit - head
        let offset = rng.nextDouble()
        for k in 0..<take {
            let i = head + min(Int((Double(k) + offset) * Double(rest) / Double(take)), rest - 1)
            out.append(rows[i])
        }
        return out
    }
}
