import Foundation
import TunaStore

/// One parameter as an axis: numbers on a linear or logarithmic scale, anything else as
/// categories. The store keeps values, not the search space, so the scale is read off the
/// values: positive numbers spanning more than two decades are drawn on a log scale (what
/// `log: true` parameters look like once sampled).
public struct ParamAxis: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case linear(low: Double, high: Double)
        case log(low: Double, high: Double)
        case categorical([String])
    }

    public var name: String
    public var kind: Kind
    /// Every value a whole number, so ticks are too.
    public var isWholeNumbers = false

    /// Axes for the parameters the trials used, by name.
    public static func axes(for trials: [TrialRecord]) -> [ParamAxis] {
        var byName: [String: [JSONValue]] = [:]
        for trial in trials {
            for (name, value) in trial.params { byName[name, default: []].append(value) }
        }
        return byName.keys.sorted().map { name in axis(name: name, values: byName[name] ?? []) }
    }

    static func axis(name: String, values: [JSONValue]) -> ParamAxis {
        let numbers = values.compactMap(\.numberValue).filter(\.isFinite)
        if numbers.count == values.count, let low = numbers.min(), let high = numbers.max() {
            if low > 0, high / low > 100 { return ParamAxis(name: name, kind: .log(low: low, high: high)) }
            return ParamAxis(name: name, kind: .linear(low: low, high: high),
                             isWholeNumbers: numbers.allSatisfy { $0 == $0.rounded() })
        }
        let categories = Array(Set(values.map(Self.label))).sorted()
        return ParamAxis(name: name, kind: .categorical(categories))
    }

    /// Where a value sits on the axis, from 0 to 1; nil when the trial lacks it.
    public func position(_ value: JSONValue?) -> Double? {
        guard let value else { return nil }
        switch kind {
        case .linear(let low, let high):
            guard let x = value.numberValue, x.isFinite else { return nil }
            return high > low ? (x - low) / (high - low) : 0.5
        case .log(let low, let high):
            guard let x = value.numberValue, x > 0 else { return nil }
            return (Foundation.log(x) - Foundation.log(low)) / (Foundation.log(high) - Foundation.log(low))
        case .categorical(let categories):
            guard let index = categories.firstIndex(of: Self.label(value)) else { return nil }
            return categories.count > 1 ? Double(index) / Double(categories.count - 1) : 0.5
        }
    }

    /// The value at a position (numbers only), for tick labels.
    public func value(at position: Double) -> Double? {
        switch kind {
        case .linear(let low, let high): return low + position * (high - low)
        case .log(let low, let high): return exp(Foundation.log(low) + position * (Foundation.log(high) - Foundation.log(low)))
        case .categorical: return nil
        }
    }

    /// Labels of ticks at positions (three for numbers, every category up to twelve).
    public var ticks: [(position: Double, label: String)] {
        switch kind {
        case .categorical(let categories):
            let step = max(1, categories.count / 12)
            return stride(from: 0, to: categories.count, by: step).map { index in
                (categories.count > 1 ? Double(index) / Double(categories.count - 1) : 0.5, categories[index])
            }
        case .linear(let low, let high):
            guard high > low else { return [(0.5, Format.number(low))] }
            // Whole-number parameters (layers, units) get whole-number ticks.
            return NiceTicks.ticks(low: low, high: high, count: 3, integers: isWholeNumbers).compactMap { value, label in
                position(.number(value)).map { ($0, label) }
            }
        case .log(let low, let high):
            let decades = Int(Foundation.log10(low).rounded(.up))...Int(Foundation.log10(high).rounded(.down))
            let step = max(1, decades.count / 4)
            return stride(from: decades.lowerBound, through: decades.upperBound, by: step).compactMap { exponent in
                let value = pow(10, Double(exponent))
                return position(.number(value)).map { ($0, (-4..<6).contains(exponent) ? Format.number(value) : "1e\(exponent)") }
            }
        }
    }

    public var isNumeric: Bool {
        if case .categorical = kind { return false }
        return true
    }

    static func label(_ value: JSONValue) -> String {
        switch value {
        case .number(let x): return Format.number(x)
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .null: return "null"
        }
    }
}

/// Short, stable number labels for axes and tables.
public enum Format {
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return String(x) }
        if x == x.rounded(), abs(x) < 1e9 { return String(Int64(x)) }
        return String(format: "%.4g", x)
    }
}
