import TunaRandom

/// Sobol' low-discrepancy points in `[0, 1)^d` with Joe & Kuo's direction numbers.
///
/// `scrambled` applies a random linear matrix scramble plus a random digital shift (as SciPy's
/// `qmc.Sobol(scramble=True)`): the points keep their net structure, lose the corner point at
/// the origin and differ per seed. Unscrambled points are the classic sequence (Gray-code order,
/// point 0 is the origin). Dimensions beyond the table (53) fall back to seeded uniform draws.
public struct SobolSequence: Sendable {
    public let dimensions: Int
    public let scrambled: Bool
    public let seed: UInt64
    /// 32 direction numbers per tabulated dimension, as 32-bit fractions.
    private let directions: [[UInt32]]
    /// Digital shift per dimension (zero when unscrambled).
    private let shifts: [UInt32]

    /// Rows `s a m_1 ... m_s` for dimensions 2...53 of new-joe-kuo-6.21201.
    static let table: [[UInt32]] = [
        [1, 0, 1], [2, 1, 1, 3], [3, 1, 1, 3, 1], [3, 2, 1, 1, 1], [4, 1, 1, 1, 3, 3], [4, 4, 1, 3, 5, 13],
        [5, 2, 1, 1, 5, 5, 17], [5, 4, 1, 1, 5, 5, 5], [5, 7, 1, 1, 7, 11, 19], [5, 11, 1, 1, 5, 1, 1],
        [5, 13, 1, 1, 1, 3, 11], [5, 14, 1, 3, 5, 5, 31], [6, 1, 1, 3, 3, 9, 7, 49],
        [6, 13, 1, 1, 1, 15, 21, 21], [6, 16, 1, 3, 1, 13, 27, 49], [6, 19, 1, 1, 1, 15, 7, 5],
        [6, 22, 1, 3, 1, 15, 13, 25], [6, 25, 1, 1, 5, 5, 19, 61], [7, 1, 1, 3, 7, 11, 23, 15, 103],
        [7, 4, 1, 3, 7, 13, 13, 15, 69], [7, 7, 1, 1, 3, 13, 7, 35, 63], [7, 8, 1, 3, 5, 9, 1, 25, 53],
        [7, 14, 1, 3, 1, 13, 9, 35, 107], [7, 19, 1, 3, 1, 5, 27, 61, 31], [7, 21, 1, 1, 5, 11, 19, 41, 61],
        [7, 28, 1, 3, 5, 3, 3, 13, 69], [7, 31, 1, 1, 7, 13, 1, 19, 1], [7, 32, 1, 3, 7, 5, 13, 19, 59],
        [7, 37, 1, 1, 3, 9, 25, 29, 41], [7, 41, 1, 3, 5, 13, 23, 1, 55], [7, 42, 1, 3, 7, 3, 13, 59, 17],
        [7, 50, 1, 3, 1, 3, 5, 53, 69], [7, 55, 1, 1, 5, 5, 23, 33, 13], [7, 56, 1, 1, 7, 7, 1, 61, 123],
        [7, 59, 1, 1, 7, 9, 13, 61, 49], [7, 62, 1, 3, 3, 5, 3, 55, 33],
        [8, 14, 1, 3, 1, 15, 31, 13, 49, 245], [8, 21, 1, 3, 5, 15, 31, 59, 63, 97],
        [8, 22, 1, 3, 1, 11, 11, 11, 77, 249], [8, 38, 1, 3, 1, 11, 27, 43, 71, 9],
        [8, 47, 1, 1, 7, 15, 21, 11, 81, 45], [8, 49, 1, 3, 7, 3, 25, 31, 65, 79],
        [8, 50, 1, 3, 1, 1, 19, 11, 3, 205], [8, 52, 1, 1, 5, 9, 19, 21, 29, 157],
        [8, 56, 1, 3, 7, 11, 1, 33, 89, 185], [8, 67, 1, 3, 3, 3, 15, 9, 79, 71],
        [8, 70, 1, 3, 7, 11, 15, 39, 119, 27], [8, 84, 1, 1, 3, 1, 11, 31, 97, 225],
        [8, 97, 1, 1, 1, 3, 23, 43, 57, 177], [8, 103, 1, 3, 7, 7, 17, 17, 37, 71],
        [8, 115, 1, 3, 1, 5, 27, 63, 123, 213], [8, 122, 1, 1, 3, 5, 11, 43, 53, 133],
    ]

