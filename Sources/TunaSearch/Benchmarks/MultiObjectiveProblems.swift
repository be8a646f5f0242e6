#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A multi-objective test problem with a fixed reference point, for measuring samplers by the
/// hypervolume they reach (every objective minimised). The same problems, with the same
/// reference points, are defined in `bench/multi_objective.py` for the Optuna runs; the bench
/// refuses to fold in reference results whose dimensions or reference points differ.
public protocol MultiObjectiveProblem: Sendable {
    var name: String { get }
    var space: SearchSpace { get }
    var objectives: Int { get }
    var reference: [Double] { get }
    func evaluate(_ params: Parameters) throws -> [Double]
}

extension MultiObjectiveProblem {
    func vector(_ params: Parameters, count: Int) throws -> [Double] {
        try (0..<count).map { i in
            guard let v = params["x\(i)"]?.number else { throw BenchmarkError.missingParameter("x\(i)") }
            return v
        }
    }
}

/// Zitzler–Deb–Thiele problems 1–3 on `[0, 1]^d`: f1 = x0, g = 1 + 9 mean(x1…), and
/// f2 = g·h(f1/g) with h = 1 − √r (ZDT1, convex front), 1 − r² (ZDT2, concave) or
/// 1 − √r − r sin(10π f1) (ZDT3, five disconnected pieces). The front is g = 1.
/// Reference point (1.1, 11): g ≤ 10, so every point of the box but ZDT3's bumps is inside,
/// and random search scores above zero from the first trials.
public struct ZDT: MultiObjectiveProblem {
    public var variant: Int
    public var dimensions: Int

    public init(variant: Int, dimensions: Int = 30) {
        self.variant = variant
        self.dimensions = max(dimensions, 2)
    }

    public var name: String { dimensions == 30 ? "zdt\(variant)" : "zdt\(variant)-\(dimensions)d" }
    public var objectives: Int { 2 }
    public var reference: [Double] { [1.1, 11] }
    public var space: SearchSpace {
        SearchSpace((0..<dimensions).map { Parameter("x\($0)", .float(FloatDomain(low: 0, high: 1))) })
    }

    public func evaluate(_ params: Parameters) throws -> [Double] {
        let x = try vector(params, count: dimensions)
        let f1 = x[0]
        let g = 1 + 9 * x[1...].reduce(0, +) / Double(dimensions - 1)
        let r = f1 / g
        let h: Double
        switch variant {
        case 2: h = 1 - r * r
        case 3: h = 1 - r.squareRoot() - r * sin(10 * Double.pi * f1)
        default: h = 1 - r.squareRoot()
        }
        return [f1, g * h]
    }
}

/// DTLZ2 with 3 objectives and 12 variables on `[0, 1]` (k = 10): the front is the positive
/// octant of the unit sphere. Reference point (2.5, 2.5, 2.5) covers what random draws reach
/// (g ≤ 2.5).
public struct DTLZ2: MultiObjectiveProblem {
    public var dimensions: Int
    public init(dimensions: Int = 12) { self.dimensions = max(dimensions, 3) }
    public var name: String { dimensions == 12 ? "dtlz2" : "dtlz2-\(dimensions)d" }
    public var objectives: Int { 3 }
    public var reference: [Double] { [2.5, 2.5, 2.5] }
    public var space: SearchSpace {
        SearchSpace((0..<dimensions).map { Parameter("x\($0)", .float(FloatDomain(low: 0, high: 1))) })
    }

    public func evaluate(_ params: Parameters) throws -> [Double] {
        let x = try vector(params, count: dimensions)
        let g = x[2...].reduce(0) { $0 + ($1 - 0.5) * ($1 - 0.5) }
        let a = x[0] * Double.pi / 2, b = x[1] * Double.pi / 2
        return [(1 + g) * cos(a) * cos(b), (1 + g) * cos(a) * sin(b), (1 + g) * sin(a)]
    }
}

/// The built-in multi-objective problems by name.
public enum MultiObjectiveProblems {
    public static let names = ["zdt1", "zdt2", "zdt3", "zdt1-5d", "zdt2-5d", "zdt3-5d", "dtlz2"]

    public static func named(_ name: String) throws -> any MultiObjectiveProblem {
        switch name {
        case "dtlz2": return DTLZ2()
        default:
            for v in 1...3 {
                if name == "zdt\(v)" { return ZDT(variant: v) }
                if name.hasPrefix("zdt\(v)-"), name.hasSuffix("d"),
                    let d = Int(name.dropFirst(5).dropLast()), d >= 2
                {
                    return ZDT(variant: v, dimensions: d)
                }
            }
            throw BenchmarkError.unknownFunction(name)
        }
    }
}

/// What one sampler reached on one problem over seeds: hypervolume after N evaluations.
public struct MultiObjectiveResult: Sendable, Codable {
    public var sampler: String
    public var problem: String
    public var seeds: Int
    public var hypervolumeAt: [Int: Quartiles]
    public var suggestMs: Double
}

/// Runs multi-objective samplers sequentially on a problem and reports hypervolume @N.
public struct MultiObjectiveBenchmarkRunner: Sendable {
    public var evaluations: Int
    public var seeds: [UInt64]
    public var checkpoints: [Int]

    public init(evaluations: Int = 200, seeds: [UInt64] = Array(0..<10), checkpoints: [Int] = [50, 100, 200]) {
        self.evaluations = evaluations
        self.seeds = seeds
        self.checkpoints = checkpoints.filter { $0 <= evaluations }
    }

    public func run(
        sampler name: String, problem: any MultiObjectiveProblem,
        makeSampler: (UInt64) -> any MultiObjectiveSampler
    ) throws -> MultiObjectiveResult {
        let directions = [Direction](repeating: .minimize, count: problem.objectives)
        var at: [Int: [Double]] = [:]
        var askTime = Duration.zero
        var asks = 0
        let clock = ContinuousClock()
        for seed in seeds {
            let sampler = makeSampler(seed)
            var history: [MultiObjectiveTrial] = []
            for n in 0..<evaluations {
                let context = MultiObjectiveContext(space: problem.space, directions: directions, history: history, trialNumber: n)
                var params = Parameters()
                askTime += try clock.measure { params = try sampler.ask(context) }
                asks += 1
                history.append(MultiObjectiveTrial(number: n, state: .complete, params: params, values: try problem.evaluate(params)))
                if checkpoints.contains(n + 1) {
                    at[n + 1, default: []].append(Hypervolume.of(history.compactMap(\.values), reference: problem.reference))
                }
            }
        }
        let seconds = Double(askTime.components.seconds) + Double(askTime.components.attoseconds) * 1e-18
        return MultiObjectiveResult(
            sampler: name, problem: problem.name, seeds: seeds.count,
            hypervolumeAt: at.mapValues { Quartiles($0) }, suggestMs: asks > 0 ? seconds * 1000 / Double(asks) : 0)
    }
}
