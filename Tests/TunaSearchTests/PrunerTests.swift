import Testing
@testable import TunaSearch

/// A finished trial with intermediate values at steps 0, 1, 2, ….
func curve(_ number: Int, _ values: [Double], state: TrialState = .complete) -> Trial {
    var iv: [Int: Double] = [:]
    for (i, v) in values.enumerated() { iv[i] = v }
    return Trial(number: number, state: state, params: [:], value: state == .complete ? values.last : nil, intermediateValues: iv)
}

@Suite struct PrunerTests {
    /// Five complete trials; at step 1 their values are 1…5 (median 3).
    static let five = (0..<5).map { curve($0, [10, Double($0 + 1), 0.5]) }

    @Test func medianPrunesWhatOptunaPrunes() {
        let pruner = MedianPruner()
        // Optuna compares the trial's best value so far (min over steps) with the median.
        #expect(pruner.shouldPrune(curve(9, [10, 3.5], state: .running), step: 1, history: Self.five, direction: .minimize))
        #expect(!pruner.shouldPrune(curve(9, [10, 2.5], state: .running), step: 1, history: Self.five, direction: .minimize))
        #expect(!pruner.shouldPrune(curve(9, [10, 3.0], state: .running), step: 1, history: Self.five, direction: .minimize))
        #expect(!pruner.shouldPrune(curve(9, [2, 3.5], state: .running), step: 1, history: Self.five, direction: .minimize))
        // Maximize: pruned when the best (max) is below the median.
        #expect(pruner.shouldPrune(curve(9, [0, 2.5], state: .running), step: 1, history: Self.five, direction: .maximize))
        #expect(!pruner.shouldPrune(curve(9, [0, 3.5], state: .running), step: 1, history: Self.five, direction: .maximize))
        // Fewer complete trials than startup: never.
        #expect(!pruner.shouldPrune(curve(9, [10, 9], state: .running), step: 1, history: Array(Self.five.prefix(4)), direction: .minimize))
        // Running and pruned trials do not count as complete ones.
        let mixed = Array(Self.five.prefix(4)) + [curve(7, [10, 1], state: .running)]
        #expect(!pruner.shouldPrune(curve(9, [10, 9], state: .running), step: 1, history: mixed, direction: .minimize))
        // Warm-up steps.
        #expect(!MedianPruner(warmupSteps: 2).shouldPrune(curve(9, [10, 9], state: .running), step: 1, history: Self.five, direction: .minimize))
        // A NaN-only trial is pruned; a step nobody else reported is not judged.
        #expect(pruner.shouldPrune(curve(9, [.nan, .nan], state: .running), step: 1, history: Self.five, direction: .minimize))
        #expect(!pruner.shouldPrune(curve(9, [10, 9, 9, 9], state: .running), step: 3, history: Self.five, direction: .minimize))
    }

    @Test func intervalStepsAndMinTrials() {
        let history = (0..<5).map { curve($0, [1, 1, 1, 1, 1]) }
        let bad = curve(9, [5, 5, 5, 5], state: .running)
        let p = MedianPruner(warmupSteps: 1, intervalSteps: 2)
        // Pruning steps are 1, 3, 5…; at step 2 the previous report (1) already covered the interval.
        #expect(p.shouldPrune(curve(9, [5, 5], state: .running), step: 1, history: history, direction: .minimize))
        #expect(!p.shouldPrune(curve(9, [5, 5, 5], state: .running), step: 2, history: history, direction: .minimize))
        #expect(p.shouldPrune(bad, step: 3, history: history, direction: .minimize))
        // Reports only every other step: step 4 is the first report at or after pruning step 3.
        let sparse = Trial(number: 9, state: .running, params: [:], intermediateValues: [0: 5, 2: 5, 4: 5])
        #expect(p.shouldPrune(sparse, step: 4, history: history, direction: .minimize))
        #expect(!MedianPruner(minTrials: 6).shouldPrune(bad, step: 1, history: history, direction: .minimize))
    }

    @Test func percentileInterpolatesLikeNumPy() {
        #expect(nanPercentile([1, 2, 3, 4, 5], 25) == 2)
        #expect(nanPercentile([1, 2, 3, 4], 25) == 1.75)
        #expect(nanPercentile([.nan, 4, 1], 50) == 2.5)
        #expect(nanPercentile([.nan], 50).isNaN)
        let p = PercentilePruner(percentile: 25)
        // 25th percentile of 1…5 is 2.
        #expect(p.shouldPrune(curve(9, [10, 2.1], state: .running), step: 1, history: Self.five, direction: .minimize))
        #expect(!p.shouldPrune(curve(9, [10, 2.0], state: .running), step: 1, history: Self.five, direction: .minimize))
        // Maximize uses the 75th percentile (4): 3.9 is below it.
        #expect(p.shouldPrune(curve(9, [0, 3.9], state: .running), step: 1, history: Self.five, direction: .maximize))
        #expect(!p.shouldPrune(curve(9, [0, 4.0], state: .running), step: 1, history: Self.five, direction: .maximize))
    }

