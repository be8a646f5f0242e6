import Testing
import Foundation
@testable import TunaSearch

@Suite struct BayesianSamplerTests {
    @Test(arguments: [UInt64(0), 1])
    func reachesSmallRegretOnBraninIn50Evaluations(seed: UInt64) throws {
        let f = Branin()
        let trials = try Fixtures.run(BayesianSampler(seed: seed), space: f.space, trials: 50) { try f.evaluate($0) }
        let best = trials.compactMap(\.value).min() ?? .infinity
        #expect(f.regret(best) < 1e-3, "seed \(seed): regret \(f.regret(best))")
    }

    @Test func handlesIntegersAndCategoricals() throws {
        let f = MixedFunction()
        let trials = try Fixtures.run(BayesianSampler(seed: 3), space: f.space, trials: 40) { try f.evaluate($0) }
        #expect(trials.allSatisfy { Fixtures.isConsistent($0.params, in: f.space) })
        let best = trials.compactMap(\.value).min() ?? .infinity
        let randomBest = try Fixtures.run(RandomSampler(seed: 3), space: f.space, trials: 40) { try f.evaluate($0) }
            .compactMap(\.value).min() ?? .infinity
        #expect(best < 0.3)
        #expect(best < randomBest)
    }

    static func history(_ n: Int) throws -> [Trial] {
        let f = Branin()
        return try Fixtures.run(RandomSampler(seed: 8), space: f.space, trials: n) { try f.evaluate($0) }
    }

    @Test func isDeterministicForASeedAndHistory() throws {
        let h = try Self.history(15)
        let space = Branin().space
        let a = try BayesianSampler(seed: 2).ask(SamplingContext(space: space, history: h))
        let b = try BayesianSampler(seed: 2).ask(SamplingContext(space: space, history: h))
        #expect(a == b)
    }

    @Test(arguments: [ParallelStrategy.krigingBeliever, .constantLiar])
    func runningTrialsPushParallelWorkersApart(strategy: ParallelStrategy) throws {
        let h = try Self.history(15)
        let space = Branin().space
        let sampler = BayesianSampler(seed: 2, parallelStrategy: strategy)
        var running: [Parameters] = []
        for _ in 0..<3 {
            running.append(try sampler.ask(SamplingContext(space: space, history: h, running: running)))
        }
        // Three distinct points, not within 1% of the box of each other.
        for i in 0..<3 { for j in 0..<i {
            let dx = abs(running[i]["x0"]!.number! - running[j]["x0"]!.number!) / 15
            let dy = abs(running[i]["x1"]!.number! - running[j]["x1"]!.number!) / 15
            #expect(max(dx, dy) > 0.01, "\(running[i]) vs \(running[j])")
        } }
    }

    @Test func maximizeIsMinimizingTheNegation() throws {
        let h = try Self.history(12)
        let flipped = h.map { t in Trial(number: t.number, state: t.state, params: t.params, value: t.value.map { -$0 }) }
        let space = Branin().space
        let a = try BayesianSampler(seed: 4).ask(SamplingContext(space: space, direction: .minimize, history: h))
        let b = try BayesianSampler(seed: 4).ask(SamplingContext(space: space, direction: .maximize, history: flipped))
        #expect(a == b)
    }

    @Test func subsamplesLongHistoriesKeepingTheBest() {
        var rng = SearchRandom(seed: 1)
        let rows = Array(0..<500)
        let kept = BayesianSampler.subsample(rows, limit: 100, rng: &rng)
        #expect(kept.count == 100)
        #expect(Array(kept.prefix(50)) == Array(0..<50))
        #expect(Set(kept).count == 100)
        #expect(kept.last! >= 480)
    }
}

@Suite struct TPESamplerTests {
    @Test func beatsRandomSearchOnSphere() throws {
        let f = Sphere(dimensions: 3)
        var tpeWins = 0
        for seed in UInt64(0)..<4 {
            let tpe = try Fixtures.run(TPESampler(seed: seed), space: f.space, trials: 60) { try f.evaluate($0) }
            let rnd = try Fixtures.run(RandomSampler(seed: seed), space: f.space, trials: 60) { try f.evaluate($0) }
            if (tpe.compactMap(\.value).min() ?? 0) < (rnd.compactMap(\.value).min() ?? 0) { tpeWins += 1 }
        }
        #expect(tpeWins >= 3)
    }

    @Test func learnsConditionalParametersFromTheTrialsWhereTheyWereActive() throws {
        // Best: sgd with momentum 0.9; adam is a constant 1.
        let space = Fixtures.conditional
        let trials = try Fixtures.run(TPESampler(seed: 5), space: space, trials: 60) { p in
            guard let m = p["momentum"]?.number else { return 1 }
            return abs(m - 0.9)
        }
        let late = trials.suffix(30)
        #expect(late.filter { $0.params["optimizer"] == "sgd" }.count > 15)
        #expect((trials.compactMap(\.value).min() ?? 1) < 0.02)
    }

