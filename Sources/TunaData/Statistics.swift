/// Small order statistics shared by the imputer, the scalers and the metrics, written to match
/// NumPy's definitions (the fixtures compare against scikit-learn, which uses them).
enum Statistics {
    /// The mean of the non-NaN values, or nil when there are none.
    static func mean(_ values: [Double]) -> Double? {
        var sum = 0.0
        var count = 0
        for v in values where !v.isNaN { sum += v; count += 1 }
        return count == 0 ? nil : sum / Double(count)
    }

    /// The population standard deviation (ddof = 0) of the non-NaN values.
    static func standardDeviation(_ values: [Double]) -> Double? {
        guard let m = mean(values) else { return nil }
        var sum = 0.0
        var count = 0
        for v in values where !v.isNaN { sum += (v - m) * (v - m); count += 1 }
        return (sum / Double(count)).squareRoot()
    }

    /// The `q`-th quantile (0...1) of the non-NaN values with linear interpolation, as
    /// `numpy.nanpercentile`'s default; nil when there are no values.
    static func quantile(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let fraction = position - Double(low)
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }

    /// The median of the non-NaN values.
    static func median(_ values: [Double]) -> Double? { quantile(values, 0.5) }

    /// The most frequent value (ties: the smallest, as scikit-learn's SimpleImputer).
    static func mostFrequent<T: Hashable & Comparable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }
}
