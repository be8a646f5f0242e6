import Foundation
import Testing
@testable import TunaSearch

@Suite struct MultiObjectiveSamplerTests {
    /// Runs a sampler sequentially on a problem and returns the trials.
    static func run(
        _ sampler: any MultiObjectiveSampler, space: SearchSpace, directions: [Direction], trials: Int,
        objective: (Parameters) throws -> [Double]
    ) throws -> [MultiObjectiveTrial] {
        var history: [MultiObjectiveTrial] = []
        for n in 0..<trials {
            let p = try sampler.ask(MultiObjectiveContext(space: space, directions: directions, history: history, trialNumber: n))
            history.append(MultiObjectiveTrial(number: n, state: .complete, params: p, values: try objective(p)))
        }
        return history
    }

    /// Two objectives on the conditional space, from numbers only (lr small vs units small).
    static func toy(_ p: Parameters) -> [Double] {
        let lr = p["lr"]?.number ?? 1, units = p["units"]?.number ?? 0
        return [Foundation.log(lr) + (p["momentum"]?.number ?? 0), units / 256 - Foundation.log(lr) / 10]
    }

    static let mixed = SearchSpace(Fixtures.conditional.parameters + [
        Parameter("dropout", .float(FloatDomain(low: 0, high: 0.5, step: 0.1))),
        Parameter("batch", .int(IntDomain(low: 16, high: 128, step: 16))),
    ])

