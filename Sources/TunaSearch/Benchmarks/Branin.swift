#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Branin–Hoo on x0 ∈ [−5, 10], x1 ∈ [0, 15]: three global minima of 0.397887.
public struct Branin: BenchmarkFunction {
    public init() {}
    public var name: String { "branin" }
    public var optimum: Double { 0.397_887_357_729_738 }
    public var space: SearchSpace { Self.box([(-5, 10), (0, 15)]) }

    public func evaluate(_ params: Parameters) throws -> Double {
        let x = try vector(params, count: 2)
        return Self.value(x[0], x[1])
    }

    static func value(_ x1: Double, _ x2: Double) -> Double {
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        let u = x2 - b * x1 * x1 + c * x1 - 6
        return u * u + 10 * (1 - t) * cos(x1) + 10
    }
}
