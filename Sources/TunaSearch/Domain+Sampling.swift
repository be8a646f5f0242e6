#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Domain {
    /// The numeric scale of a float or int domain (nil for categorical and fixed).
    var scale: NumericScale? {
        switch self {
        case .float(let d): return NumericScale(d)
        case .int(let d): return NumericScale(d)
        case .categorical, .fixed: return nil
        }
    }

    /// The value at unit position `u` in `[0, 1]`: the shared decoding of random, Sobol and
    /// Bayesian samplers (categoricals split the interval into equal parts).
    public func value(atUnit u: Double) -> ParameterValue {
        switch self {
        case .float, .int:
            return scale?.value(atUnit: u) ?? .double(u)
        case .categorical(let values):
            guard !values.isEmpty else { return .int(0) }
            let i = min(Int(max(u, 0) * Double(values.count)), values.count - 1)
            return values[i]
        case .fixed(let v):
            return v
        }
    }

    /// Index of `value` among a categorical's choices.
    func choiceIndex(of value: ParameterValue) -> Int? {
        guard case .categorical(let values) = self else { return nil }
        return values.firstIndex { $0.matches(value) }
    }

    /// Whether `value` is one the domain allows (bounds, step, integrality, choices).
    public func contains(_ value: ParameterValue) -> Bool {
        switch self {
        case .float(let d):
            guard let x = value.number, x >= d.low - 1e-12 * abs(d.low), x <= d.high + 1e-12 * abs(d.high)
            else { return false }
            if let s = d.step, s > 0 {
                let k = (x - d.low) / s
                return abs(k - k.rounded()) < 1e-6
            }
            return true
        case .int(let d):
            guard let x = value.integer, x >= d.low, x <= d.high else { return false }
            let (offset, overflow) = x.subtractingReportingOverflow(d.low)
            return !overflow && offset % max(d.step, 1) == 0
        case .categorical:
            return choiceIndex(of: value) != nil
        case .fixed(let v):
            return v.matches(value)
        }
    }

    /// Number of values ``gridValues(floatPoints:)`` would return (at most; stepped floats may
    /// merge), computed without building them.
    func gridCount(floatPoints: Int) -> Double {
        switch self {
        case .categorical(let values): return Double(values.count)
        case .fixed: return 1
        case .int(let d): return ((Double(d.high) - Double(d.low)) / Double(max(d.step, 1))).rounded(.down) + 1
        case .float: return Double(max(floatPoints, 1))
        }
    }

    /// The values a grid visits: every choice, every int step, `floatPoints` evenly spaced floats
    /// (log-spaced for log floats; snapped to the step and de-duplicated for stepped floats).
    public func gridValues(floatPoints: Int) -> [ParameterValue] {
        switch self {
        case .categorical(let values): return values
        case .fixed(let v): return [v]
        case .int(let d):
            let s = max(d.step, 1)
            return stride(from: d.low, through: d.high, by: s).map { .int($0) }
        case .float(let d):
            let n = max(floatPoints, 1)
            if n == 1 || d.low == d.high {
                return [.double(d.log ? (d.low * d.high).squareRoot() : (d.low + d.high) / 2)]
            }
            var out: [ParameterValue] = []
            for i in 0..<n {
                let f = Double(i) / Double(n - 1)
                var x = d.log ? exp(log(d.low) + f * (log(d.high) - log(d.low))) : d.low + f * (d.high - d.low)
                // The ends exactly as declared: exp(log(x)) can round past them.
                if i == 0 { x = d.low }
                if i == n - 1 { x = d.high }
                if let s = d.step, s > 0 {
                    let count = Int(((d.high - d.low) / s + 1e-9).rounded(.down))
                    x = d.low + min(((x - d.low) / s).rounded(), Double(count)) * s
                }
                let v = ParameterValue.double(x)
                if !out.contains(v) { out.append(v) }
            }
            return out
        }
    }
}
