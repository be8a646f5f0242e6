/// Rosenbrock's valley Σ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² on [−2, 2]ⁿ: minimum 0 at (1, …, 1).
public struct Rosenbrock: BenchmarkFunction {
    public var dimensions: Int
    public init(dimensions: Int = 4) { self.dimensions = max(dimensions, 2) }
    public var name: String { "rosenbrock\(dimensions)" }
    public var optimum: Double { 0 }
    public var space: SearchSpace { Self.box(Array(repeating: (-2, 2), count: dimensions)) }

    public func evaluate(_ params: Parameters) throws -> Double {
        let x = try vector(params, count: dimensions)
        var s = 0.0
        for i in 0..<(dimensions - 1) {
            let a = x[i + 1] - x[i] * x[i], b = 1 - x[i]
            s += 100 * a * a + b * b
        }
        return s
    }
}

/// Σ xᵢ² on [−5, 5]ⁿ: minimum 0 at the origin. The easiest sanity check for a sampler.
public struct Sphere: BenchmarkFunction {
    public var dimensions: Int
    public init(dimensions: Int = 4) { self.dimensions = max(dimensions, 1) }
    public var name: String { "sphere\(dimensions)" }
    public var optimum: Double { 0 }
    public var space: SearchSpace { Self.box(Array(repeating: (-5, 5), count: dimensions)) }

    public func evaluate(_ params: Parameters) throws -> Double {
        try vector(params, count: dimensions).reduce(0) { $0 + $1 * $1 }
    }
}
