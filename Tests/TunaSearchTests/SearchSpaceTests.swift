import Testing
import Foundation
@testable import TunaSearch

@Suite struct SearchSpaceTests {
    @Test func validSpaceHasNoErrors() throws {
        #expect(Fixtures.conditional.validate().isEmpty)
        let order = try Fixtures.conditional.orderedParameters().map(\.name)
        #expect(order.firstIndex(of: "optimizer")! < order.firstIndex(of: "momentum")!)
        #expect(order.firstIndex(of: "layers")! < order.firstIndex(of: "units_3")!)
    }

    @Test func reportsEveryKindOfProblem() {
        let space = SearchSpace([
            Parameter("a", .float(FloatDomain(low: 2, high: 1))),
            Parameter("b", .float(FloatDomain(low: 0, high: 1, log: true))),
            Parameter("c", .int(IntDomain(low: -3, high: 5, log: true))),
            Parameter("d", .categorical([])),
            Parameter("e", .float(FloatDomain(low: 0, high: 1)), when: Condition(parameter: "nope", oneOf: [1])),
            Parameter("f", .int(IntDomain(low: 0, high: 10, step: 0))),
            Parameter("a", .fixed(1)),
            Parameter("g", .categorical(["x", "x"])),
            Parameter("h", .float(FloatDomain(low: 0, high: 1)), when: Condition(parameter: "g", .greater, 1)),
        ])
        let errors = space.validate()
        #expect(errors.contains(.lowAboveHigh(parameter: "a", low: 2, high: 1)))
        #expect(errors.contains(.logWithNonPositiveLow(parameter: "b", low: 0)))
        #expect(errors.contains(.logWithNonPositiveLow(parameter: "c", low: -3)))
        #expect(errors.contains(.emptyChoices(parameter: "d")))
        #expect(errors.contains(.unknownConditionParameter(parameter: "e", unknown: "nope")))
        #expect(errors.contains(.invalidStep(parameter: "f", step: 0)))
        #expect(errors.contains(.duplicateName("a")))
        #expect(errors.contains(.duplicateChoice(parameter: "g", value: "x")))
        #expect(errors.contains(.numericConditionOnNonNumeric(parameter: "h", parent: "g")))
        // Descriptions name the parameter and the problem.
        #expect(SearchSpaceError.lowAboveHigh(parameter: "a", low: 2, high: 1).description.contains("'a'"))
        #expect(throws: SearchSpaceValidationError.self) { try space.validated() }
    }

    @Test func detectsCycles() {
        let space = SearchSpace([
            Parameter("a", .categorical([1, 2]), when: Condition(parameter: "c", oneOf: [1])),
            Parameter("b", .categorical([1, 2]), when: Condition(parameter: "a", oneOf: [1])),
            Parameter("c", .categorical([1, 2]), when: Condition(parameter: "b", oneOf: [1])),
            Parameter("d", .categorical([1, 2]), when: Condition(parameter: "d", oneOf: [1])),
        ])
        let cycles = space.validate().compactMap { e -> [String]? in
            if case .cycle(let names) = e { return names }
            return nil
        }
        #expect(cycles.count == 1)
        #expect(Set(cycles[0]).isSuperset(of: ["a", "b", "c"]) || cycles[0] == ["d", "d"])
        #expect(throws: SearchSpaceValidationError.self) { try RandomSampler().ask(space: space) }
    }

    @Test func conditionsHoldOnlyForTheirValues() {
        let sgd = Condition(parameter: "optimizer", oneOf: ["sgd"])
        #expect(sgd.holds(for: "sgd"))
        #expect(!sgd.holds(for: "adam"))
        #expect(!sgd.holds(for: nil))
        let deep = Condition(parameter: "layers", .greaterOrEqual, 3)
        #expect(deep.holds(for: 3))
        #expect(deep.holds(for: .double(4)))
        #expect(!deep.holds(for: 2))
        #expect(Condition(parameter: "layers", oneOf: [3]).holds(for: .double(3)))
    }

