import Testing
@testable import TunaPlots

@Suite struct NiceTicksTests {
    @Test func ticksAreRoundNumbersInsideTheRange() {
        let accuracy = NiceTicks.ticks(low: 0.51, high: 1.023)
        #expect(accuracy.map(\.1) == ["0.6", "0.7", "0.8", "0.9", "1.0"])
        let trials = NiceTicks.ticks(low: -0.5, high: 19.5, integers: true)
        #expect(trials.map(\.1) == ["0", "5", "10", "15"])
        let layers = NiceTicks.ticks(low: 1, high: 2, count: 3, integers: true)
        #expect(layers.map(\.1) == ["1", "2"])
        let small = NiceTicks.ticks(low: 0.003251, high: 0.2529, count: 3)
        #expect(small.map(\.1) == ["0.1", "0.2"])
        let big = NiceTicks.ticks(low: 1e-3, high: 1e-2, count: 3, integers: false)
        #expect(big.map(\.1) == ["0.002", "0.004", "0.006", "0.008", "0.010"])
        let tiny = NiceTicks.ticks(low: 1e-7, high: 5e-7, count: 4)
        #expect(tiny.map(\.1) == ["1e-07", "2e-07", "3e-07", "4e-07", "5e-07"])
        #expect(NiceTicks.ticks(low: -3, high: 3).map(\.1) == ["-3", "-2", "-1", "0", "1", "2", "3"])
    }

    @Test func axesTickWholeNumbersAndDecades() {
        let layers = ParamAxis.axis(name: "layers", values: [.number(1), .number(3), .number(2)])
        #expect(layers.ticks.map(\.label) == ["1", "2", "3"])
        let lr = ParamAxis.axis(name: "lr", values: [.number(1e-4), .number(0.05)])
        #expect(lr.ticks.map(\.label) == ["0.0001", "0.001", "0.01"])
        #expect(lr.ticks.allSatisfy { $0.position >= 0 && $0.position <= 1 })
    }
}
