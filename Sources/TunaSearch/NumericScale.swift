#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The continuous scale on which a numeric parameter is searched.
///
/// Samplers work on an internal coordinate `t` in `[lower, upper]`: `log(x)` for log parameters,
/// `x` otherwise; discrete parameters (ints, stepped floats) own the interval `±step/2` around
/// each allowed value, so that every value gets the same share of the scale (as Optuna does).
/// ``value(at:)`` snaps `t` back onto an allowed value.
struct NumericScale: Sendable, Hashable {
    let lower: Double
    let upper: Double
    let isLog: Bool
    let isInt: Bool
    /// Allowed values are `low + k * step`, `k` in `0..<count` (nil for a plain float).
    let low: Double
    /// The declared upper end: `exp(log(high))` can land a rounding step above it, and a value
    /// outside its declared range (`lr 0.10000000000000002` for `[.., 0.1]`) is refused by
    /// whatever reads it strictly.
    let high: Double
    let step: Double?
    let count: Int

    init(_ d: FloatDomain) {
        isLog = d.log
        isInt = false
        low = d.low
        high = d.high
        if let s = d.step, s > 0, !d.log {
            step = s
            count = Int(((d.high - d.low) / s + 1e-9).rounded(.down)) + 1
            lower = d.low - s / 2
            upper = d.low + Double(count - 1) * s + s / 2
        } else {
            step = nil
            count = 0
            lower = d.log ? Glibc_log(d.low) : d.low
            upper = d.log ? Glibc_log(d.high) : d.high
        }
    }

    init(_ d: IntDomain) {
        isLog = d.log
        isInt = true
        low = Double(d.low)
        high = Double(d.high)
        let s = max(d.step, 1)
        step = Double(s)
        count = (d.high - d.low) / s + 1
        let top = Double(d.low + (count - 1) * s)
        if d.log {
            lower = Glibc_log(max(Double(d.low) - 0.5, 1e-12))
            upper = Glibc_log(top + 0.5)
        } else {
            lower = Double(d.low) - Double(s) / 2
            upper = top + Double(s) / 2
        }
    }

    /// For integers and stepped floats, the bin of the allowed value nearest to `t`: the values
    /// within half a step of it, on the search scale and clipped to the range. It is exactly the
    /// set of coordinates ``value(at:)`` snaps to that value, so the bins of all allowed values
    /// tile `[lower, upper]`. Nil for plain floats.
    func bin(of t: Double) -> (Double, Double)? {
        guard let step, let x = value(at: t).number else { return nil }
        let left = x - step / 2, right = x + step / 2
        if isLog { return (left > 0 ? max(Glibc_log(left), lower) : lower, min(Glibc_log(right), upper)) }
        return (max(left, lower), min(right, upper))
    }

    /// The allowed value nearest to internal coordinate `t` (clamped into the range).
    func value(at t: Double) -> ParameterValue {
        let c = min(max(t, lower), upper)
        // The ends of the scale are the declared ends exactly, not exp(log(end)).
        var x = c <= lower && step == nil ? low : (c >= upper && step == nil ? high : (isLog ? Glibc_exp(c) : c))
        if let step {
            let k = min(max(((x - low) / step).rounded(), 0), Double(count - 1))
            x = low + k * step
            if isInt { return .int(Int(x.rounded())) }
            return .double(x)
        }
        x = min(max(x, low), high)
        if isInt { return .int(Int(x.rounded())) }
        return .double(x)
    }

    /// The allowed value's number nearest to `t`, as a Double.
    func snappedNumber(at t: Double) -> Double {
        value(at: t).number ?? t
    }

    /// Internal coordinate of a value (nil when the value is not a number).
    func coordinate(of value: ParameterValue) -> Double? {
        guard let x = value.number else { return nil }
        if isLog { return x > 0 ? Glibc_log(x) : nil }
        return x
    }

    /// Unit-interval position of a value: `(t - lower) / (upper - lower)`, 0.5 for a degenerate range.
    func unit(of value: ParameterValue) -> Double? {
        guard let t = coordinate(of: value) else { return nil }
        let w = upper - lower
        return w > 0 ? min(max((t - lower) / w, 0), 1) : 0.5
    }

    /// The allowed value at unit position `u`.
    func value(atUnit u: Double) -> ParameterValue {
        value(at: lower + min(max(u, 0), 1) * (upper - lower))
    }
}

@inline(__always) func Glibc_log(_ x: Double) -> Double { log(x) }
@inline(__always) func Glibc_exp(_ x: Double) -> Double { exp(x) }
