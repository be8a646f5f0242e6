import Testing
@testable import TunaSearch

@Suite struct GridSamplerTests {
    static let space = SearchSpace([
        Parameter("lr", .float(FloatDomain(low: 1e-3, high: 1e-1, log: true))),
        Parameter("layers", .int(IntDomain(low: 1, high: 3))),
        Parameter("act", .categorical(["relu", "tanh"])),
        Parameter("batch", .fixed(32)),
    ])

    @Test func coversTheCartesianProductExactlyOnce() throws {
        let sampler = GridSampler(seed: 4, gridPoints: 3)
        #expect(try sampler.pointCount(of: Self.space) == 18)
        var history: [Trial] = []
        for n in 0..<18 {
            let p = try sampler.ask(SamplingContext(space: Self.space, history: history, trialNumber: n))
            history.append(Trial(number: n, state: .complete, params: p, value: 0))
        }
        var expected = Set<Parameters>()
        for lr in [1e-3, 1e-2, 1e-1] { for l in 1...3 { for a in ["relu", "tanh"] {
            expected.insert(["lr": .double(lr), "layers": .int(l), "act": .string(a), "batch": 32])
        } } }
        let got = history.map(\.params)
        #expect(Set(got).count == 18)
        // Compare with tolerance on lr (log spacing is computed through exp/log).
        for p in got {
            #expect(expected.contains { e in
                e["layers"] == p["layers"] && e["act"] == p["act"] && e["batch"] == p["batch"]
                    && abs(e["lr"]!.number! - p["lr"]!.number!) < 1e-12
            })
        }
        #expect(throws: SamplerError.exhausted(points: 18)) {
            try sampler.ask(SamplingContext(space: Self.space, history: history, trialNumber: 18))
        }
    }

    @Test func concurrentAskersNeverShareAPoint() throws {
        let sampler = GridSampler(seed: 9, gridPoints: 2)
        // 12 points; four workers ask in turn, trials finish out of order.
        var running: [Int: Parameters] = [:]
        var history: [Trial] = []
        var handedOut: [Parameters] = []
        var n = 0
        while handedOut.count < 12 {
            let p = try sampler.ask(SamplingContext(space: Self.space, history: history,
                                                    running: Array(running.values), trialNumber: n))
            handedOut.append(p)
            running[n] = p
            n += 1
            if running.count == 4, let oldest = running.keys.sorted().dropFirst().first, let q = running[oldest] {
                running[oldest] = nil
                history.append(Trial(number: oldest, state: .complete, params: q, value: 1))
            }
        }
        #expect(Set(handedOut).count == 12)
        #expect(throws: SamplerError.self) {
            try sampler.ask(SamplingContext(space: Self.space, history: history, running: Array(running.values)))
        }
    }

    @Test func earlyPointsSpreadAndOrderDependsOnSeed() throws {
        let space = SearchSpace([Parameter("x", .int(IntDomain(low: 0, high: 99)))])
        let a = try Fixtures.run(GridSampler(seed: 1), space: space, trials: 10) { _ in 0 }.map { $0.params["x"]!.integer! }
        let b = try Fixtures.run(GridSampler(seed: 2), space: space, trials: 10) { _ in 0 }.map { $0.params["x"]!.integer! }
        #expect(a != b)
        // Ten early points of a 100-point line: at least 7 of the 10 deciles are hit.
        #expect(Set(a.map { $0 / 10 }).count >= 7)
    }

    @Test func conditionalGridHoldsOnlyValidCombinations() throws {
        let space = SearchSpace([
            Parameter("opt", .categorical(["adam", "sgd"])),
            Parameter("momentum", .float(FloatDomain(low: 0.5, high: 0.9)), when: Condition(parameter: "opt", oneOf: ["sgd"])),
            Parameter("layers", .int(IntDomain(low: 1, high: 3))),
            Parameter("units_3", .categorical([8, 16]), when: Condition(parameter: "layers", .greaterOrEqual, 3)),
        ])
        let sampler = GridSampler(gridPoints: 3)
        // opt: adam (1) + sgd × 3 momenta = 4; layers: 1, 2, 3 × 2 = 4 → 16.
        #expect(try sampler.pointCount(of: space) == 16)
        // The fixture's wide conditional space (241 unit values × 57 units_3 values × …) is refused.
        #expect(throws: SamplerError.self) { try sampler.ask(space: Fixtures.conditional) }
        let trials = try Fixtures.run(sampler, space: space, trials: 16) { _ in 0 }
        #expect(Set(trials.map(\.params)).count == 16)
        #expect(trials.allSatisfy { Fixtures.isConsistent($0.params, in: space) })
    }

    @Test func refusesHugeGrids() {
        let space = SearchSpace((0..<10).map { Parameter("x\($0)", .int(IntDomain(low: 0, high: 99))) })
        #expect(throws: SamplerError.self) { try GridSampler().ask(space: space) }
    }
}

@Suite struct RobustnessTests {
    @Test func wideRangesAndOddOptionsFailCleanly() throws {
        let wide = SearchSpace([Parameter("n", .int(IntDomain(low: 0, high: 1_000_000_000_000)))])
        #expect(throws: SamplerError.self) { try GridSampler().ask(space: wide) }
        #expect(try RandomSampler().ask(space: wide)["n"]?.integer != nil)
        let tiny = SearchSpace([Parameter("x", .float(FloatDomain(low: 0, high: 1, step: 1e-300)))])
        #expect(tiny.validate() == [.invalidStep(parameter: "x", step: 1e-300)])
        // A zero minimum resource must not spin forever.
        let asha = SuccessiveHalvingPruner(minResource: 0, reductionFactor: 1)
        let t = Trial(number: 1, state: .running, params: [:], intermediateValues: [0: 1, 5: 2])
        _ = asha.shouldPrune(t, step: 5, history: [], direction: .minimize)
        #expect(!HyperbandPruner(minResource: 0, maxResource: 0, reductionFactor: 0).shouldPrune(t, step: 5, history: [], direction: .minimize))
    }
}
