import Testing
import Foundation
@testable import TunaSearch

@Suite struct BenchmarkTests {
    @Test func functionsReachTheirKnownOptima() throws {
        let branin = Branin()
        for (a, b) in [(-Double.pi, 12.275), (Double.pi, 2.275), (9.42478, 2.475)] {
            #expect(abs(try branin.evaluate(["x0": .double(a), "x1": .double(b)]) - branin.optimum) < 1e-5)
        }
        let h3 = Hartmann3()
        #expect(abs(try h3.evaluate(["x0": 0.114614, "x1": 0.555649, "x2": 0.852547]) - h3.optimum) < 1e-5)
        let h6 = Hartmann6()
        let x6: [Double] = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
        var p6 = Parameters()
        for (i, v) in x6.enumerated() { p6["x\(i)"] = .double(v) }
        #expect(abs(try h6.evaluate(p6) - h6.optimum) < 1e-5)
        let rosen = Rosenbrock(dimensions: 4)
        #expect(try rosen.evaluate(["x0": 1, "x1": 1, "x2": 1, "x3": 1]) == 0)
        #expect(try rosen.evaluate(["x0": 0, "x1": 0, "x2": 0, "x3": 0]) == 3)
        #expect(try Sphere(dimensions: 2).evaluate(["x0": 3, "x1": 4]) == 25)
        let mixed = MixedFunction()
        let best: Parameters = ["lr": .double(pow(10, -2.5)), "dropout": 0.2, "units": 64, "layers": 3, "optimizer": "adam"]
        #expect(abs(try mixed.evaluate(best)) < 1e-12)
        #expect(mixed.space.validate().isEmpty && mixed.space.parameters.count == 5)
        #expect(mixed.space.parameters.allSatisfy { p in p.domain.contains(best[p.name]!) })
        #expect(try mixed.evaluate(best.merging(["optimizer": "sgd"]) { $1 }) == 1)
        #expect(throws: BenchmarkError.self) { try branin.evaluate(["x0": 1]) }
        #expect(throws: BenchmarkError.self) { try BenchmarkFunctions.named("nope") }
        #expect(try BenchmarkFunctions.named("rosenbrock6").space.parameters.count == 6)
    }

    @Test func randomSearchNeverBeatsTheOptimum() throws {
        for name in BenchmarkFunctions.names {
            let f = try BenchmarkFunctions.named(name)
            let trials = try Fixtures.run(RandomSampler(seed: 1), space: f.space, trials: 200) { try f.evaluate($0) }
            #expect(trials.allSatisfy { ($0.value ?? 0) >= f.optimum - 1e-9 }, "\(name)")
        }
    }

    @Test func runnerReportsQuartilesAndMonotoneCurves() throws {
        let runner = BenchmarkRunner(evaluations: 30, seeds: [0, 1, 2, 3], checkpoints: [10, 25, 50])
        let r = try runner.run(sampler: .random, function: "sphere4")
        #expect(r.curves.count == 4 && r.curves.allSatisfy { $0.count == 30 })
        #expect(r.curves.allSatisfy { c in zip(c, c.dropFirst()).allSatisfy { $0 >= $1 } })
        #expect(Set(r.regretAt.keys) == [10, 25])
        let q = try #require(r.regretAt[25])
        #expect(q.q25 <= q.median && q.median <= q.q75)
        #expect(q.median == Quartiles(r.curves.map { $0[24] }).median)
        #expect(r.suggestMs > 0 && r.suggestMs.isFinite)
        #expect(Quartiles([1, 2, 3, 4]).median == 2.5 && Quartiles([1, 2, 3, 4]).q25 == 1.75)
        let json = try JSONEncoder().encode(r)
        #expect(try JSONDecoder().decode(BenchmarkResult.self, from: json).regretAt[25] == q)
    }

    /// A sampler that spends at least `milliseconds` per ask (busy-waiting, so a loaded
    /// machine can only make it slower).
    struct SlowSampler: Sampler {
        let inner = RandomSampler(seed: 3)
        let milliseconds: Double

        func ask(_ context: SamplingContext) throws -> Parameters {
            let clock = ContinuousClock()
            let start = clock.now
            while clock.now - start < .microseconds(Int(milliseconds * 1000)) {}
            return try inner.ask(context)
        }
    }

    /// `suggestMs` is the mean time of one ask in milliseconds: at least the 5 ms each ask
    /// spends, and well short of the 60 ms the twelve asks take together.
    @Test func suggestionTimeIsTheMeanAskInMilliseconds() throws {
        let runner = BenchmarkRunner(evaluations: 4, seeds: [0, 1, 2], checkpoints: [4])
        let r = try runner.run(sampler: "slow", function: Sphere(dimensions: 2)) { _ in SlowSampler(milliseconds: 5) }
        #expect(r.suggestMs >= 5 && r.suggestMs < 60, "\(r.suggestMs) ms")
    }
}
