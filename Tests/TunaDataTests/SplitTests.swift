import Foundation
import Testing
import TunaTensor
@testable import TunaData

@Suite struct SplitTests {
    func fixtureFolds(_ key: String) throws -> [Fold] {
        let list = try #require(try Fixture.json("splits.json")[key] as? [[String: Any]])
        return try list.map { Fold(train: try $0.ints("train"), test: try $0.ints("test")) }
    }

    @Test func unshuffledFoldsEqualScikitLearn() throws {
        #expect(try Splits.kFold(count: 23, folds: 5) == fixtureFolds("kfold_23_5"))
        let labels = try Fixture.json("splits.json").ints("stratified_labels")
        #expect(try Splits.stratifiedKFold(labels: labels, folds: 4) == fixtureFolds("stratified_37_4"))
        #expect(try Splits.timeSeries(count: 20, splits: 4, gap: 1) == fixtureFolds("timeseries_20_4_gap1"))
        #expect(try Splits.timeSeries(count: 20, splits: 3, maxTrainSize: 5) == fixtureFolds("timeseries_20_3_max5"))
    }

    /// Every row is tested exactly once, and never trained on in the fold that tests it.
    func checkPartition(_ folds: [Fold], rows n: Int) {
        var tested = [Int](repeating: 0, count: n)
        for fold in folds {
            for i in fold.test { tested[i] += 1 }
            #expect(Set(fold.train).isDisjoint(with: fold.test))
            #expect(fold.train.count + fold.test.count == n)
        }
        #expect(tested.allSatisfy { $0 == 1 })
    }

    @Test(arguments: [(10, 2), (23, 5), (100, 7), (50, 50)])
    func kFoldPartitions(n: Int, k: Int) throws {
        for seed in UInt64(0)..<5 {
            let folds = try Splits.kFold(count: n, folds: k, shuffle: true, seed: seed)
            checkPartition(folds, rows: n)
            let sizes = folds.map(\.test.count)
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func stratifiedFoldsKeepClassProportions(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let classes = 2 + rng.nextInt(below: 4)
        let k = 2 + rng.nextInt(below: 5)
        let n = 40 + rng.nextInt(below: 200)
        // Every class gets at least one row per fold (stratification is only defined then), the
        // rest are drawn unbalanced.
        var labels = (0..<classes).flatMap { c in [Int](repeating: c, count: k) }
        for _ in 0..<n {
            let skewed = Double(classes) * rng.nextDouble() * rng.nextDouble() * 1.6  // unbalanced classes
            labels.append(min(classes - 1, Int(skewed)))
        }
        rng.shuffle(&labels)
        let counts = (0..<classes).map { c in labels.filter { $0 == c }.count }
        try #require(counts.allSatisfy { $0 >= k }, "\(counts)")
        #expect(Set(counts).count > 1, "the classes are unbalanced: \(counts)")
        let folds = try Splits.stratifiedKFold(labels: labels, folds: k, shuffle: true, seed: seed)
        checkPartition(folds, rows: labels.count)
        for c in 0..<classes {
            let perFold = folds.map { fold in fold.test.filter { labels[$0] == c }.count }
            #expect((perFold.max() ?? 0) - (perFold.min() ?? 0) <= 1, "class \(c): \(perFold)")
            // Within one row of the class's exact share of a fold.
            let share = Double(counts[c]) / Double(k)
            #expect(perFold.allSatisfy { abs(Double($0) - share) < 1 }, "class \(c): \(perFold)")
        }
    }

    @Test func seedsReproduceAndDiffer() throws {
        let labels = (0..<60).map { $0 % 3 }
        #expect(try Splits.kFold(count: 60, folds: 5, shuffle: true, seed: 7) == Splits.kFold(count: 60, folds: 5, shuffle: true, seed: 7))
        #expect(try Splits.kFold(count: 60, folds: 5, shuffle: true, seed: 7) != Splits.kFold(count: 60, folds: 5, shuffle: true, seed: 8))
        #expect(try Splits.stratifiedKFold(labels: labels, folds: 5, shuffle: true, seed: 3)
            == Splits.stratifiedKFold(labels: labels, folds: 5, shuffle: true, seed: 3))
        let repeated = try Splits.repeatedKFold(count: 30, labels: nil, folds: 3, repeats: 4, seed: 1)
        #expect(repeated.count == 4 && Set(repeated.map { $0.map(\.test) }).count == 4)
        for run in repeated { checkPartition(run, rows: 30) }
        #expect(try repeated == Splits.repeatedKFold(count: 30, labels: nil, folds: 3, repeats: 4, seed: 1))
    }

    @Test(arguments: [(20, 4, 0), (100, 5, 3), (7, 2, 1), (50, 3, 0)])
    func timeSeriesNeverTrainsOnTheFuture(n: Int, splits: Int, gap: Int) throws {
        let folds = try Splits.timeSeries(count: n, splits: splits, gap: gap)
        #expect(folds.count == splits)
        for fold in folds {
            let lastTrain = try #require(fold.train.max())
            let firstTest = try #require(fold.test.min())
            #expect(lastTrain + gap < firstTest)
        }
        // The training window grows and test windows do not overlap.
        #expect(zip(folds, folds.dropFirst()).allSatisfy { $0.train.count < $1.train.count && $0.test.max()! < $1.test.min()! })
    }

    @Test func trainValidationTestFractions() throws {
        let labels = (0..<200).map { $0 < 120 ? 0 : ($0 < 180 ? 1 : 2) }
        let parts = try Splits.trainValidationTest(count: 200, labels: labels, fractions: (0.7, 0.15, 0.15), seed: 4)
        #expect(Set(parts.train).union(parts.validation).union(parts.test) == Set(0..<200))
        #expect(parts.train.count + parts.validation.count + parts.test.count == 200)
        for c in 0..<3 {
            let total = Double(labels.filter { $0 == c }.count)
            for (rows, share) in [(parts.train, 0.7), (parts.validation, 0.15), (parts.test, 0.15)] {
                #expect(abs(Double(rows.filter { labels[$0] == c }.count) - share * total) < 1)
            }
        }
        #expect(try Splits.trainValidationTest(count: 200, labels: labels, seed: 4) == parts)
        #expect(message { _ = try Splits.trainValidationTest(count: 10, fractions: (0.5, 0.3, 0.3)) }?
            .contains("add up to 1") == true)
    }

    @Test func impossibleSplitsThrow() {
        let labels = [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
        #expect(message { _ = try Splits.stratifiedKFold(labels: labels, folds: 5, classNames: ["common", "rare"]) }
            == "class 'rare' has 2 rows, fewer than the 5 folds; use fewer folds or gather more rows")
        #expect(message { _ = try Splits.kFold(count: 3, folds: 5) } == "5 folds need at least 5 rows, there are 3")
        #expect(message { _ = try Splits.kFold(count: 30, folds: 1) } == "cross-validation needs at least 2 folds, got 1")
        #expect(message { _ = try Splits.timeSeries(count: 3, splits: 5) } != nil)
    }
}
