#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small stand-in for a network-tuning space with every kind of parameter:
/// `lr` (log float in [1e-4, 1]), `dropout` (float in [0, 0.5]), `units` (int 8…256, log),
/// `layers` (int 1…4) and `optimizer` (categorical adam / sgd / rmsprop).
///
/// f = (log10 lr + 2.5)² + 4 (dropout − 0.2)² + (log2 units − 6)²/4 + (layers − 3)²/2 + c(optimizer),
/// c = 0 for adam, 0.3 for rmsprop, 1 for sgd. Minimum 0 at lr = 10^−2.5, dropout = 0.2,
/// units = 64, layers = 3, optimizer = adam.
public struct MixedFunction: BenchmarkFunction {
    public init() {}
    public var name: String { "mixed" }
    public var optimum: Double { 0 }
    public var space: SearchSpace {
        SearchSpace([
            Parameter("lr", .float(FloatDomain(low: 1e-4, high: 1, log: true))),
            Parameter("dropout", .float(FloatDomain(low: 0, high: 0.5))),
            Parameter("units", .int(IntDomain(low: 8, high: 256, log: true))),
            Parameter("layers", .int(IntDomain(low: 1, high: 4))),
            Parameter("optimizer", .categorical(["adam", "sgd", "rmsprop"])),
        ])
    }

    public func evaluate(_ params: Parameters) throws -> Double {
        guard let lr = params["lr"]?.number, lr > 0 else { throw BenchmarkError.missingParameter("lr") }
        guard let dropout = params["dropout"]?.number else { throw BenchmarkError.missingParameter("dropout") }
        guard let units = params["units"]?.number, units > 0 else { throw BenchmarkError.missingParameter("units") }
        guard let layers = params["layers"]?.number else { throw BenchmarkError.missingParameter("layers") }
        guard case .string(let opt)? = params["optimizer"] else { throw BenchmarkError.missingParameter("optimizer") }
        let c: Double = opt == "adam" ? 0 : (opt == "rmsprop" ? 0.3 : 1)
        let a = log10(lr) + 2.5, b = dropout - 0.2, u = log2(units) - 6, l = layers - 3
        return a * a + 4 * b * b + u * u / 4 + l * l / 2 + c
    }
}