    @Test func successiveHalvingPromotesTheTopFraction() {
        // η = 2, min resource 1: rungs at steps 1, 2, 4, 8.
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2)
        let others = [curve(0, [0, 1, 9]), curve(1, [0, 2]), curve(2, [0, 3], state: .pruned)]
        // Rung 0 competitors: 1, 2, 3 plus own value; the top half passes.
        #expect(asha.shouldPrune(curve(5, [0, 2.5], state: .running), step: 1, history: others, direction: .minimize))
        #expect(!asha.shouldPrune(curve(5, [0, 1.5], state: .running), step: 1, history: others, direction: .minimize))
        // Maximize: 2.5 is in the top half of {1, 2, 3, 2.5}.
        #expect(!asha.shouldPrune(curve(5, [0, 2.5], state: .running), step: 1, history: others, direction: .maximize))
        // Before the first rung nothing is pruned.
        #expect(!asha.shouldPrune(curve(5, [100], state: .running), step: 0, history: others, direction: .minimize))
        // The first trial to reach a rung is promoted (fewer than η competitors, and it is the best).
        #expect(!asha.shouldPrune(curve(5, [0, 100], state: .running), step: 1, history: [], direction: .minimize))
        // Step 2 is rung 1: only trial 0 reached it (value 9 at step 2).
        #expect(!asha.shouldPrune(curve(5, [0, 1.5, 8], state: .running), step: 2, history: others, direction: .minimize))
        #expect(asha.shouldPrune(curve(5, [0, 1.5, 10], state: .running), step: 2, history: others, direction: .minimize))
        // Bootstrap count: too few competitors → prune.
        let boot = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2, bootstrapCount: 4)
        #expect(boot.shouldPrune(curve(5, [0, 0.1], state: .running), step: 1, history: others, direction: .minimize))
        // Auto min resource: no complete trial yet → no pruning.
        #expect(!SuccessiveHalvingPruner().shouldPrune(curve(5, [0, 100], state: .running), step: 1,
                                                        history: [curve(0, [0, 1], state: .running)], direction: .minimize))
    }

    @Test func hyperbandBracketsFollowOptuna() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let hb = HyperbandPruner(minResource: 1, maxResource: 81, reductionFactor: 3, studyName: "study")
        #expect(hb.budgets(maxResource: 81) == [81, 34, 15, 8, 5])
        #expect(HyperbandPruner(minResource: 1, maxResource: 100, reductionFactor: 3).budgets(maxResource: 100) == [81, 34, 15, 8, 5])
        // Bracket of trial n: crc32("study_n") mod 143 walked through the budgets.
        for n in 0..<20 {
            var r = Int(CRC32.checksum(Array("study_\(n)".utf8))) % 143
            var expected = 0
            for (i, b) in [81, 34, 15, 8, 5].enumerated() { r -= b; if r < 0 { expected = i; break } }
            #expect(hb.bracket(of: n, maxResource: 81) == expected)
        }
    }

    @Test func hyperbandComparesOnlyWithinABracket() {
        let hb = HyperbandPruner(minResource: 1, maxResource: 9, reductionFactor: 3, studyName: "s")
        // Find two trial numbers in bracket 0 (rungs at 1, 3, 9) and one in another bracket.
        let numbers = Array(0..<200)
        let zero = numbers.filter { hb.bracket(of: $0, maxResource: 9) == 0 }
        guard zero.count >= 4, let other = numbers.first(where: { hb.bracket(of: $0, maxResource: 9) != 0 }) else {
            Issue.record("unexpected bracket distribution")
            return
        }
        let sameBracket = [curve(zero[0], [0, 1]), curve(zero[1], [0, 2]), curve(zero[2], [0, 3])]
        let trial = curve(zero[3], [0, 2.5], state: .running)
        #expect(hb.shouldPrune(trial, step: 1, history: sameBracket, direction: .minimize))
        // A trial from another bracket with a great value does not change the verdict for a good one.
        let good = curve(zero[3], [0, 0.5], state: .running)
        #expect(!hb.shouldPrune(good, step: 1, history: sameBracket, direction: .minimize))
        #expect(!hb.shouldPrune(good, step: 1, history: sameBracket + [curve(other, [0, -100])], direction: .minimize))
    }
}
