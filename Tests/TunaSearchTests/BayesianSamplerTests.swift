import Testing
import Foundation
import TunaRandom
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
        var rng = SeededGenerator(seed: 1)
        let rows = Array(0..<500)
        let kept = BayesianSampler.subsample(rows, limit: 100, rng: &rng)
        #expect(kept.count == 100)
        #expect(Array(kept.prefix(50)) == Array(0..<50))
        #expect(Set(kept).count == 100)
        #expect(kept.last! >= 480)
    }
}

@Suite struct AutoSamplerTests {
    @Test func autoPicksTheGPForSmallFlatSpacesOnly() {
        let auto = AutoSampler()
        #expect(auto.choice(for: Branin().space) is BayesianSampler)
        #expect(auto.choice(for: Fixtures.conditional) is TPESampler)
        #expect(auto.choice(for: Sphere(dimensions: 20).space) is TPESampler)
        #expect(SamplerKind.allCases.count == 6)
    }
}
