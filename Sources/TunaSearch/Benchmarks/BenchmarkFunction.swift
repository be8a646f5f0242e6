/// A test objective with a known optimum, for measuring samplers (`objective: {function: …}`).
public protocol BenchmarkFunction: Sendable {
    /// The name used in study files and benchmark output (`branin`, `hartmann6`, …).
    var name: String { get }
    var space: SearchSpace { get }
    /// The global minimum (every benchmark is minimised).
    var optimum: Double { get }
    /// The objective at `params`; throws when a parameter is missing or not a number.
    func evaluate(_ params: Parameters) throws -> Double
}

/// Why a benchmark function could not be evaluated.
public enum BenchmarkError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingParameter(String)
    case unknownFunction(String)

    public var description: String {
        switch self {
        case .missingParameter(let n): return "parameter '\(n)' is missing or not a number"
        case .unknownFunction(let n):
            return "unknown benchmark function '\(n)' (known: \(BenchmarkFunctions.names.joined(separator: ", ")))"
        }
    }
}

extension BenchmarkFunction {
    /// Regret of a value: how far above the optimum it is.
    public func regret(_ value: Double) -> Double { value - optimum }

    /// Reads numeric parameters `x0 … x(n−1)`.
    func vector(_ params: Parameters, count: Int) throws -> [Double] {
        try (0..<count).map { i in
            guard let v = params["x\(i)"]?.number else { throw BenchmarkError.missingParameter("x\(i)") }
            return v
        }
    }

    /// A box `[low, high]` per coordinate named `x0 … x(n−1)`.
    static func box(_ bounds: [(Double, Double)]) -> SearchSpace {
        SearchSpace(bounds.enumerated().map { i, b in Parameter("x\(i)", .float(FloatDomain(low: b.0, high: b.1))) })
    }
}

/// The built-in benchmark functions by name.
public enum BenchmarkFunctions {
    public static let names = ["branin", "hartmann3", "hartmann6", "rosenbrock4", "sphere4", "mixed"]

    /// The function called `name`; `rosenbrockN` and `sphereN` take any dimension N ≥ 2 / ≥ 1.
    public static func named(_ name: String) throws -> any BenchmarkFunction {
        switch name {
        case "branin": return Branin()
        case "hartmann3": return Hartmann3()
        case "hartmann6": return Hartmann6()
        case "mixed": return MixedFunction()
        default:
            if name.hasPrefix("rosenbrock"), let n = Int(name.dropFirst("rosenbrock".count)), n >= 2 {
                return Rosenbrock(dimensions: n)
            }
            if name.hasPrefix("sphere"), let n = Int(name.dropFirst("sphere".count)), n >= 1 {
                return Sphere(dimensions: n)
            }
            throw BenchmarkError.unknownFunction(name)
        }
    }
}
