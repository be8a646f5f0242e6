import TunaTensor

/// One train/test division of row indices (both sorted ascending, as scikit-learn returns them).
public struct Fold: Sendable, Hashable, Codable {
    public var train: [Int]
    public var test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }
}

/// Ways of dividing rows, with scikit-learn's semantics: without shuffling the folds are
/// exactly scikit-learn's (the tests check this against fixtures); with shuffling they are
/// reproducible from the seed through Tuna's own generator (NumPy's stream is not reproduced).
public enum Splits {
    /// K folds of consecutive rows (after an optional seeded shuffle); the first `n % k` folds
    /// get one extra row, as `KFold`.
    public static func kFold(count n: Int, folds k: Int, shuffle: Bool = false, seed: UInt64 = 0) throws -> [Fold] {
        try checkFolds(k, rows: n)
        var order = Array(0..<n)
        if shuffle {
            var rng = SeededGenerator(seed: seed)
            rng.shuffle(&order)
        }
        var folds: [Fold] = []
        var start = 0
        for f in 0..<k {
            let size = n / k + (f < n % k ? 1 : 0)
            folds.append(fold(testing: Array(order[start..<(start + size)]), of: n))
            start += size
        }
        return folds
    }

    /// K folds keeping every class's share in each fold, as `StratifiedKFold`: rows of each
    /// class are dealt to the folds in turn, so a class's count in two folds differs by at most
    /// one. Every class needs at least `k` rows.
    public static func stratifiedKFold(
        labels: [Int], folds k: Int, shuffle: Bool = false, seed: UInt64 = 0, classNames: [String]? = nil
    ) throws -> [Fold] {
        let n = labels.count
        try checkFolds(k, rows: n)
        // Classes in order of first appearance, as scikit-learn encodes them.
        var code: [Int: Int] = [:]
        var firstSeen: [Int] = []
        for label in labels where code[label] == nil {
            code[label] = firstSeen.count
            firstSeen.append(label)
        }
        let encoded = labels.map { code[$0] ?? 0 }
        let classCount = firstSeen.count
        var counts = [Int](repeating: 0, count: classCount)
        for c in encoded { counts[c] += 1 }
        for (c, count) in counts.enumerated() where count < k {
            let label = firstSeen[c]
            let name = classNames.flatMap { $0.indices.contains(label) ? $0[label] : nil } ?? String(label)
            throw DataError("class '\(name)' has \(count) row\(count == 1 ? "" : "s"), fewer than the \(k) folds; use fewer folds or gather more rows")
        }
        // allocation[f][c]: rows of class c in fold f, from dealing the sorted labels round-robin.
        let sortedCodes = encoded.sorted()
        var allocation = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: k)
        for (i, c) in sortedCodes.enumerated() { allocation[i % k][c] += 1 }
        var rng = SeededGenerator(seed: seed)
        var testFold = [Int](repeating: 0, count: n)
        for c in 0..<classCount {
            var foldsForClass: [Int] = []
            for f in 0..<k { foldsForClass += [Int](repeating: f, count: allocation[f][c]) }
            if shuffle { rng.shuffle(&foldsForClass) }
            var next = 0
            for row in 0..<n where encoded[row] == c {
                testFold[row] = foldsForClass[next]
                next += 1
            }
        }
        return (0..<k).map { f in fold(testing: (0..<n).filter { testFold[$0] == f }, of: n) }
    }

    /// `repeats` independent k-fold divisions (stratified when labels are given), each shuffled
    /// with a seed drawn from `seed`, as `RepeatedKFold` / `RepeatedStratifiedKFold`.
    public static func repeatedKFold(
        count n: Int, labels: [Int]? = nil, folds k: Int, repeats: Int, seed: UInt64 = 0
    ) throws -> [[Fold]] {
        guard repeats >= 1 else { throw DataError("repeats must be at least 1, got \(repeats)") }
        var rng = SeededGenerator(seed: seed)
        return try (0..<repeats).map { _ in
            let repeatSeed = rng.next()
            if let labels { return try stratifiedKFold(labels: labels, folds: k, shuffle: true, seed: repeatSeed) }
            return try kFold(count: n, folds: k, shuffle: true, seed: repeatSeed)
        }
    }

    /// Expanding-window splits for ordered data, as `TimeSeriesSplit`: every training row comes
    /// before every test row (and `gap` rows before the test are left out of training).
    public static func timeSeries(
        count n: Int, splits: Int, testSize: Int? = nil, gap: Int = 0, maxTrainSize: Int? = nil
    ) throws -> [Fold] {
        guard splits >= 2 else { throw DataError("a time-series split needs at least 2 splits, got \(splits)") }
        guard splits + 1 <= n else { throw DataError("\(splits) time-series splits need at least \(splits + 1) rows, there are \(n)") }
        let size = testSize ?? n / (splits + 1)
        guard size >= 1, gap >= 0, n - gap - size * splits > 0 else {
            throw DataError("\(n) rows are too few for \(splits) splits of \(size) test rows with a gap of \(gap)")
        }
        return stride(from: n - splits * size, to: n, by: size).map { testStart in
            let trainEnd = testStart - gap
            let trainStart = maxTrainSize.map { max(0, trainEnd - $0) } ?? 0
            return Fold(train: Array(trainStart..<trainEnd), test: Array(testStart..<min(testStart + size, n)))
        }
    }

    /// Train/validation/test parts by fractions (e.g. 0.7, 0.15, 0.15), shuffled with `seed`.
    /// With labels, every class is divided in the same proportions (largest-remainder rounding
    /// keeps each class within one row of its exact share).
    public static func trainValidationTest(
        count n: Int, labels: [Int]? = nil, fractions: (train: Double, validation: Double, test: Double) = (0.7, 0.15, 0.15),
        seed: UInt64 = 0
    ) throws -> (train: [Int], validation: [Int], test: [Int]) {
        let parts = [fractions.train, fractions.validation, fractions.test]
        guard parts.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(parts.reduce(0, +) - 1) < 1e-9 else {
            throw DataError("split fractions must be non-negative and add up to 1, got \(parts)")
        }
        guard n >= 3 else { throw DataError("a train/validation/test split needs at least 3 rows, there are \(n)") }
        var rng = SeededGenerator(seed: seed)
        let groups: [[Int]]
        if let labels {
            guard labels.count == n else { throw DataError("\(labels.count) labels for \(n) rows") }
            var byClass: [Int: [Int]] = [:]
            for (row, label) in labels.enumerated() { byClass[label, default: []].append(row) }
            groups = byClass.keys.sorted().compactMap { byClass[$0] }
        } else {
            groups = [Array(0..<n)]
        }
        var result: [[Int]] = [[], [], []]
        for var group in groups {
            rng.shuffle(&group)
            let counts = apportion(group.count, parts)
            var start = 0
            for p in 0..<3 {
                result[p] += group[start..<(start + counts[p])]
                start += counts[p]
            }
        }
        return (result[0].sorted(), result[1].sorted(), result[2].sorted())
    }

    /// Splits `total` into integer parts proportional to `shares` (largest remainder first).
    static func apportion(_ total: Int, _ shares: [Double]) -> [Int] {
        let exact = shares.map { $0 * Double(total) }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0])) > (exact[$1] - Double(counts[$1])) }
        var left = total - counts.reduce(0, +)
        for i in order where left > 0 {
            counts[i] += 1
            left -= 1
        }
        return counts
    }

    static func checkFolds(_ k: Int, rows n: Int) throws {
        guard k >= 2 else { throw DataError("cross-validation needs at least 2 folds, got \(k)") }
        guard k <= n else { throw DataError("\(k) folds need at least \(k) rows, there are \(n)") }
    }

    static func fold(testing test: [Int], of n: Int) -> Fold {
        var inTest = [Bool](repeating: false, count: n)
        for i in test { inTest[i] = true }
        return Fold(train: (0..<n).filter { !inTest[$0] }, test: test.sorted())
    }
}
