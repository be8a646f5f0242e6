import TunaRandom

/// A batch from one hyperparameter fit: the fit is the dominant cost of an ask (restarts ×
/// L-BFGS iterations × O(n³)), and between the points of one batch the data do not change —
/// only the fake observations of the points already proposed do. So the batch fits once (as
/// `ask` would for its first point, with the same random stream) and then, point by point,
/// conditions the GP on the observations plus every running trial and earlier point of the
/// batch (the parallel strategy's lies) and maximises log EI with the trial's own stream.
///
/// The first point is exactly `ask(context)`'s; later points differ from asking one by one only
/// in using the first point's hyperparameters. During the Sobol' start-up every point is
/// `ask`'s, one by one (cheap).
extension BayesianSampler: BatchSampler {
    public func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        let space = context.space
        let ordered = try space.orderedParameters()
        let observations = context.observations
        let encoding = FeatureEncoding(space: space)
        guard count > 1, observations.count >= max(startupTrials, 1), encoding.dimensions > 0 else {
            return try sequence(context, count: count)
        }
        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber))
        let d = encoding.dimensions
        let categorical = encoding.categoricalMask

        var rows = observations.map { (f: encoding.encode($0.params), y: $0.loss) }
        rows.sort { $0.y < $1.y }
        rows = Self.subsample(rows, limit: maxModelPoints, rng: &rng)
        let ys = rows.map(\.y)
        let mean = ys.reduce(0, +) / Double(ys.count)
        var variance = 0.0
        for y in ys { variance += (y - mean) * (y - mean) }
        let sd = (variance / Double(ys.count)).squareRoot()
        let scale = sd > 1e-300 ? sd : 1
        let z = ys.map { ($0 - mean) / scale }
        let fitRows = Self.subsample(Array(zip(rows.map(\.f), z)).map { (f: $0.0, y: $0.1) }, limit: maxFitPoints, rng: &rng)
        let long = rows.count > 100
        let fitter = GPFitter(
            restarts: long ? min(hyperparameterRestarts, 2) : hyperparameterRestarts,
            maxIterations: long ? 40 : 60, minimumNoise: minimumNoise)
        let hyper = fitter.fit(x: fitRows.flatMap(\.f), y: fitRows.map(\.y), d: d, categorical: categorical, rng: &rng)

        let observed = try GaussianProcess(x: rows.flatMap(\.f), y: z, dimensions: d, categorical: categorical, hyper: hyper)
        let worst = z.max() ?? 0
        var pending = context.running.map { encoding.encode($0) }
        let incumbents = rows.prefix(5).map(\.f)
        let global = long ? max(candidates * 100 / rows.count, 256) : candidates
        var optimizer = AcquisitionOptimizer(globalCandidates: global)
        if long {
            optimizer.localCandidatesPerPoint = 32
            optimizer.refineStarts = 4
            optimizer.localStarts = 2
            optimizer.refineIterations = 30
        }
        var proposals: [Parameters] = []
        for k in 0..<count {
            // The first point continues `ask`'s stream; each later one has its trial's own.
            var pointRNG = k == 0 ? rng : SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber + k) | 1 << 62)
            var x = rows.flatMap(\.f)
            var y = z
            for f in pending {
                x += f
                // Lies from the observations' model, as `ask` tells them.
                y.append(parallelStrategy == .krigingBeliever ? observed.predict(f).mean : worst)
            }
            let gp = pending.isEmpty ? observed : try GaussianProcess(x: x, y: y, dimensions: d, categorical: categorical, hyper: hyper)
            let best = y.min() ?? 0
            let f = optimizer.maximize(gp: gp, encoding: encoding, best: best, incumbents: incumbents, rng: &pointRNG)
            pending.append(f)
            proposals.append(encoding.decode(f, space: space, ordered: ordered))
        }
        return proposals
    }

    /// `count` single asks, each with the ones before it running.
    private func sequence(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        var context = context
        var proposals: [Parameters] = []
        for _ in 0..<max(count, 0) {
            let params = try ask(context)
            proposals.append(params)
            context.running.append(params)
            context.trialNumber += 1
        }
        return proposals
    }
}

/// The automatic choice batches as the sampler it chose does.
extension AutoSampler: BatchSampler {
    public func askBatch(_ context: SamplingContext, count: Int) throws -> [Parameters] {
        try choice(for: context.space).askSequence(context, count: count)
    }
}