    @Test func codableRoundTripUsesPlainShapes() throws {
        let data = try JSONEncoder().encode(Fixtures.conditional)
        let back = try JSONDecoder().decode(SearchSpace.self, from: data)
        #expect(back == Fixtures.conditional)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"categorical\":[\"adam\",\"sgd\",\"rmsprop\"]"))
        #expect(json.contains("\"op\":\">=\""))
        let values = try JSONDecoder().decode([ParameterValue].self, from: Data("[true, 3, 0.5, \"x\"]".utf8))
        #expect(values == [.bool(true), .int(3), .double(0.5), .string("x")])
        let trial = Trial(number: 3, state: .pruned, params: ["lr": 0.01, "opt": "sgd"], value: nil, intermediateValues: [1: 0.5, 2: 0.25])
        #expect(try JSONDecoder().decode(Trial.self, from: JSONEncoder().encode(trial)) == trial)
        let pruner = PrunerConfig.hyperband(HyperbandPruner(minResource: 1, maxResource: 27, studyName: "s"))
        #expect(try JSONDecoder().decode(PrunerConfig.self, from: JSONEncoder().encode(pruner)) == pruner)
    }

    @Test func scalesSnapToAllowedValues() {
        let stepped = Domain.float(FloatDomain(low: 0, high: 1, step: 0.25))
        #expect(stepped.value(atUnit: 0) == .double(0))
        #expect(stepped.value(atUnit: 1) == .double(1))
        #expect(stepped.value(atUnit: 0.5) == .double(0.5))
        let ints = Domain.int(IntDomain(low: 2, high: 10, step: 4))
        #expect(Set((0...20).map { ints.value(atUnit: Double($0) / 20) }) == [2, 6, 10])
        #expect(stepped.gridValues(floatPoints: 3) == [.double(0), .double(0.5), .double(1)])
        #expect(Domain.float(FloatDomain(low: 1e-3, high: 1e-1, log: true)).gridValues(floatPoints: 3).map { $0.number! }
            .enumerated().allSatisfy { abs($0.element - [1e-3, 1e-2, 1e-1][$0.offset]) < 1e-12 })
    }
}

/// Sampled values never leave their declared range, at either end of every kind of parameter:
/// the search scale's ends (and anything past them) map back onto the declared bounds exactly.
@Suite struct RangeEndTests {
    static let domains: [(String, NumericScale)] = [
        ("float", NumericScale(FloatDomain(low: 0.001, high: 0.1, log: false, step: nil))),
        ("float log", NumericScale(FloatDomain(low: 0.001, high: 0.1, log: true, step: nil))),
        ("float log awkward", NumericScale(FloatDomain(low: 3e-5, high: 0.7, log: true, step: nil))),
        ("float step", NumericScale(FloatDomain(low: 0.1, high: 0.9, log: false, step: 0.2))),
        ("int", NumericScale(IntDomain(low: 4, high: 64, log: false, step: 1))),
        ("int log", NumericScale(IntDomain(low: 8, high: 512, log: true, step: 1))),
        ("int step", NumericScale(IntDomain(low: 2, high: 10, log: false, step: 4))),
    ]

    @Test(arguments: 0..<domains.count)
    func bothEndsComeBackExactly(_ index: Int) throws {
        let (name, scale) = Self.domains[index]
        let low = try #require(scale.value(at: scale.lower).number), high = try #require(scale.value(at: scale.upper).number)
        #expect(low == scale.low, "\(name): \(low) at the lower end")
        #expect(high == scale.high || (scale.step != nil && high <= scale.high), "\(name): \(high) at the upper end")
        for t in [scale.lower - 1, scale.upper + 1, scale.upper.nextUp, scale.lower.nextDown] {
            let x = try #require(scale.value(at: t).number)
            #expect(x >= scale.low && x <= scale.high, "\(name): \(x) from t = \(t)")
        }
    }

    @Test func gridPointsKeepTheDeclaredEnds() throws {
        let points = Domain.float(FloatDomain(low: 0.001, high: 0.1, log: true, step: nil)).gridValues(floatPoints: 7)
        #expect(points.first == .double(0.001) && points.last == .double(0.1), "\(points)")
        #expect(points.allSatisfy { ($0.number ?? -1) >= 0.001 && ($0.number ?? 1) <= 0.1 })
    }
}
