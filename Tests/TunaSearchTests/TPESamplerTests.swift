import Testing
import Foundation
import TunaRandom
@testable import TunaSearch

@Suite struct TPESamplerTests {
    static let line = SearchSpace([Parameter("x", .float(FloatDomain(low: 0, high: 1)))])

    /// γ(n) = min(⌈n / 10⌉, 25); the weights ramp linearly from 1/n to 1 over all but the 25
    /// newest trials, which weigh 1 (Optuna's `default_gamma` and `default_weights`).
    @Test func gammaAndWeightsMatchOptunasDefaults() {
        #expect([0, 1, 10, 11, 95, 250, 251, 1000].map(TPESampler.gamma) == [0, 1, 1, 2, 10, 25, 25, 25])
        #expect(TPESampler.weights(0).isEmpty)
        #expect(TPESampler.weights(24) == [Double](repeating: 1, count: 24))
        #expect(TPESampler.weights(26) == [1.0 / 26] + [Double](repeating: 1, count: 25))
        let w = TPESampler.weights(30)
        let ramp = [4.0, 33, 62, 91, 120].map { $0 / 120 }  // 1/30 to 1 in steps of 29/120
        #expect(w.count == 30 && w.suffix(25).allSatisfy { $0 == 1 })
        for (a, e) in zip(w, ramp) { #expect(abs(a - e) < 1e-12, "\(w.prefix(5))") }
    }

    /// Complete trials rank by loss, pruned ones after them (furthest first, then by their last
    /// value, silent ones last), failed ones not at all; both sets come back in trial order.
    @Test func splitTakesTheBestGammaTrials() {
        func complete(_ n: Int, _ v: Double) -> Trial { Trial(number: n, state: .complete, params: [:], value: v) }
        func pruned(_ n: Int, _ steps: [Int: Double]) -> Trial {
            Trial(number: n, state: .pruned, params: [:], intermediateValues: steps)
        }
        let s = TPESampler()
        // 15 complete trials, the newest best; 3 pruned; 1 failed: 18 ranked, γ = 2.
        var history = (0..<15).map { complete($0, Double(15 - $0)) }
        history += [pruned(15, [1: 0.1, 5: 0.5]), pruned(16, [1: 0.2]), pruned(17, [:]),
                    Trial(number: 18, state: .fail, params: [:])]
        let (good, bad) = s.split(SamplingContext(space: Self.line, history: history))
        #expect(good.map(\.number) == [13, 14])
        #expect(bad.map(\.number) == Array(0..<13) + [15, 16, 17])
        let maximising = s.split(SamplingContext(space: Self.line, direction: .maximize, history: history))
        #expect(maximising.good.map(\.number) == [0, 1])

        // One complete trial among 12: the good set's second place goes to the pruned trial that
        // got furthest (step 4) with the best value there (#11), not to #2 or #3.
        let few = [complete(0, 3), pruned(1, [2: 0.1]), pruned(2, [4: 7]), pruned(3, [4: 1]), pruned(4, [:])]
            + (5..<11).map { pruned($0, [1: 0]) } + [pruned(11, [3: 9, 4: 0.5])]
        let (fewGood, fewBad) = s.split(SamplingContext(space: Self.line, history: few))
        #expect(fewGood.map(\.number) == [0, 11])
        #expect(fewBad.count == 10)
    }

    /// The first `startupTrials` suggestions are the scrambled Sobol' points of the same seed;
    /// the model takes over once that many trials have finished (pruned ones included).
    @Test func startsWithSobolPoints() throws {
        let f = Hartmann6()
        let trials = try Fixtures.run(TPESampler(seed: 6), space: f.space, trials: 12) { try f.evaluate($0) }
        let sobol = try Fixtures.run(SobolSampler(seed: 6), space: f.space, trials: 12) { try f.evaluate($0) }
        #expect(trials.prefix(10) == sobol.prefix(10))
        #expect(trials[10].params != sobol[10].params)
        var history = Array(trials.prefix(9))
        history.append(Trial(number: 9, state: .pruned, params: trials[9].params, intermediateValues: [1: -1]))
        let next = try TPESampler(seed: 6).ask(SamplingContext(space: f.space, history: history, trialNumber: 10))
        #expect(next != sobol[10].params)
    }

    @Test func sameSeedGivesTheSameSuggestions() throws {
        let f = MixedFunction()
        let a = try Fixtures.run(TPESampler(seed: 4), space: f.space, trials: 25) { try f.evaluate($0) }
        let b = try Fixtures.run(TPESampler(seed: 4), space: f.space, trials: 25) { try f.evaluate($0) }
        let c = try Fixtures.run(TPESampler(seed: 5), space: f.space, trials: 25) { try f.evaluate($0) }
        #expect(a == b)
        #expect(a.suffix(10).map(\.params) != c.suffix(10).map(\.params))
        // A suggestion depends on the history and the trial number only.
        let again = try TPESampler(seed: 4).ask(SamplingContext(space: f.space, history: Array(a.prefix(20)), trialNumber: 20))
        #expect(again == a[20].params)
    }

    /// Mixed integer, log, categorical space: every suggestion is an allowed value, and the
    /// model learns the categorical (adam is best by a margin).
    @Test func integersAndCategoricalsStayOnTheirValuesAndAreLearnt() throws {
        let f = MixedFunction()
        let trials = try Fixtures.run(TPESampler(seed: 2), space: f.space, trials: 60) { try f.evaluate($0) }
        #expect(trials.allSatisfy { Fixtures.isConsistent($0.params, in: f.space) })
        #expect(trials.allSatisfy { if case .int = $0.params["units"] { return true } else { return false } })
        #expect(trials.suffix(30).filter { $0.params["optimizer"] == "adam" }.count > 20)
        #expect((trials.compactMap(\.value).min() ?? 1) < 0.1)
    }

    @Test func learnsConditionalParametersFromTheTrialsWhereTheyWereActive() throws {
        // Best: sgd with momentum 0.9; adam is a constant 1.
        let space = Fixtures.conditional
        let trials = try Fixtures.run(TPESampler(seed: 5), space: space, trials: 60) { p in
            guard let m = p["momentum"]?.number else { return 1 }
            return abs(m - 0.9)
        }
        #expect(trials.allSatisfy { Fixtures.isConsistent($0.params, in: space) })
        let late = trials.suffix(30)
        #expect(late.filter { $0.params["optimizer"] == "sgd" }.count > 15)
        #expect((trials.compactMap(\.value).min() ?? 1) < 0.02)
    }

    /// At a fixed budget of 40 evaluations on Branin, TPE's median regret over 5 seeds is a small
    /// fraction of random search's, and it wins on most seeds.
    @Test func beatsRandomSearchOnBranin() throws {
        let f = Branin()
        var tpe: [Double] = [], random: [Double] = []
        for seed in UInt64(0)..<5 {
            let t = try Fixtures.run(TPESampler(seed: seed), space: f.space, trials: 40) { try f.evaluate($0) }
            let r = try Fixtures.run(RandomSampler(seed: seed), space: f.space, trials: 40) { try f.evaluate($0) }
            tpe.append(f.regret(t.compactMap(\.value).min() ?? .infinity))
            random.append(f.regret(r.compactMap(\.value).min() ?? .infinity))
        }
        let wins = zip(tpe, random).filter { $0 < $1 }.count
        #expect(wins >= 4, "TPE \(tpe) vs random \(random)")
        #expect(Quartiles(tpe).median < Quartiles(random).median / 4, "TPE \(tpe) vs random \(random)")
    }

    /// Three good trials within 0.002 of x = 0.3 among 97 spread-out bad ones. With one candidate
    /// a suggestion is a plain draw from the good estimator, whose kernels here are as narrow as
    /// the floor allows: 1/100 of the range when the floor counts all 100 trials behind the two
    /// estimators, a fifth of it when it counts only the 3 good ones (Optuna's per-estimator
    /// count), which would send most draws more than 0.03 away.
    @Test func suggestionsConcentrateWhereGoodTrialsCluster() throws {
        var history = [0.299, 0.300, 0.301].enumerated().map { i, x in
            Trial(number: i, state: .complete, params: ["x": .double(x)], value: abs(x - 0.3))
        }
        for i in 0..<97 {
            let x = (Double(i) + 0.5) / 97
            history.append(Trial(number: 3 + i, state: .complete, params: ["x": .double(x)], value: 1 + abs(x - 0.3)))
        }
        #expect(TPESampler().minimumWidth(observations: 100) == 0.01)
        #expect(TPESampler().minimumWidth(observations: 3) == 0.2)
        let sampler = TPESampler(seed: 1, eiCandidates: 1)
        let distances = try (100..<120).map { n in
            abs(try #require(sampler.ask(SamplingContext(space: Self.line, history: history, trialNumber: n))["x"]?.number) - 0.3)
        }
        #expect(distances.filter { $0 < 0.03 }.count >= 10, "\(distances)")
    }

    /// With trials running, the next suggestion moves away from them (constant liar).
    @Test func runningTrialsCountAsBad() throws {
        var history: [Trial] = []
        for i in 0..<20 {
            let x = Double(i) / 19
            history.append(Trial(number: i, state: .complete, params: ["x": .double(x)], value: (x - 0.3) * (x - 0.3)))
        }
        let sampler = TPESampler(seed: 3)
        let free = try sampler.ask(SamplingContext(space: Self.line, history: history, trialNumber: 20))
        let lied = try sampler.ask(SamplingContext(space: Self.line, history: history, running: [free, free, free], trialNumber: 20))
        let a = try #require(free["x"]?.number), b = try #require(lied["x"]?.number)
        #expect(abs(a - b) > 1e-9, "the running trials moved the suggestion: \(a) vs \(b)")
    }
}

@Suite struct ParzenEstimatorTests {
    /// Optuna 5's rule: the farther neighbour's distance, the outermost observations taking their
    /// inner neighbour's, clipped to [minimum width, range].
    @Test func bandwidthsFollowTheNeighbours() {
        let sigmas = NumericKernels.bandwidths([0.5, 0.1, 0.6, 0.9], lower: 0, upper: 1, minimumWidth: 1.0 / 6)
        // Sorted 0.1, 0.5, 0.6, 0.9 with ends 0 and 1: 0.1 → 0.4 (inner), 0.5 → 0.4, 0.6 → 0.3,
        // 0.9 → 0.3 (inner).
        for (a, e) in zip(sigmas, [0.4, 0.4, 0.3, 0.3]) { #expect(abs(a - e) < 1e-12, "\(sigmas)") }
        let clipped = NumericKernels.bandwidths([0.50, 0.51, 0.52, 0.53], lower: 0, upper: 1, minimumWidth: 1.0 / 6)
        #expect(clipped.allSatisfy { abs($0 - 1.0 / 6) < 1e-12 }, "\(clipped)")
        #expect(NumericKernels.bandwidths([0.3], lower: 0, upper: 1, minimumWidth: 1.0 / 3) == [0.7])
        #expect(NumericKernels.bandwidths([2, 2], lower: 0, upper: 4, minimumWidth: 0) == [1e-12, 1e-12])
    }

    /// For every kind of grid (plain, log and stepped integers, a stepped float whose high is off
    /// the grid, a single value) the estimator is a distribution on the allowed values: the
    /// probabilities sum to 1, every draw is an allowed value, and draws follow the probabilities.
    @Test(arguments: [
        Domain.int(IntDomain(low: -3, high: 7)), .int(IntDomain(low: 1, high: 64, log: true)),
        .int(IntDomain(low: 0, high: 20, step: 4)), .float(FloatDomain(low: 0.1, high: 1.05, step: 0.2)),
        .int(IntDomain(low: 5, high: 5)),
    ])
    func discreteKernelsAreDistributionsOnTheGrid(domain: Domain) throws {
        let scale = try #require(domain.scale)
        let step = try #require(scale.step)
        let grid = try (0..<scale.count).map { try #require(scale.coordinate(of: .double(scale.low + Double($0) * step))) }
        let observed = [grid[0], grid[grid.count / 2], grid[grid.count / 2]]
        let estimator = ParzenEstimator(
            dims: [.numeric(scale)], observations: observed.map { [$0] }, weights: [1, 1, 1], priorWeight: 1,
            minimumWidth: 0.05)
        let p = estimator.logDensities(grid.map { [$0] }).map(exp)
        #expect(abs(p.reduce(0, +) - 1) < 1e-9, "\(p)")

        var rng = SeededGenerator(seed: 11)
        let draws = estimator.sample(4000, rng: &rng).map { $0[0] }
        var counts = [Int](repeating: 0, count: grid.count)
        for t in draws {
            let value = scale.value(at: t)
            #expect(domain.contains(value) && scale.coordinate(of: value) == t, "\(t) is not on the grid")
            if let k = grid.firstIndex(of: t) { counts[k] += 1 }
        }
        #expect(counts.reduce(0, +) == draws.count)
        // Pearson χ² over the values with enough expected draws; 3.3 per degree of freedom is far
        // beyond the 0.001 level for 2 to 64 degrees of freedom.
        let kept = p.indices.filter { p[$0] * 4000 >= 5 }
        let dof = max(kept.count - 1, 1)
        #expect(chiSquare(kept.map { counts[$0] }, kept.map { p[$0] / kept.map { p[$0] }.reduce(0, +) }) < 3.3 * Double(dof) + 10)
    }

    /// However small the floor, an integer's kernels keep half a step of width, so the values
    /// next to the good trials' keep a real chance: here 3 trials at 2 on 1...4 give 3 about 18%
    /// (3/4 of (Φ(3) − Φ(1)) / (Φ(5) − Φ(−3)) plus 1/4 of the prior's (Φ(0.25) − Φ(0)) / (Φ(0.5) − Φ(−0.5))).
    @Test func integerKernelsKeepTheirNeighboursAlive() throws {
        let scale = NumericScale(IntDomain(low: 1, high: 4))
        let kernels = NumericKernels(scale: scale, observations: [2, 2, 2], minimumWidth: 0.01)
        #expect(kernels.widths == [0.5, 0.5, 0.5, 4])
        let estimator = ParzenEstimator(
            dims: [.numeric(scale)], observations: [[2], [2], [2]], weights: [1, 1, 1], priorWeight: 1, minimumWidth: 0.01)
        let p3 = exp(estimator.logDensities([[3]])[0])
        #expect(abs(p3 - 0.18258087454677402) < 1e-9, "\(p3)")
    }

    /// On a plain or log float the mixture is a density on the search scale: it integrates to 1
    /// over the range (each kernel's truncation is normalised), however narrow the kernels.
    @Test(arguments: [FloatDomain(low: -2, high: 3), FloatDomain(low: 1e-3, high: 10, log: true)])
    func continuousDensitiesIntegrateToOne(domain: FloatDomain) throws {
        let scale = NumericScale(domain)
        let width = scale.upper - scale.lower
        let observed = [0.0, 0.02, 0.5, 0.97].map { [scale.lower + $0 * width] }
        let estimator = ParzenEstimator(
            dims: [.numeric(scale)], observations: observed, weights: [1, 1, 1, 1], priorWeight: 1, minimumWidth: 0.01)
        let n = 40_000
        let xs = (0...n).map { scale.lower + Double($0) / Double(n) * width }
        let f = estimator.logDensities(xs.map { [$0] }).map(exp)
        let integral = (f.reduce(0, +) - (f[0] + f[n]) / 2) * width / Double(n)
        #expect(abs(integral - 1) < 1e-4, "\(integral)")
    }

    /// A categorical kernel puts the prior weight spread over the choices plus 1 on its own
    /// choice, normalised; the prior kernel is uniform (Optuna's categorical kernel).
    @Test func categoricalKernelsFavourTheirChoice() throws {
        let estimator = ParzenEstimator(
            dims: [.categorical(3)], observations: [[0], [0], [2]], weights: [1, 1, 1], priorWeight: 1, minimumWidth: 0)
        // Kernel rows: (1.25, .25, .25)/1.75 twice, (.25, .25, 1.25)/1.75, uniform; each weighs 1/4.
        let expected = [(1.25 * 2 + 0.25) / 1.75 / 4 + 1.0 / 12, (0.25 * 3) / 1.75 / 4 + 1.0 / 12,
                        (0.25 * 2 + 1.25) / 1.75 / 4 + 1.0 / 12]
        let p = estimator.logDensities([[0], [1], [2]]).map(exp)
        for (a, e) in zip(p, expected) { #expect(abs(a - e) < 1e-12, "\(p)") }
    }

    /// log(Φ(b) − Φ(a)) stays finite and accurate where the plain difference cancels
    /// (reference values from mpmath at 50 digits).
    @Test func gaussianLogMassIsAccurateInTheTails() {
        let cases: [(Double, Double, Double)] = [
            (-1, 1, -0.38171514630212605), (10, 11, -53.23131022558312), (-11, -10, -53.23131022558312),
            (-40, -39, -765.0831565643775), (-0.5, 38, -0.3689464152886564), (3, 3.001, -12.328193603728616),
        ]
        for (a, b, expected) in cases {
            let got = NormalMath.logMass(from: a, to: b)
            #expect(abs(got - expected) < 1e-9 * max(1, abs(expected)), "[\(a), \(b)]: \(got) vs \(expected)")
        }
        #expect(NormalMath.logMass(from: 2, to: 2) == -.infinity)
    }
}
