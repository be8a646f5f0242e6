#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Hartmann family on the unit cube: −Σᵢ αᵢ exp(−Σⱼ Aᵢⱼ (xⱼ − Pᵢⱼ)²).
struct HartmannCore: Sendable {
    static let alpha: [Double] = [1.0, 1.2, 3.0, 3.2]
    let a: [[Double]]
    let p: [[Double]]

    func value(_ x: [Double]) -> Double {
        var s = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in 0..<x.count { inner += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]) }
            s -= Self.alpha[i] * exp(-inner)
        }
        return s
    }
}

/// Hartmann-3 on [0, 1]³: minimum −3.86278 at (0.114614, 0.555649, 0.852547).
public struct Hartmann3: BenchmarkFunction {
    public init() {}
    public var name: String { "hartmann3" }
    public var optimum: Double { -3.862_782_147_820_756 }
    public var space: SearchSpace { Self.box(Array(repeating: (0, 1), count: 3)) }
    static let core = HartmannCore(
        a: [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]],
        p: [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]].map { $0.map { $0 * 1e-4 } })

    public func evaluate(_ params: Parameters) throws -> Double {
        Self.core.value(try vector(params, count: 3))
    }
}

/// Hartmann-6 on [0, 1]⁶: minimum −3.32237 near (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
public struct Hartmann6: BenchmarkFunction {
    public init() {}
    public var name: String { "hartmann6" }
    public var optimum: Double { -3.322_368_011_415_51 }
    public var space: SearchSpace { Self.box(Array(repeating: (0, 1), count: 6)) }
    static let core = HartmannCore(
        a: [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]],
        p: [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
            [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]].map { $0.map { $0 * 1e-4 } })

    public func evaluate(_ params: Parameters) throws -> Double {
        Self.core.value(try vector(params, count: 6))
    }
}
