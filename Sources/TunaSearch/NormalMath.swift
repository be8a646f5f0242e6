#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Normal-distribution helpers and a log expected improvement that stays finite far in the tail.
///
/// Expected improvement of a point with posterior N(μ, σ²) over the best loss f* (minimising) is
/// `σ h(z)`, `z = (f* − μ)/σ`, `h(z) = φ(z) + z Φ(z)`. For z ≪ 0 both terms underflow and their
/// difference cancels, so plain EI is 0 over most of the space and the optimiser has no slope to
/// follow (the problem LogEI, Ament et al. 2023, fixes). Here, for t = −z > 6, `h` is written
/// with the continued fraction of Mills' ratio R(t) = Q(t)/φ(t) = 1/(t + 1/(t + 2/(t + …))):
/// with D = t + 2/(t + 3/(t + …)), `1 − t R(t) = 1/(1 + t D)`, so
/// `log h(z) = log φ(t) − log(1 + t D)` with no cancellation at any t.
enum NormalMath {
    static let logSqrt2Pi = 0.918_938_533_204_672_7  // log √(2π)
    static let invSqrt2 = 0.707_106_781_186_547_6

    @inline(__always)
    static func pdf(_ z: Double) -> Double { exp(-0.5 * z * z - logSqrt2Pi) }

    @inline(__always)
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z * invSqrt2) }

    /// log Φ(z), accurate for very negative z.
    static func logCDF(_ z: Double) -> Double {
        if z > -6 { return log(cdf(z)) }
        let t = -z
        return -0.5 * t * t - logSqrt2Pi - log(t + millsTail(t))
    }

    /// log(Φ(b) − Φ(a)): the log mass of the standard normal on `[a, b]`, accurate when both ends
    /// lie deep in the same tail (where Φ(b) − Φ(a) would cancel to 0 or round to 1 − 1).
    static func logMass(from a: Double, to b: Double) -> Double {
        guard a < b else { return -.infinity }
        if a >= 0 { return logMass(from: -b, to: -a) }  // the right tail mirrored onto the left
        if b <= 0 {
            let lb = logCDF(b)
            let ratio = logCDF(a) - lb  // log(Φ(a)/Φ(b)) ≤ 0
            return lb + (ratio > -0.693 ? log(-expm1(ratio)) : log1p(-exp(ratio)))
        }
        // a < 0 < b: the mass outside, Φ(a) + Φ(−b), is computed without cancellation.
        return log1p(-(cdf(a) + cdf(-b)))
    }

    /// 1/R(t) − t for t > 0: the tail of the Mills-ratio continued fraction
    /// `1/(t + 2/(t + 3/(t + …)))`, evaluated backwards.
    static func millsTail(_ t: Double) -> Double {
        1 / millsD(t)
    }

    /// D = t + 2/(t + 3/(t + 4/(…))), evaluated backwards from a depth that converges to double
    /// precision for t > 6.
    static func millsD(_ t: Double) -> Double {
        var d = t
        var k = 60.0
        while k >= 2 {
            d = t + k / d
            k -= 1
        }
        return d
    }

    /// log h(z) with h(z) = φ(z) + z Φ(z) > 0.
    static func logH(_ z: Double) -> Double {
        if z > -6 {
            let h = pdf(z) + z * cdf(z)
            // h can lose a few digits to cancellation near z = −6 but stays well above 0 there.
            return log(max(h, .leastNormalMagnitude))
        }
        let t = -z
        return -0.5 * t * t - logSqrt2Pi - log1p(t * millsD(t))
    }

    /// d log h / dz = Φ(z) / h(z).
    static func dLogH(_ z: Double) -> Double {
        if z > -6 {
            let h = pdf(z) + z * cdf(z)
            return cdf(z) / max(h, .leastNormalMagnitude)
        }
        // Φ(z)/h(z) = R / (1 − tR) = D (see the type's comment).
        return millsD(-z)
    }

    /// log EI for minimisation: `log σ + log h((best − μ)/σ)`.
    static func logEI(mean: Double, sd: Double, best: Double) -> Double {
        let s = max(sd, 1e-12)
        return log(s) + logH((best - mean) / s)
    }
}

/// Log expected improvement of N(`mean`, `sd`²) below `best` (minimisation), finite everywhere:
/// about `−z²/2 − 2 log|z|` rather than −∞ far in the tail.
public func logExpectedImprovement(mean: Double, sd: Double, best: Double) -> Double {
    NormalMath.logEI(mean: mean, sd: sd, best: best)
}
