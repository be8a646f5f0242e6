#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Everything random in Tuna (initial weights, shuffles, dropout masks, samplers) draws from a
/// generator made from a user-visible seed, so the same seed gives the same run bit for bit.
/// It lives in its own dependency-free module so that the network engine and the samplers,
/// which share no other dependency, draw from one implementation.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var splitmix = seed
        func next() -> UInt64 {
            splitmix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitmix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    /// An independent stream for (seed, stream), e.g. (sampler seed, trial number).
    ///
    /// Samplers hold no mutable state: each `ask` derives a fresh generator from the sampler's
    /// seed and the trial number, so the same seed and history always give the same
    /// suggestion, whatever order workers ask in.
    public init(seed: UInt64, stream: UInt64) {
        var g = SeededGenerator(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: g.next() ^ stream)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A child generator with an independent stream, for handing to a sub-component.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal draw (Box-Muller; one of the pair is discarded to keep no hidden state).
    public mutating func nextNormal() -> Double {
        var u1 = nextDouble()
        while u1 <= .leastNonzeroMagnitude { u1 = nextDouble() }
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// A normal draw truncated to two standard deviations, as Keras's `TruncatedNormal`.
    public mutating func nextTruncatedNormal() -> Double {
        while true {
            let z = nextNormal()
            if abs(z) <= 2 { return z }
        }
    }

    /// A uniformly random integer in `0..<upperBound`.
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        return Int(next(upperBound: UInt64(upperBound)))
    }

    /// Shuffles `values` in place (Fisher-Yates).
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { values.swapAt(i, j) }
        }
    }
}