    @Test(arguments: [NSGAIISampler.Crossover.uniform, .sbx])
    func nsgaChildrenStayInsideEveryDomain(_ crossover: NSGAIISampler.Crossover) throws {
        let sampler = NSGAIISampler(seed: 5, populationSize: 8, crossover: crossover)
        let trials = try Self.run(sampler, space: Self.mixed, directions: [.minimize, .minimize], trials: 80, objective: Self.toy)
        for t in trials { #expect(Fixtures.isConsistent(t.params, in: Self.mixed), "\(t.params)") }
        // Past the first generation uniform crossover copies parents' values instead of redrawing
        // them: some child shares its learning rate with a first-generation trial.
        guard crossover == .uniform else { return }
        let early = Set(trials.prefix(8).compactMap { $0.params["lr"] })
        #expect(trials.dropFirst(8).contains { t in t.params["lr"].map(early.contains) ?? false })
    }

    @Test func motpeStaysInsideEveryDomain() throws {
        let trials = try Self.run(MOTPESampler(seed: 2), space: Self.mixed, directions: [.maximize, .minimize], trials: 40, objective: Self.toy)
        for t in trials { #expect(Fixtures.isConsistent(t.params, in: Self.mixed), "\(t.params)") }
    }

    @Test func nsgaIsDeterministicForASeed() throws {
        let problem = ZDT(variant: 1, dimensions: 5)
        func go(_ seed: UInt64) throws -> [Parameters] {
            try Self.run(NSGAIISampler(seed: seed, populationSize: 10), space: problem.space, directions: [.minimize, .minimize], trials: 40, objective: problem.evaluate).map(\.params)
        }
        #expect(try go(1) == go(1))
        #expect(try go(1) != go(2))
    }

    /// Parallel workers asking with the same history get different children, and a child is
    /// not a copy of a running trial.
    @Test func nsgaParallelAsksDiffer() throws {
        let problem = ZDT(variant: 1, dimensions: 5)
        let sampler = NSGAIISampler(seed: 0, populationSize: 10)
        let history = try Self.run(sampler, space: problem.space, directions: [.minimize, .minimize], trials: 10, objective: problem.evaluate)
        var running: [Parameters] = []
        for n in 10..<20 {
            let p = try sampler.ask(MultiObjectiveContext(space: problem.space, directions: [.minimize, .minimize], history: history, running: running, trialNumber: n))
            #expect(!running.contains(p))
            running.append(p)
        }
    }

    @Test func badOptionsAreErrorsNotCrashes() {
        let context = MultiObjectiveContext(space: ZDT(variant: 1, dimensions: 2).space, directions: [.minimize, .minimize])
        #expect(throws: SamplerError.self) { try NSGAIISampler(populationSize: 1).ask(context) }
        #expect(throws: SamplerError.self) { try NSGAIISampler(crossoverProbability: 2).ask(context) }
    }

    /// Behaviour, not timing: on ZDT1 (30-d) NSGA-II's hypervolume after 200 evaluations beats
    /// random search's in the median over seeds by a clear margin.
    @Test func nsgaBeatsRandomOnZDT1() throws {
        let runner = MultiObjectiveBenchmarkRunner(evaluations: 200, seeds: Array(0..<5), checkpoints: [200])
        let problem = ZDT(variant: 1)
        let random = try runner.run(sampler: "random", problem: problem) { SingleObjectiveAdapter(RandomSampler(seed: $0)) }
        let nsga = try runner.run(sampler: "nsga2", problem: problem) { NSGAIISampler(seed: $0) }
        let r = try #require(random.hypervolumeAt[200]), g = try #require(nsga.hypervolumeAt[200])
        print("ZDT1 hv@200 random \(r.median) (\(r.q25)-\(r.q75)), nsga2 \(g.median) (\(g.q25)-\(g.q75))")
        #expect(g.q25 > r.q75)
        // Optuna's NSGA-II reaches 8.66 here (bench/multi_objective.py), random search 8.60.
        #expect(g.median > r.median + 0.1)
    }

    /// MOTPE learns the front: on ZDT1 (5-d) its hypervolume after 100 evaluations beats random
    /// search's (bench: 11.2 against 9.9 in the median over 10 seeds; here 4 seeds, a wide margin).
    @Test func motpeBeatsRandomOnZDT1FiveDimensions() throws {
        let runner = MultiObjectiveBenchmarkRunner(evaluations: 100, seeds: Array(0..<4), checkpoints: [100])
        let problem = ZDT(variant: 1, dimensions: 5)
        let random = try runner.run(sampler: "random", problem: problem) { SingleObjectiveAdapter(RandomSampler(seed: $0)) }
        let motpe = try runner.run(sampler: "motpe", problem: problem) { MOTPESampler(seed: $0) }
        let r = try #require(random.hypervolumeAt[100]), t = try #require(motpe.hypervolumeAt[100])
        #expect(t.q25 > r.q75)
        #expect(t.median > r.median + 0.4)
    }

    /// Whole fronts while they fit; the front that does not fit is cut by crowding distance
    /// (its ends first, then the larger distances, ties by trial number).
    @Test func eliteSelectionByFrontThenCrowding() {
        let losses: [[Double]] = [[5, 5], [0, 4], [1, 2], [2, 1], [4, 0], [3, 3]]
        let candidates = losses.enumerated().map { NSGAIISampler.Individual(number: $0.offset, params: [:], losses: $0.element) }
        #expect(NSGAIISampler.eliteSelection(candidates, size: 3).map(\.number).sorted() == [1, 2, 4])
        #expect(NSGAIISampler.eliteSelection(candidates, size: 5).map(\.number).sorted() == [1, 2, 3, 4, 5])
        // A trial reaching the candidates twice (kept parent and its generation) counts once.
        #expect(NSGAIISampler.eliteSelection(candidates + candidates, size: 10).count == 6)
    }

    @Test func singleObjectiveSamplersServeThroughTheAdapter() throws {
        let space = ZDT(variant: 1, dimensions: 3).space
        let context = MultiObjectiveContext(space: space, directions: [.maximize, .minimize], trialNumber: 7)
        let p = try SingleObjectiveAdapter(RandomSampler(seed: 4)).ask(context)
        #expect(p == (try RandomSampler(seed: 4).ask(SamplingContext(space: space, trialNumber: 7))))
        #expect(context.firstObjective.direction == .maximize)
    }
}
