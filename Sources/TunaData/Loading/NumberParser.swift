#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal text to `Double` straight from bytes.
///
/// CSV loading spends most of its time here, so the common case (at most 19 significant digits,
/// a decimal exponent within ±22) is done with Clinger's fast path, which is exact: both the
/// integer mantissa (< 2^53) and the power of ten are representable, and one IEEE multiply or
/// divide rounds correctly. Everything else (long mantissas, huge exponents) goes to `strtod`,
/// so results always equal what a correctly rounding parser (Python's, pandas' "round_trip")
/// gives.
enum NumberParser {
    /// The exact power of ten 10^k for k in 0...22 (all representable in a Double). A switch
    /// rather than a static array: it compiles to a constant table with no lazy-initialisation
    /// check, which showed up at 3% of CSV loading time.
    @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// Parses a number starting at `start`, stopping at the first byte that cannot continue it.
    /// Returns the value and the index after the number, or nil when no number starts here.
    @inline(__always)
    static func parse(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> (value: Double, next: Int)? {
        var i = start
        var negative = false
        if i < end {
            if p[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            else if p[i] == UInt8(ascii: "+") { i += 1 }
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var digits = 0
        var truncated = false
        while i < end {
            let d = p[i] &- 48
            if d > 9 { break }
            if significant < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
                if d != 0 { truncated = true }
            }
            digits += 1
            i += 1
        }
        if i < end && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < end {
                let d = p[i] &- 48
                if d > 9 { break }
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else if d != 0 {
                    truncated = true
                }
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < end && (p[i] | 0x20) == UInt8(ascii: "e") {
            var j = i + 1
            var negativeExponent = false
            if j < end {
                if p[j] == UInt8(ascii: "-") { negativeExponent = true; j += 1 }
                else if p[j] == UInt8(ascii: "+") { j += 1 }
            }
            var value = 0
            var exponentDigits = 0
            while j < end {
                let d = p[j] &- 48
                if d > 9 { break }
                if value < 100_000 { value = value * 10 + Int(d) }
                exponentDigits += 1
                j += 1
            }
            // "1e" or "1e+" is not a number with an exponent; leave the 'e' unconsumed.
            if exponentDigits > 0 {
                exponent += negativeExponent ? -value : value
                i = j
            }
        }
        if !truncated && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / powerOfTen(-exponent) : value * powerOfTen(exponent)
            return (negative ? -value : value, i)
        }
        return (slowPath(p, from: start, to: i), i)
    }

    /// Correctly rounded conversion through the C library for the rare hard cases.
    static func slowPath(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            guard let base = buffer.baseAddress else { return .nan }
            for k in 0..<length { base[k] = CChar(bitPattern: p[start + k]) }
            base[length] = 0
            return strtod(base, nil)
        }
    }

    /// Parses a whole string as a number (surrounding spaces allowed), or nil. Accepts `inf`,
    /// `-inf` and `nan` spellings as Swift's `Double(String)` does.
    static func parse(_ text: some StringProtocol) -> Double? {
        var utf8 = Array(text.utf8)
        while let last = utf8.last, last == 32 || last == 9 { utf8.removeLast() }
        var start = 0
        while start < utf8.count && (utf8[start] == 32 || utf8[start] == 9) { start += 1 }
        guard start < utf8.count else { return nil }
        let count = utf8.count
        let parsed: (Double, Int)? = utf8.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return parse(base, from: start, to: count)
        }
        if let (value, next) = parsed, next == count { return value }
        let word = String(decoding: utf8[start...], as: UTF8.self).lowercased()
        switch word {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return nil
        }
    }
}
