@testable import TunaSearch

/// Shared spaces and helpers for the TunaSearch tests.
enum Fixtures {
    /// The design sketch's MLP space plus conditional parameters.
    static let conditional = SearchSpace([
        Parameter("lr", .float(FloatDomain(low: 1e-4, high: 0.1, log: true))),
        Parameter("layers", .int(IntDomain(low: 1, high: 3))),
        Parameter("units", .int(IntDomain(low: 16, high: 256, log: true))),
        Parameter("optimizer", .categorical(["adam", "sgd", "rmsprop"])),
        Parameter("momentum", .float(FloatDomain(low: 0.5, high: 0.99)), when: Condition(parameter: "optimizer", oneOf: ["sgd"])),
        Parameter("nesterov", .categorical([true, false]), when: Condition(parameter: "optimizer", oneOf: ["sgd"])),
        Parameter("units_3", .int(IntDomain(low: 8, high: 64)), when: Condition(parameter: "layers", .greaterOrEqual, 3)),
        Parameter("epochs", .fixed(30)),
    ])

    /// Runs a sampler sequentially on an objective and returns the trials.
    static func run(_ sampler: any Sampler, space: SearchSpace, trials: Int, direction: Direction = .minimize,
                    objective: (Parameters) throws -> Double) throws -> [Trial] {
        var history: [Trial] = []
        for n in 0..<trials {
            let p = try sampler.ask(SamplingContext(space: space, direction: direction, history: history, trialNumber: n))
            history.append(Trial(number: n, state: .complete, params: p, value: try objective(p)))
        }
        return history
    }

    /// Checks that exactly the parameters that should be active are present, with valid values.
    static func isConsistent(_ params: Parameters, in space: SearchSpace) -> Bool {
        var seen = Parameters()
        for p in space.topologicalOrder() {
            let active = space.isActive(p, given: seen)
            guard let v = params[p.name] else {
                if active { return false }
                continue
            }
            if !active || !p.domain.contains(v) { return false }
            seen[p.name] = v
        }
        return params.count == seen.count
    }
}
