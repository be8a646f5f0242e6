import Testing
import Foundation
import TunaRandom
@testable import TunaSearch

/// Batches as the scheduler asks for them when many workers wait.
@Suite struct BatchSamplerTests {
    static func history(_ n: Int) throws -> [Trial] {
        let f = Branin()
        return try Fixtures.run(RandomSampler(seed: 8), space: f.space, trials: n) { try f.evaluate($0) }
    }

    @Test(arguments: [ParallelStrategy.krigingBeliever, .constantLiar])
    func aGPBatchStartsWithAsksPointAndSpreadsTheRest(strategy: ParallelStrategy) throws {
        let space = Branin().space
        let context = SamplingContext(space: space, history: try Self.history(20), running: [], trialNumber: 20)
        let sampler = BayesianSampler(seed: 4, parallelStrategy: strategy)
        let batch = try sampler.askSequence(context, count: 12)
        #expect(batch.count == 12)
        #expect(batch.first == (try sampler.ask(context)))
        #expect(batch.allSatisfy { Fixtures.isConsistent($0, in: space) })
        // Distinct points, and not all huddled around the first: the lies push them apart.
        let points = batch.map { [$0["x0"]?.number ?? .nan, $0["x1"]?.number ?? .nan] }
        #expect(Set(points.map { "\($0)" }).count == 12)
        let spread = points.map { p in hypot(p[0] - points[0][0], p[1] - points[0][1]) }.max() ?? 0
        #expect(spread > 0.5, "\(points)")
        // Deterministic for a seed and a context.
        #expect(try sampler.askSequence(context, count: 12) == batch)
    }

    @Test func samplersWithoutABatchAskOneByOneWithTheEarlierPointsRunning() throws {
        let space = Branin().space
        let context = SamplingContext(space: space, history: try Self.history(15), running: [], trialNumber: 15)
        let sampler = TPESampler(seed: 1)
        let batch = try sampler.askSequence(context, count: 3)
        var expected: [Parameters] = []
        var step = context
        for _ in 0..<3 {
            let params = try sampler.ask(step)
            expected.append(params)
            step.running.append(params)
            step.trialNumber += 1
        }
        #expect(batch == expected)
    }

    @Test func theStartUpLastsWhileFarMoreTrialsRunThanHaveFinished() throws {
        let space = Branin().space
        let history = try Self.history(12)
        let sampler = BayesianSampler(seed: 5)
        let running = try Fixtures.run(RandomSampler(seed: 9), space: space, trials: 60) { _ in 0 }.map(\.params)
        // 12 results, 60 running: still the Sobol' design (12 < 60 / 4).
        let crowded = SamplingContext(space: space, history: history, running: running, trialNumber: 72)
        #expect(try sampler.ask(crowded) == (try SobolSampler(seed: 5).ask(crowded)))
        // 12 results, 40 running: the GP (12 ≥ 40 / 4), whose point is not the design's.
        let fewer = SamplingContext(space: space, history: history, running: Array(running.prefix(40)), trialNumber: 52)
        #expect(try sampler.ask(fewer) != (try SobolSampler(seed: 5).ask(fewer)))
    }

    @Test func inTheStartUpPhaseABatchIsAsksOwnPoints() throws {
        let space = Branin().space
        let context = SamplingContext(space: space, history: try Self.history(3), running: [], trialNumber: 3)
        let sampler = BayesianSampler(seed: 5)
        let batch = try sampler.askSequence(context, count: 4)
        #expect(batch.count == 4 && Set(batch.map { "\($0)" }).count == 4)
        #expect(batch.first == (try sampler.ask(context)))
    }

    /// The model and a greedy selector the way `askBatch` builds them, for a Hartmann-6 history.
    static func greedy(history n: Int, running: Int = 0) throws -> (BayesianSampler.FittedModel, GreedyBatch, SamplingContext) {
        let f = Hartmann6()
        let trials = try Fixtures.run(RandomSampler(seed: 3), space: f.space, trials: n + running) { try f.evaluate($0) }
        let context = SamplingContext(
            space: f.space, history: Array(trials.prefix(n)), running: trials.suffix(running).map(\.params), trialNumber: n + running)
        var rng = SeededGenerator(seed: 11, stream: 0)
        let model = try #require(try BayesianSampler(seed: 2).model(context, rng: &rng))
        let first = model.maximize(rng: &rng)
        let greedy = GreedyBatch(
            gp: model.gp, encoding: model.encoding, first: first, incumbents: model.incumbents,
            global: model.globalCandidates, region: model.region, rng: &rng)
        return (model, greedy, context)
    }

