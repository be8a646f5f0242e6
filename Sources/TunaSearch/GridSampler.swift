import TunaRandom

/// Exhaustive search over the cartesian product of every choice, every integer step and
/// `gridPoints` values per float.
///
/// Order: trial `n` first tries the grid cell under scrambled Sobol' point `n` (so early trials
/// spread over the whole space like a space-filling design); when that cell is taken, it walks a
/// seeded pseudo-random permutation of all cells (a Feistel bijection, so nothing is
/// materialised for unconditional grids) and takes the first free one. A cell is taken when a
/// finished or running trial holds it, so concurrent askers never get the same point, and the
/// sampler throws ``SamplerError/exhausted(points:)`` once every cell is taken.
///
/// Conditional spaces are enumerated explicitly (only valid combinations: inactive parameters
/// are absent); their size, bounded by treating "inactive" as one more option per conditional
/// parameter, must stay under ``maxExplicitPoints``.
public struct GridSampler: Sampler, Codable, Hashable {
    public var seed: UInt64
    /// Values per float parameter.
    public var gridPoints: Int
    /// Refuse grids larger than this (a typo in a range should not hang the scheduler).
    public var maxPoints: Int
    /// Conditional grids are enumerated as explicit lists; this bounds their size.
    public static let maxExplicitPoints = 200_000

    public init(seed: UInt64 = 0, gridPoints: Int = 5, maxPoints: Int = 10_000_000) {
        self.seed = seed
        self.gridPoints = gridPoints
        self.maxPoints = maxPoints
    }

    /// The grid of a space: per-parameter values, and for conditional spaces the explicit list.
    struct Grid {
        let ordered: [Parameter]
        let values: [[ParameterValue]]
        /// Explicit configurations (conditional spaces only).
        let explicit: [Parameters]?
        let count: Int

        func point(_ index: Int) -> Parameters {
            if let explicit { return explicit[index] }
            var rest = index
            var p = Parameters()
            for (i, param) in ordered.enumerated() {
                let n = values[i].count
                p[param.name] = values[i][rest % n]
                rest /= n
            }
            return p
        }

        func index(of params: Parameters) -> Int? {
            if let explicit { return explicit.firstIndex(of: params) }
            var index = 0
            var radix = 1
            for (i, param) in ordered.enumerated() {
                guard let v = params[param.name], let k = values[i].firstIndex(where: { $0.matches(v) })
                else { return nil }
                index += k * radix
                radix *= values[i].count
            }
            return index
        }

        func index(ofUnitPoint u: [Double]) -> Int? {
            guard explicit == nil else { return nil }
            var index = 0
            var radix = 1
            for i in ordered.indices {
                let n = values[i].count
                index += min(Int(u[i] * Double(n)), n - 1) * radix
                radix *= n
            }
            return index
        }
    }

    func grid(for space: SearchSpace) throws -> Grid {
        let ordered = try space.orderedParameters()
        guard gridPoints >= 1 else { throw SamplerError.invalidOption("grid_points must be at least 1") }
        // Count before materialising: one wide int range must not allocate billions of values.
        for p in ordered {
            let n = p.domain.gridCount(floatPoints: gridPoints)
            if n > Double(maxPoints) { throw SamplerError.gridTooLarge(points: n, limit: maxPoints) }
        }
        let values = ordered.map { $0.domain.gridValues(floatPoints: gridPoints) }
        if !space.isConditional {
            let total = values.reduce(1.0) { $0 * Double($1.count) }
            guard total <= Double(maxPoints) else { throw SamplerError.gridTooLarge(points: total, limit: maxPoints) }
            return Grid(ordered: ordered, values: values, explicit: nil, count: Int(total))
        }
        // Conditional grids are listed explicitly; bound their size first (each inactive
        // parameter counted as one extra option) so a wide space fails fast instead of
        // building millions of dictionaries on every ask.
        let bound = ordered.enumerated().reduce(1.0) { acc, e in
            acc * (Double(values[e.offset].count) + (e.element.when == nil ? 0 : 1))
        }
        if bound > Double(Self.maxExplicitPoints) {
            throw SamplerError.gridTooLarge(points: bound, limit: Self.maxExplicitPoints)
        }
        var configs: [Parameters] = [[:]]
        for (i, p) in ordered.enumerated() {
            var next: [Parameters] = []
            for c in configs {
                if space.isActive(p, given: c) {
                    for v in values[i] {
                        var d = c
                        d[p.name] = v
                        next.append(d)
                    }
                } else {
                    next.append(c)
                }
                if next.count > maxPoints {
                    throw SamplerError.gridTooLarge(points: Double(next.count), limit: maxPoints)
                }
            }
            configs = next
        }
        return Grid(ordered: ordered, values: values, explicit: configs, count: configs.count)
    }

    /// Number of points in the grid of `space`.
    public func pointCount(of space: SearchSpace) throws -> Int { try grid(for: space).count }

    public func ask(_ context: SamplingContext) throws -> Parameters {
        let g = try grid(for: context.space)
        var used = Set<Int>()
        for t in context.history { if let i = g.index(of: t.params) { used.insert(i) } }
        for p in context.running { if let i = g.index(of: p) { used.insert(i) } }
        guard used.count < g.count else { throw SamplerError.exhausted(points: g.count) }

        if g.explicit == nil {
            let sobol = SobolSequence(dimensions: g.ordered.count, scrambled: true, seed: seed)
            for attempt in 0..<4 {
                let u = sobol.point(used.count + attempt * 7919)
                if let i = g.index(ofUnitPoint: u), !used.contains(i) { return g.point(i) }
            }
        }
        let perm = FeistelPermutation(count: g.count, seed: seed)
        for position in 0..<g.count {
            let i = perm[position]
            if !used.contains(i) { return g.point(i) }
        }
        throw SamplerError.exhausted(points: g.count)
    }
}

/// A seeded bijection of `0..<count`: a 4-round Feistel network on the smallest even-bit square
/// domain covering `count`, with cycle walking back into range.
struct FeistelPermutation: Sendable {
    let count: Int
    let halfBits: Int
    let keys: [UInt64]

    init(count: Int, seed: UInt64) {
        self.count = max(count, 1)
        var bits = 1
        while (1 << (2 * bits)) < self.count { bits += 1 }
        halfBits = bits
        var rng = SeededGenerator(seed: seed, stream: 0xFE15_7E1)
        keys = (0..<4).map { _ in rng.next() }
    }

    subscript(position: Int) -> Int {
        var x = UInt64(position)
        repeat { x = permute(x) } while x >= UInt64(count)
        return Int(x)
    }

    private func permute(_ x: UInt64) -> UInt64 {
        let mask = (UInt64(1) << UInt64(halfBits)) - 1
        var left = x >> UInt64(halfBits)
        var right = x & mask
        for k in keys {
            var h = (right &+ k) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            h = h &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 32
            (left, right) = (right, left ^ (h & mask))
        }
        return (left << UInt64(halfBits)) | right
    }
}
