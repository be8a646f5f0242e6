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

    @Test func inTheStartUpPhaseABatchIsAsksOwnPoints() throws {
        let space = Branin().space
        let context = SamplingContext(space: space, history: try Self.history(3), running: [], trialNumber: 3)
        let sampler = BayesianSampler(seed: 5)
        let batch = try sampler.askSequence(context, count: 4)
        #expect(batch.count == 4 && Set(batch.map { "\($0)" }).count == 4)
        #expect(batch.first == (try sampler.ask(context)))
    }
}