    @Test func lazyGreedyPicksWhatTheFullScanPicks() throws {
        for n in [15, 60] {
            let (model, greedy, _) = try Self.greedy(history: n, running: 8)
            var lazy = greedy, scan = greedy
            let lazyPicks = lazy.lazyPicks(40, best: model.best)
            let scanPicks = scan.scannedPicks(40, best: model.best, lie: nil)
            #expect(lazyPicks.count == 40)
            #expect(lazyPicks == scanPicks)
            #expect(Set(lazyPicks).count == 40 && !lazyPicks.contains(0))
        }
    }

    /// The closed-form updates condition on the picks as a refit would: a GP refactorised with
    /// the picks added at their believed means has the same posterior at every candidate.
    @Test(arguments: [ParallelStrategy.krigingBeliever, .constantLiar])
    func rankOneUpdatesMatchARefitOnThePicks(strategy: ParallelStrategy) throws {
        let (model, greedy, _) = try Self.greedy(history: 40, running: 5)
        var selector = greedy
        let lie: Double? = strategy == .krigingBeliever ? nil : 0.7
        let d = selector.d
        // Candidate 0 was told at its mean; the picks at the lie (or their mean, kriging believer),
        // read before each is told.
        var x = model.gp.x, y = model.gp.y
        x += selector.candidates[0..<d]
        y.append(greedy.mean[0])
        for _ in 0..<6 {
            var top = -1, topValue = -Double.infinity
            for j in 0..<selector.m where !selector.chosen[j] {
                let v = selector.logEI(j, best: model.best)
                if v > topValue { (top, topValue) = (j, v) }
            }
            x += selector.candidates[top * d..<(top + 1) * d]
            y.append(lie ?? selector.mean[top])
            selector.tell(top, lie: lie)
        }
        let refit = try GaussianProcess(x: x, y: y, dimensions: d, categorical: model.gp.categorical, hyper: model.gp.hyper)
        let (means, variances) = refit.predict(batch: selector.candidates, count: selector.m)
        let signal = model.gp.hyper.signalVariance
        for j in 0..<selector.m {
            #expect(abs(means[j] - selector.mean[j]) < 1e-8 * max(1, signal), "mean \(j)")
            #expect(abs(variances[j] - selector.variance[j]) < 1e-8 * signal, "variance \(j)")
        }
    }

    @Test func aLargeBatchIsDistinctAndInsideTheBounds() throws {
        let f = Hartmann6()
        let history = try Fixtures.run(RandomSampler(seed: 5), space: f.space, trials: 30) { try f.evaluate($0) }
        let context = SamplingContext(space: f.space, history: history, running: [], trialNumber: 30)
        let sampler = BayesianSampler(seed: 9)
        let batch = try sampler.askSequence(context, count: 200)
        #expect(batch.count == 200)
        #expect(batch.first == (try sampler.ask(context)))
        #expect(Set(batch.map { "\($0)" }).count == 200)
        #expect(batch.allSatisfy { Fixtures.isConsistent($0, in: f.space) })
    }

    /// Past `maximumLies` running trials the GP is told lies only for the nearest of them to the
    /// best observation; the rest still keep proposals away (none is proposed again).
    @Test func manyRunningTrialsAreToldLiesNearTheBestOnly() throws {
        let space = Branin().space
        let encoding = FeatureEncoding(space: space)
        let count = BayesianSampler.maximumLies + 40
        let points = (0..<count).map { i in [Double(i) / Double(count), 0.5] }
        let hyper = GPHyperparameters(inverseSquaredLengthscales: [1, 1], signalVariance: 1, noiseVariance: 1e-6)
        let kept = BayesianSampler.liesNearest(points, center: [0, 0.5], hyper: hyper, categorical: [false, false])
        #expect(kept == Array(points.prefix(BayesianSampler.maximumLies)))
        #expect(BayesianSampler.liesNearest(Array(points.prefix(10)), center: [1, 0.5], hyper: hyper, categorical: [false, false])
            == Array(points.prefix(10)))
        // A batch asked beside more running trials than that stays fresh and valid.
        let history = try Self.history(30)
        let running = try Fixtures.run(RandomSampler(seed: 21), space: space, trials: count) { _ in 0 }.map(\.params)
        let context = SamplingContext(space: space, history: history, running: running, trialNumber: 30 + count)
        let batch = try BayesianSampler(seed: 1).askSequence(context, count: 16)
        #expect(batch.count == 16 && batch.allSatisfy { Fixtures.isConsistent($0, in: space) })
        let taken = Set((running + history.map(\.params)).map { encoding.encode($0) })
        #expect(batch.allSatisfy { !taken.contains(encoding.encode($0)) })
    }
}

