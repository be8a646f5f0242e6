#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import TunaRandom

/// How one coordinate of a suite function is declared to the sampler.
public enum SuiteDimensionKind: String, Sendable, Hashable, Codable {
    /// A float in [−5, 5].
    case float
    /// An int in −5…5.
    case int
    /// One of five unordered choices `c0 … c4`, each standing for a hidden level.
    case categorical
}

/// One benchmark function of the suite: a family, a dimension and how each coordinate is declared.
public struct SuiteFunctionSpec: Sendable, Hashable, Codable {
    public var name: String
    public var family: SuiteFamily
    public var kinds: [SuiteDimensionKind]
    /// Whether instances rotate the coordinates (non-separable) or only shift and scale them.
    public var rotated: Bool

    public init(_ name: String, _ family: SuiteFamily, kinds: [SuiteDimensionKind], rotated: Bool) {
        self.name = name
        self.family = family
        self.kinds = kinds
        self.rotated = rotated
    }

    public init(_ name: String, _ family: SuiteFamily, dimensions: Int, rotated: Bool) {
        self.init(name, family, kinds: Array(repeating: .float, count: dimensions), rotated: rotated)
    }

    public var dimensions: Int { kinds.count }
}

/// A random instance of a suite function, as BBOB draws them: x in [−5, 5]ᵈ is mapped to
/// z = R · (s ⊙ (x − x*)), with the optimum x* uniform in [−4, 4]ᵈ (integers for int
/// coordinates, one of the hidden levels for categorical ones), per-coordinate scales s
/// log-uniform in [0.5, 2] and R a random orthogonal matrix (the identity when not rotated).
///
/// Everything is drawn from (function name, seed), so a sampler change cannot be fitted to a
/// fixed optimum, and is written out as JSON (`tuna bench search --suite --write-instances`)
/// so the Python references evaluate exactly the same functions.
public struct SuiteInstance: BenchmarkFunction, Codable, Hashable {
    public var function: String
    public var family: SuiteFamily
    public var seed: UInt64
    public var kinds: [SuiteDimensionKind]
    public var shift: [Double]
    public var scale: [Double]
    /// Row-major d × d.
    public var rotation: [[Double]]
    /// For categorical coordinates the value each choice `c0 … c4` stands for; empty otherwise.
    public var levels: [[Double]]

    public static let low = -5.0, high = 5.0
    public static let choiceCount = 5

    public var name: String { function }
    public var optimum: Double { 0 }
    public var dimensions: Int { kinds.count }

    public init(spec: SuiteFunctionSpec, seed: UInt64) {
        // One stream per function name, so adding a function does not change the others.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in spec.name.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        var rng = SeededGenerator(seed: seed, stream: hash)
        let d = spec.dimensions
        function = spec.name
        family = spec.family
        self.seed = seed
        kinds = spec.kinds
        var shift: [Double] = [], levels: [[Double]] = []
        for kind in spec.kinds {
            switch kind {
            case .float:
                shift.append(-4 + 8 * rng.nextDouble())
                levels.append([])
            case .int:
                shift.append(Double(rng.nextInt(below: 9) - 4))
                levels.append([])
            case .categorical:
                var l: [Double] = [-4, -2, 0, 2, 4]
                rng.shuffle(&l)
                levels.append(l)
                shift.append(l[rng.nextInt(below: l.count)])
            }
        }
        self.shift = shift
        self.levels = levels
        scale = (0..<d).map { _ in exp(log(0.5) + rng.nextDouble() * (log(2.0) - log(0.5))) }
        rotation = spec.rotated ? Self.randomRotation(d, rng: &rng) : Self.identity(d)
    }

    static func identity(_ d: Int) -> [[Double]] {
        (0..<d).map { i in (0..<d).map { $0 == i ? 1 : 0 } }
    }

    /// Gram–Schmidt on a Gaussian matrix: a uniformly random orthogonal matrix.
    static func randomRotation(_ d: Int, rng: inout SeededGenerator) -> [[Double]] {
        var rows: [[Double]] = []
        while rows.count < d {
            var v = (0..<d).map { _ in rng.nextNormal() }
            for r in rows {
                var dot = 0.0
                for k in 0..<d { dot += v[k] * r[k] }
                for k in 0..<d { v[k] -= dot * r[k] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm < 1e-8 { continue }
            rows.append(v.map { $0 / norm })
        }
        return rows
    }

    public var space: SearchSpace {
        SearchSpace(kinds.enumerated().map { i, kind in
            switch kind {
            case .float: return Parameter("x\(i)", .float(FloatDomain(low: Self.low, high: Self.high)))
            case .int: return Parameter("x\(i)", .int(IntDomain(low: Int(Self.low), high: Int(Self.high))))
            case .categorical:
                return Parameter("x\(i)", .categorical((0..<Self.choiceCount).map { .string("c\($0)") }))
            }
        })
    }

    /// The value at a point of the box (categorical coordinates already replaced by their level).
    public func value(_ x: [Double]) -> Double {
        let d = dimensions
        let u = (0..<d).map { scale[$0] * (x[$0] - shift[$0]) }
        var z = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var s = 0.0
            for k in 0..<d { s += rotation[i][k] * u[k] }
            z[i] = s
        }
        return family.value(z)
    }

    /// The box point a parameter dictionary stands for.
    public func point(_ params: Parameters) throws -> [Double] {
        try kinds.enumerated().map { i, kind in
            let key = "x\(i)"
            switch kind {
            case .float, .int:
                guard let v = params[key]?.number else { throw BenchmarkError.missingParameter(key) }
                return v
            case .categorical:
                guard case .string(let s)? = params[key], s.hasPrefix("c"), let k = Int(s.dropFirst()),
                    levels[i].indices.contains(k)
                else { throw BenchmarkError.missingParameter(key) }
                return levels[i][k]
            }
        }
    }

    public func evaluate(_ params: Parameters) throws -> Double {
        value(try point(params))
    }
}
