import Foundation
import Testing
@testable import TunaSearch

/// The benchmark suite: instances are reproducible, each has its minimum 0 where it says, and
/// Swift and the Python reference script (bench/search_suite.py) evaluate the same instance
/// to the same value (SuiteFixture.json, written by that script).
@Suite struct SuiteTests {
    @Test func theSuiteIsBroadAndEveryInstanceHasItsMinimumAtItsShift() throws {
        let specs = BenchmarkSuite.all
        #expect(BenchmarkSuite.functions.count >= 20 && Set(specs.map(\.name)).count == specs.count)
        #expect(specs.allSatisfy { (2...10).contains($0.dimensions) })
        #expect(specs.contains { $0.kinds.contains(.int) } && specs.contains { $0.kinds.contains(.categorical) })
        for spec in specs {
            for seed in UInt64(0)..<3 {
                let instance = SuiteInstance(spec: spec, seed: seed)
                #expect(instance == SuiteInstance(spec: spec, seed: seed), "\(spec.name) is reproducible")
                #expect(instance.space.validate().isEmpty)
                #expect(abs(instance.value(instance.shift)) < 1e-9, "\(spec.name) seed \(seed): \(instance.value(instance.shift))")
                // The rotation is orthogonal.
                let r = instance.rotation
                for i in 0..<spec.dimensions {
                    for j in 0..<spec.dimensions {
                        var dot = 0.0
                        for k in 0..<spec.dimensions { dot += r[i][k] * r[j][k] }
                        #expect(abs(dot - (i == j ? 1 : 0)) < 1e-9)
                    }
                }
                // Random points are never below the optimum.
                let random = RandomSampler(seed: seed)
                for n in 0..<20 {
                    let p = try random.ask(SamplingContext(space: instance.space, trialNumber: n))
                    #expect(try instance.evaluate(p) >= -1e-9, "\(spec.name)")
                }
            }
        }
        let a = SuiteInstance(spec: specs[0], seed: 0), b = SuiteInstance(spec: specs[0], seed: 1)
        #expect(a.shift != b.shift, "instances differ by seed")
    }

    struct Fixture: Decodable {
        struct Point: Decodable {
            var function: String
            var seed: UInt64
            var x: [Double]
            var value: Double
        }
        var points: [Point]
    }

    @Test func swiftAndPythonEvaluateTheSameInstancesAlike() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("SuiteFixture.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let specs = Dictionary(uniqueKeysWithValues: BenchmarkSuite.all.map { ($0.name, $0) })
        #expect(Set(fixture.points.map(\.function)) == Set(specs.keys), "every suite function is in the fixture")
        for point in fixture.points {
            let spec = try #require(specs[point.function])
            let value = SuiteInstance(spec: spec, seed: point.seed).value(point.x)
            #expect(abs(value - point.value) <= 1e-9 * max(1, abs(point.value)), "\(point.function): Swift \(value), Python \(point.value)")
        }
    }

    @Test func theRunnerCountsBoundaryAndRepeatedProposals() throws {
        /// Always the same corner: every proposal after the start is at a bound and a repeat.
        struct Corner: Sampler {
            func ask(_ context: SamplingContext) throws -> Parameters {
                var p = Parameters()
                for q in context.space.parameters { p[q.name] = q.domain.value(atUnit: 0) }
                return p
            }
        }
        let spec = try #require(BenchmarkSuite.functions.first { $0.name == "sphere-5" })
        let instances = [SuiteInstance(spec: spec, seed: 0)]
        let r = try SuiteRunner(evaluations: 20, startup: 5).run(sampler: "corner", instances: instances) { _ in Corner() }
        #expect(r.boundaryFraction == 1 && r.duplicateFraction == 1)
        let random = try SuiteRunner(evaluations: 30, startup: 5).run(sampler: "random", instances: instances) { RandomSampler(seed: $0) }
        #expect(random.boundaryFraction < 0.5 && random.duplicateFraction == 0)
        #expect(random.regret(at: 30).map { $0.median >= 0 } == true && random.regret(at: 31) == nil)
    }
}