    /// Largest dimension with true Sobol' coordinates.
    public static let maxTabulatedDimensions = table.count + 1

    public init(dimensions: Int, scrambled: Bool = true, seed: UInt64 = 0) {
        self.dimensions = max(dimensions, 0)
        self.scrambled = scrambled
        self.seed = seed
        let tabulated = min(self.dimensions, Self.maxTabulatedDimensions)
        var dirs: [[UInt32]] = []
        var rng = SeededGenerator(seed: seed, stream: 0x50B0_1)
        var shifts: [UInt32] = []
        for d in 0..<tabulated {
            var v = Self.unscrambledDirections(dimension: d)
            if scrambled {
                // Lower-triangular random matrix with unit diagonal, bit 31 = most significant.
                var rows = [UInt32](repeating: 0, count: 32)
                for i in 0..<32 {
                    let above: UInt32 = i == 0 ? 0 : ~UInt32(0) << UInt32(32 - i)
                    rows[i] = (UInt32(truncatingIfNeeded: rng.next()) & above) | (UInt32(1) << UInt32(31 - i))
                }
                v = v.map { x in
                    var y: UInt32 = 0
                    for i in 0..<32 where (rows[i] & x).nonzeroBitCount & 1 == 1 { y |= UInt32(1) << UInt32(31 - i) }
                    return y
                }
                shifts.append(UInt32(truncatingIfNeeded: rng.next()))
            } else {
                shifts.append(0)
            }
            dirs.append(v)
        }
        directions = dirs
        self.shifts = shifts
    }

    /// Direction numbers of dimension `d` (0-based) before scrambling.
    static func unscrambledDirections(dimension d: Int) -> [UInt32] {
        var v = [UInt32](repeating: 0, count: 32)
        if d == 0 {
            for i in 0..<32 { v[i] = UInt32(1) << UInt32(31 - i) }
            return v
        }
        let row = table[d - 1]
        let s = Int(row[0])
        let a = row[1]
        for i in 0..<s { v[i] = row[2 + i] << UInt32(31 - i) }
        if s < 32 {
            for i in s..<32 {
                var x = v[i - s] ^ (v[i - s] >> UInt32(s))
                for k in 1..<s where (a >> UInt32(s - 1 - k)) & 1 == 1 { x ^= v[i - k] }
                v[i] = x
            }
        }
        return v
    }

    /// Point number `index` (0-based) of the sequence.
    public func point(_ index: Int) -> [Double] {
        let gray = UInt64(truncatingIfNeeded: index) ^ (UInt64(truncatingIfNeeded: index) >> 1)
        var out = [Double](repeating: 0, count: dimensions)
        for d in 0..<directions.count {
            var x = shifts[d]
            var g = gray
            var bit = 0
            while g != 0 && bit < 32 {
                if g & 1 == 1 { x ^= directions[d][bit] }
                g >>= 1
                bit += 1
            }
            out[d] = (Double(x) + (scrambled ? 0.5 : 0)) / 4_294_967_296.0
        }
        if dimensions > directions.count {
            var rng = SeededGenerator(seed: seed ^ 0xA5A5, stream: UInt64(truncatingIfNeeded: index))
            for d in directions.count..<dimensions { out[d] = rng.nextDouble() }
        }
        return out
    }
}

/// Quasi-random search: trial `n` gets Sobol' point `n` (point `n + 1` when unscrambled, so the
/// origin corner is skipped), one coordinate per searchable parameter in declaration order.
/// Conditional parameters keep their coordinate whether active or not, so the active ones stay
/// well spread.
public struct SobolSampler: Sampler, Codable, Hashable {
    public var seed: UInt64
    public var scrambled: Bool

    public init(seed: UInt64 = 0, scrambled: Bool = true) {
        self.seed = seed
        self.scrambled = scrambled
    }

    /// Draws depend on the seed and the trial number only.
    public var needsHistory: Bool { false }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        let ordered = try context.space.orderedParameters()
        let names = context.space.parameters.filter { $0.domain.isSearchable }.map(\.name)
        let sobol = SobolSequence(dimensions: names.count, scrambled: scrambled, seed: seed)
        let u = sobol.point(context.trialNumber + (scrambled ? 0 : 1))
        var column: [String: Int] = [:]
        for (i, n) in names.enumerated() { column[n] = i }
        return context.space.assemble(ordered) { p, _ in p.domain.value(atUnit: u[column[p.name] ?? 0]) }
    }
}