    @Test func isDeterministicAndUsesPrunedTrials() throws {
        let f = Sphere(dimensions: 2)
        var h = try Fixtures.run(RandomSampler(seed: 1), space: f.space, trials: 20) { try f.evaluate($0) }
        h.append(Trial(number: 20, state: .pruned, params: ["x0": 4, "x1": 4], intermediateValues: [1: 50]))
        let s = TPESampler(seed: 9)
        let a = try s.ask(SamplingContext(space: f.space, history: h))
        #expect(a == (try s.ask(SamplingContext(space: f.space, history: h))))
        let (good, bad) = s.split(SamplingContext(space: f.space, history: h))
        #expect(good.count == 3 && bad.count == 18)
        #expect(bad.contains { $0.number == 20 })
    }

    @Test func weightsAndGammaFollowOptuna() {
        #expect(TPESampler.gamma(10) == 1 && TPESampler.gamma(11) == 2 && TPESampler.gamma(1000) == 25)
        let w = TPESampler.weights(30)
        #expect(w.count == 30 && w.suffix(25).allSatisfy { $0 == 1 })
        #expect(abs(w[0] - 1.0 / 30) < 1e-12 && w[4] == 1)
    }

    @Test func autoPicksTheGPForSmallFlatSpacesOnly() {
        let auto = AutoSampler()
        #expect(auto.choice(for: Branin().space) is BayesianSampler)
        #expect(auto.choice(for: Fixtures.conditional) is TPESampler)
        #expect(auto.choice(for: Sphere(dimensions: 20).space) is TPESampler)
        #expect(SamplerKind.allCases.count == 6)
    }
}

@Suite struct ParzenBandwidthTests {
    /// Optuna 5's rule: the farther neighbour's distance, the outermost observations taking
    /// their inner neighbour's, clipped to [range / min(100, kernels + 1), range].
    @Test func bandwidthsFollowTheNeighbours() {
        let sigmas = ParzenEstimator.bandwidths([0.5, 0.1, 0.6, 0.9], lower: 0, upper: 1, magicClip: true)
        // Sorted 0.1, 0.5, 0.6, 0.9 with ends 0 and 1: 0.1 → 0.4 (inner), 0.5 → 0.4, 0.6 → 0.3,
        // 0.9 → 0.3 (inner); the clip floor is 1 / 6.
        let expected = [0.4, 0.4, 0.3, 0.3]
        for (a, e) in zip(sigmas, expected) { #expect(abs(a - e) < 1e-12, "\(sigmas)") }
        let clipped = ParzenEstimator.bandwidths([0.50, 0.51, 0.52, 0.53], lower: 0, upper: 1, magicClip: true)
        #expect(clipped.allSatisfy { abs($0 - 1.0 / 6) < 1e-12 }, "\(clipped)")
        #expect(ParzenEstimator.bandwidths([0.3], lower: 0, upper: 1, magicClip: true) == [0.7])
    }

    /// An integer's kernel puts its mass on the allowed values: summed over them it is 1.
    @Test func integerKernelsAreMassesOnTheirValues() throws {
        let scale = NumericScale(IntDomain(low: 1, high: 6))
        let estimator = ParzenEstimator(
            dims: [.numeric(scale)], observations: [[try #require(scale.coordinate(of: .int(2)))]], weights: [1],
            priorWeight: 1, magicClip: true)
        var total = 0.0
        for v in 1...6 { total += exp(estimator.logDensity([try #require(scale.coordinate(of: .int(v)))])) }
        #expect(abs(total - 1) < 1e-9, "\(total)")
    }

    /// With a trial running, the next suggestion avoids its neighbourhood (constant liar).
    @Test func runningTrialsCountAsBad() throws {
        let space = SearchSpace([Parameter("x", .float(FloatDomain(low: 0, high: 1)))])
        var history: [Trial] = []
        for i in 0..<20 {
            let x = Double(i) / 19
            history.append(Trial(number: i, state: .complete, params: ["x": .double(x)], value: (x - 0.3) * (x - 0.3)))
        }
        let sampler = TPESampler(seed: 3)
        let free = try sampler.ask(SamplingContext(space: space, history: history, trialNumber: 20))
        let lied = try sampler.ask(SamplingContext(space: space, history: history, running: [free, free, free], trialNumber: 20))
        let a: Double = try #require(free["x"]?.number), b: Double = try #require(lied["x"]?.number)
        #expect(Swift.abs(a - b) > 1e-9, "the running trials moved the suggestion: \(a) vs \(b)")
    }
}
