import Testing
import Foundation
@testable import TunaSearch

/// Kolmogorov–Smirnov statistic of a sample against the uniform distribution on [0, 1].
func ksUniform(_ sample: [Double]) -> Double {
    let s = sample.sorted()
    let n = Double(s.count)
    var d = 0.0
    for (i, x) in s.enumerated() { d = max(d, Double(i + 1) / n - x, x - Double(i) / n) }
    return d
}

/// Pearson chi-square statistic of counts against expected probabilities.
func chiSquare(_ counts: [Int], _ probabilities: [Double]) -> Double {
    let n = Double(counts.reduce(0, +))
    return zip(counts, probabilities).reduce(0) { $0 + pow(Double($1.0) - n * $1.1, 2) / (n * $1.1) }
}

@Suite struct RandomSamplerTests {
    static let space = SearchSpace([
        Parameter("lr", .float(FloatDomain(low: 1e-5, high: 1e-1, log: true))),
        Parameter("dropout", .float(FloatDomain(low: 0.1, high: 0.6))),
        Parameter("units", .int(IntDomain(low: 1, high: 8, log: true))),
        Parameter("layers", .int(IntDomain(low: 1, high: 5))),
        Parameter("act", .categorical(["relu", "tanh", "gelu"])),
    ])

    func draws(_ n: Int, seed: UInt64 = 7) throws -> [Parameters] {
        let s = RandomSampler(seed: seed)
        return try (0..<n).map { try s.ask(SamplingContext(space: Self.space, trialNumber: $0)) }
    }

    @Test func floatsAreUniformOnTheirScale() throws {
        let d = try draws(4000)
        let lr = d.map { $0["lr"]!.number! }
        let dropout = d.map { $0["dropout"]!.number! }
        #expect(lr.allSatisfy { $0 >= 1e-5 && $0 <= 1e-1 })
        #expect(dropout.allSatisfy { $0 >= 0.1 && $0 <= 0.6 })
        // KS critical value at α = 0.001 is 1.95/√n ≈ 0.031 for n = 4000.
        let logU = lr.map { (log($0) - log(1e-5)) / (log(1e-1) - log(1e-5)) }
        #expect(ksUniform(logU) < 0.031)
        #expect(ksUniform(dropout.map { ($0 - 0.1) / 0.5 }) < 0.031)
        // A uniform (not log) draw of lr would fail: most mass above 1e-2.
        #expect(ksUniform(lr.map { ($0 - 1e-5) / (1e-1 - 1e-5) }) > 0.5)
    }

    @Test func integersAndChoicesFollowTheirDistributions() throws {
        let d = try draws(6000)
        var layers = [Int](repeating: 0, count: 5)
        var units = [Int](repeating: 0, count: 8)
        var act = [Int](repeating: 0, count: 3)
        for p in d {
            guard case .int(let l)? = p["layers"], case .int(let u)? = p["units"], case .string(let a)? = p["act"] else {
                Issue.record("wrong value types in \(p)")
                return
            }
            layers[l - 1] += 1
            units[u - 1] += 1
            act[["relu", "tanh", "gelu"].firstIndex(of: a)!] += 1
        }
        // χ² critical values at α = 0.001: 4 dof 18.5, 7 dof 24.3, 2 dof 13.8.
        #expect(chiSquare(layers, [Double](repeating: 0.2, count: 5)) < 18.5)
        #expect(chiSquare(act, [Double](repeating: 1.0 / 3, count: 3)) < 13.8)
        // Log ints: value k owns [log(k − 0.5), log(k + 0.5)] of [log 0.5, log 8.5].
        let total = log(8.5) - log(0.5)
        let p = (1...8).map { (log(Double($0) + 0.5) - log(Double($0) - 0.5)) / total }
        #expect(chiSquare(units, p) < 24.3)
        #expect(chiSquare(units, [Double](repeating: 0.125, count: 8)) > 100)
    }

    @Test func seedReproducesTheSequence() throws {
        let a = try draws(50, seed: 3)
        let b = try draws(50, seed: 3)
        let c = try draws(50, seed: 4)
        #expect(a == b)
        #expect(a != c)
        // A suggestion depends on the trial number, not on what was asked before.
        let again = try RandomSampler(seed: 3).ask(SamplingContext(space: Self.space, trialNumber: 17))
        #expect(again == a[17])
    }

    @Test func conditionalParametersAppearOnlyWhenActive() throws {
        let samplers: [any Sampler] = [RandomSampler(seed: 1), SobolSampler(seed: 1), TPESampler(seed: 1),
                                       BayesianSampler(seed: 1, candidates: 128)]
        for sampler in samplers {
            let trials = try Fixtures.run(sampler, space: Fixtures.conditional, trials: 30) { p in
                (log10(p["lr"]!.number!) + 2) * (log10(p["lr"]!.number!) + 2) + (p["momentum"]?.number ?? 0.3)
            }
            for t in trials {
                #expect(Fixtures.isConsistent(t.params, in: Fixtures.conditional), "\(type(of: sampler)): \(t.params)")
                #expect(t.params["epochs"] == 30)
            }
            #expect(trials.contains { $0.params["momentum"] != nil })
            #expect(trials.contains { $0.params["momentum"] == nil })
            #expect(trials.contains { $0.params["units_3"] != nil })
        }
    }
}

@Suite struct SobolTests {
    @Test func unscrambledPointsMatchTheClassicSequence() {
        let s = SobolSequence(dimensions: 2, scrambled: false)
        let expected: [[Double]] = [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75],
                                    [0.375, 0.375], [0.875, 0.875], [0.625, 0.125], [0.125, 0.625]]
        #expect((0..<8).map { s.point($0) } == expected)
    }

    @Test func scrambledPointsStayStratified() {
        for seed in [UInt64(0), 5] {
            let s = SobolSequence(dimensions: 10, scrambled: true, seed: seed)
            let pts = (0..<64).map { s.point($0) }
            for d in 0..<10 {
                // Every interval [k/64, (k+1)/64) holds exactly one point in every coordinate.
                #expect(Set(pts.map { Int($0[d] * 64) }).count == 64)
            }
        }
        #expect(SobolSequence(dimensions: 3, seed: 1).point(5) != SobolSequence(dimensions: 3, seed: 2).point(5))
        #expect(SobolSequence(dimensions: 60, seed: 1).point(3).allSatisfy { $0 >= 0 && $0 < 1 })
    }
}
