import TunaBase
import TunaSearch

/// Reads `search.parameters` into a search space, checking each declaration where it is written:
///
///     lr:         {float: [1.0e-4, 0.1], log: true}
///     layers:     {int: [1, 3]}
///     units:      {int: [16, 256], log: true, step: 1}
///     optimizer:  {choice: [adam, sgd, rmsprop]}
///     momentum:   {float: [0.0, 0.99], when: {optimizer: sgd}}
///     units_3:    {int: [16, 256], when: "layers >= 3"}
///     epochs:     20                       # a fixed value
enum ParameterParser {
    static let keys = ["float", "int", "choice", "categorical", "fixed", "log", "step", "when"]

    static func space(_ node: SpecNode) throws -> SearchSpace {
        let entries = try node.entries("search.parameters")
        guard !entries.isEmpty else { throw node.error("search.parameters declares no parameter") }
        var parameters: [TunaSearch.Parameter] = []
        for entry in entries {
            guard entry.key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), entry.key.first?.isLetter == true else {
                throw SpecError("a parameter name is a letter followed by letters, digits and '_', got '\(entry.key)'",
                                at: entry.keyLocation, file: entry.keyLocation.file)
            }
            parameters.append(try parameter(entry.key, entry.value))
        }
        let names = Set(parameters.map(\.name))
        for (entry, parameter) in zip(entries, parameters) {
            if let condition = parameter.when, !names.contains(condition.parameter) {
                let whenNode = entry.value["when"] ?? entry.value
                var message = "condition of '\(parameter.name)' names no parameter '\(condition.parameter)'"
                if let near = nearestName(to: condition.parameter, in: Array(names)) { message += " (did you mean '\(near)'?)" }
                throw whenNode.error(message)
            }
        }
        let space = SearchSpace(parameters)
        do {
            _ = try space.orderedParameters()
        } catch {
            throw node.error("\(error)")
        }
        return space
    }

    static func parameter(_ name: String, _ node: SpecNode) throws -> TunaSearch.Parameter {
        if case .scalar = node { return TunaSearch.Parameter(name, .fixed(value(node))) }
        if case .sequence = node {
            throw node.error("parameter '\(name)': write a list of choices as {choice: [...]}")
        }
        try node.checkKeys(keys, in: "parameter '\(name)'")
        let log = try flag(node["log"], "log")
        let domain: Domain
        if let range = node["float"] {
            let (low, high) = try bounds(range, name: name)
            var step: Double?
            if let stepNode = node["step"] {
                guard let s = stepNode.text.flatMap(Double.init), s > 0, s.isFinite else { throw stepNode.error("'step' is a positive number") }
                step = s
            }
            if log && low <= 0 { throw range.error("parameter '\(name)': a log scale needs low > 0, got \(low)") }
            if log && step != nil { throw node.error("parameter '\(name)': 'log' and 'step' cannot be combined") }
            domain = .float(FloatDomain(low: low, high: high, log: log, step: step))
        } else if let range = node["int"] {
            let (low, high) = try bounds(range, name: name)
            guard low.rounded() == low, high.rounded() == high else { throw range.error("parameter '\(name)': int bounds must be integers") }
            // Checked before `Int(low)`, which traps on a Double outside Int's range (1e19).
            let limit = StudyLimits.maxIntegerMagnitude
            guard abs(low) <= limit, abs(high) <= limit else {
                throw range.error("parameter '\(name)': int bounds must lie within ±\(Int64(limit)) (2^53, the limit)")
            }
            var step = 1
            if let stepNode = node["step"] {
                guard let s = stepNode.text.flatMap(Int.init), s > 0 else { throw stepNode.error("'step' is a positive integer") }
                step = s
            }
            if log && low <= 0 { throw range.error("parameter '\(name)': a log scale needs low > 0, got \(Int(low))") }
            domain = .int(IntDomain(low: Int(low), high: Int(high), log: log, step: step))
        } else if let choices = node["choice"] ?? node["categorical"] {
            guard case .sequence(let items, _) = choices else { throw choices.error("parameter '\(name)': choices are a list") }
            guard !items.isEmpty else { throw choices.error("parameter '\(name)': the choice list is empty") }
            let values = items.map(value)
            if Set(values).count != values.count { throw choices.error("parameter '\(name)': the choice list repeats a value") }
            domain = .categorical(values)
        } else if let fixed = node["fixed"] {
            domain = .fixed(value(fixed))
        } else {
            throw node.error("parameter '\(name)' needs one of float, int, choice or fixed")
        }
        return TunaSearch.Parameter(name, domain, when: try node["when"].map(condition))
    }

    static func bounds(_ node: SpecNode, name: String) throws -> (Double, Double) {
        guard case .sequence(let items, _) = node, items.count == 2,
              let low = items[0].text.flatMap(number), let high = items[1].text.flatMap(number)
        else { throw node.error("parameter '\(name)': a range is [low, high]") }
        guard low.isFinite, high.isFinite else { throw node.error("parameter '\(name)': bounds must be finite numbers (no NaN or infinity)") }
        guard low <= high else { throw node.error("parameter '\(name)': low \(low) is above high \(high)") }
        // A width that overflows to infinity (-1e308 to 1e308) makes every sample infinite or NaN.
        guard (high - low).isFinite else { throw node.error("parameter '\(name)': the range [\(low), \(high)] is too wide to sample") }
        return (low, high)
    }

    /// A number as YAML writes it, including `.nan` and `.inf`, so that those are refused as
    /// non-finite bounds (with that reason) rather than as unreadable.
    static func number(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".nan": return .nan
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        default: return Double(text.replacingOccurrences(of: "_", with: ""))
        }
    }

    static func flag(_ node: SpecNode?, _ key: String) throws -> Bool {
        guard let node else { return false }
        guard case .scalar(_, .bool, _) = node, let text = node.text else { throw node.error("'\(key)' is true or false") }
        return ["true", "yes", "on"].contains(text.lowercased())
    }

    /// A YAML scalar as a parameter value, typed by its YAML tag.
    static func value(_ node: SpecNode) -> ParameterValue {
        guard case .scalar(let text, let kind, _) = node else { return .string("\(node.jsonObject)") }
        switch kind {
        case .int: return Int(text).map(ParameterValue.int) ?? .string(text)
        case .float: return Double(text).map(ParameterValue.double) ?? .string(text)
        case .bool: return .bool(["true", "yes", "on"].contains(text.lowercased()))
        case .null, .string: return .string(text)
        }
    }

    /// `when: {optimizer: sgd}`, `when: {optimizer: [sgd, rmsprop]}` or `when: "layers >= 3"`.
    static func condition(_ node: SpecNode) throws -> Condition {
        if let text = node.text {
            let parts = text.split(separator: " ").map(String.init)
            guard parts.count == 3, let comparison = Condition.Comparison(rawValue: parts[1]), let bound = Double(parts[2]) else {
                throw node.error("a condition is written 'name >= 3' (with <, <=, >, >=, ==, !=) or {name: value}")
            }
            return Condition(parameter: parts[0], comparison, bound)
        }
        let entries = try node.entries("when")
        guard entries.count == 1, let entry = entries.first else { throw node.error("a condition names one parameter") }
        switch entry.value {
        case .sequence(let items, _): return Condition(parameter: entry.key, oneOf: items.map(value))
        default: return Condition(parameter: entry.key, oneOf: [value(entry.value)])
        }
    }
}
