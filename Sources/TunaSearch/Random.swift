#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The samplers' seeded generator: xoshiro256** seeded through SplitMix64.
///
/// Samplers hold no mutable state; each `ask` derives a fresh generator from the sampler's seed
/// and the trial number (``SearchRandom/init(seed:stream:)``), so the same seed and history
/// always give the same suggestion, whatever order workers ask in.
public struct SearchRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func mix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = mix(); s1 = mix(); s2 = mix(); s3 = mix()
    }

    /// An independent stream for (seed, stream), e.g. (sampler seed, trial number).
    public init(seed: UInt64, stream: UInt64) {
        var g = SearchRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: g.next() ^ stream)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in `0..<n` (n > 0).
    public mutating func index(_ n: Int) -> Int {
        Int(next(upperBound: UInt64(max(n, 1))))
    }

    /// A standard normal draw (Box–Muller, one of the pair kept so there is no hidden state).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= .leastNonzeroMagnitude { u1 = uniform() }
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * uniform())
    }
}
