import Foundation

/// Axis ticks at round numbers (1, 2 or 5 times a power of ten), labelled with just the digits
/// the step needs, so an axis reads 0.2 0.4 0.6 rather than 0.1987 0.4013 0.6039.
enum NiceTicks {
    /// About `count` round values inside [low, high]; whole numbers only when `integers`.
    static func values(low: Double, high: Double, count: Int = 5, integers: Bool = false) -> (values: [Double], step: Double) {
        guard low.isFinite, high.isFinite, high > low, count > 0 else { return ([low], 1) }
        var step = roundStep((high - low) / Double(count))
        if integers { step = max(step, 1) }
        let first = (low / step).rounded(.up)
        let last = (high / step).rounded(.down)
        guard first <= last, last - first < 1000 else { return ([low, high], high - low) }
        // Multiplying the index (not adding the step) keeps 0.1 * 3 from drifting to 0.30000000000000004 in labels.
        let values = stride(from: first, through: last, by: 1).map { $0 * step }
        return (values, step)
    }

    /// 1, 2 or 5 times a power of ten, the nearest to `raw` (cut at the geometric midpoints).
    static func roundStep(_ raw: Double) -> Double {
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction < 2.0.squareRoot() ? 1 : fraction < 10.0.squareRoot() ? 2 : fraction < 50.0.squareRoot() ? 5 : 10
        return nice * magnitude
    }

    /// A value printed with as many decimals as the step has, or in exponent form when tiny or huge.
    static func label(_ x: Double, step: Double) -> String {
        if x == 0 { return "0" }
        if abs(x) >= 1e6 || step < 1e-4 { return String(format: "%.2g", x) }
        // The tolerance keeps log10(0.1), which may come out a hair below -1, at one decimal.
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        return String(format: "%.\(min(decimals, 6))f", x)
    }

    /// Ticks of a scale as (value, label).
    static func ticks(low: Double, high: Double, count: Int = 5, integers: Bool = false) -> [(Double, String)] {
        let (values, step) = values(low: low, high: high, count: count, integers: integers)
        return values.map { ($0, label($0, step: step)) }
    }
}
