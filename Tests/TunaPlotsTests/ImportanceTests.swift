import Foundation
import Testing
import TunaPlots
import TunaRandom
import TunaStore

/// PED-ANOVA on functions whose answer is known: uniform samples, so only the objective
/// decides which parameter's values crowd into the top 10%.
struct ImportanceTests {
    /// Complete trials with the given parameters and values, through a real store.
    static func complete(_ rows: [([String: JSONValue], Double)]) -> [TrialRecord] {
        let store = InMemoryTrialStore()
        guard let study = try? store.createStudy(NewStudy(name: "s", studyFile: "", studyHash: "h", direction: .minimize, metric: "m")) else { return [] }
        for (params, value) in rows {
            guard let trial = try? store.createTrial(study: study.id, params: params) else { return [] }
            _ = try? store.complete(trial.id, value: value)
        }
        return (try? store.trials(study: study.id)) ?? []
    }

    static func trials(_ count: Int, seed: UInt64, _ f: (Double, Double) -> Double) -> [TrialRecord] {
        var random = SeededGenerator(seed: seed)
        return complete((0..<count).map { _ in
            let (x1, x2) = (random.nextDouble(), random.nextDouble())
            return (["x1": .number(x1), "x2": .number(x2)], f(x1, x2))
        })
    }

    static func importance(_ trials: [TrialRecord], _ direction: StudyDirection = .minimize) -> [String: Double] {
        let result = Importance.pedANOVA(trials, axes: ParamAxis.axes(for: trials), direction: direction)
        return Dictionary(uniqueKeysWithValues: result.map { ($0.name, $0.importance) })
    }

    @Test func steepParameterCarriesNearlyAll() {
        let found = Self.importance(Self.trials(300, seed: 1) { 10 * $0 + 0.1 * $1 })
        #expect((found["x1"] ?? 0) > 0.9, "\(found)")
        #expect(abs((found["x1"] ?? 0) + (found["x2"] ?? 0) - 1) < 1e-9, "normalised: \(found)")
    }

    @Test func unusedParameterIsNearZeroInEitherDirection() {
        for direction in [StudyDirection.minimize, .maximize] {
            let found = Self.importance(Self.trials(300, seed: 2) { x1, _ in (x1 - 0.3) * (x1 - 0.3) }, direction)
            #expect((found["x2"] ?? 1) < 0.08, "\(direction): \(found)")
        }
        // The roles swapped: the answer follows the function, not the parameter's name.
        let swapped = Self.importance(Self.trials(300, seed: 3) { _, x2 in x2 })
        #expect((swapped["x2"] ?? 0) > 0.9, "\(swapped)")
    }

    @Test func categoricalParameterThatDecides() {
        var random = SeededGenerator(seed: 4)
        // Ten categories, the first best: the top 10% are (nearly) all "c0"; lr plays no part.
        let trials = Self.complete((0..<200).map { _ in
            let category = random.nextInt(below: 10)
            return (["optimizer": .string("c\(category)"), "lr": .number(random.nextDouble())], Double(9 - category))
        })
        let found = Self.importance(trials, .maximize)
        #expect((found["optimizer"] ?? 0) > 0.8, "\(found)")
    }

    @Test func tooFewTrialsGiveNothing() {
        #expect(Importance.pedANOVA(Self.trials(2, seed: 5) { $0 + $1 }, axes: ParamAxis.axes(for: Self.trials(2, seed: 5) { $0 + $1 }), direction: .minimize).isEmpty)
    }
}
