/// A problem with a search space, described in words a user can act on.
public enum SearchSpaceError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyName
    case duplicateName(String)
    case nonFiniteBound(parameter: String)
    case lowAboveHigh(parameter: String, low: Double, high: Double)
    case logWithNonPositiveLow(parameter: String, low: Double)
    case invalidStep(parameter: String, step: Double)
    case logWithStep(parameter: String)
    case emptyChoices(parameter: String)
    case duplicateChoice(parameter: String, value: ParameterValue)
    case unknownConditionParameter(parameter: String, unknown: String)
    case emptyConditionValues(parameter: String)
    case numericConditionOnNonNumeric(parameter: String, parent: String)
    case cycle([String])

    public var description: String {
        switch self {
        case .emptyName: return "a parameter has an empty name"
        case .duplicateName(let n): return "parameter '\(n)' is declared more than once"
        case .nonFiniteBound(let n): return "parameter '\(n)': bounds must be finite numbers below 1e15 in size"
        case .lowAboveHigh(let n, let lo, let hi):
            return "parameter '\(n)': low (\(lo)) is above high (\(hi))"
        case .logWithNonPositiveLow(let n, let lo):
            return "parameter '\(n)': a log scale needs low > 0, got \(lo)"
        case .invalidStep(let n, let s):
            return "parameter '\(n)': step must be positive and fit in the range, got \(s)"
        case .logWithStep(let n):
            return "parameter '\(n)': a log scale cannot be combined with a step other than 1"
        case .emptyChoices(let n): return "parameter '\(n)': the choice list is empty"
        case .duplicateChoice(let n, let v): return "parameter '\(n)': choice '\(v)' is listed twice"
        case .unknownConditionParameter(let n, let u):
            return "parameter '\(n)': its condition names '\(u)', which is not a parameter of this space"
        case .emptyConditionValues(let n): return "parameter '\(n)': its condition lists no values"
        case .numericConditionOnNonNumeric(let n, let p):
            return "parameter '\(n)': a numeric comparison needs '\(p)' to be a number"
        case .cycle(let names):
            return "conditions form a cycle: \(names.joined(separator: " -> "))"
        }
    }
}

/// All the errors of a space at once, so that a user fixes a study file in one go.
public struct SearchSpaceValidationError: Error, Sendable, CustomStringConvertible {
    public var errors: [SearchSpaceError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

extension SearchSpace {
    /// Every problem of the space, in declaration order (empty when the space is valid).
    public func validate() -> [SearchSpaceError] {
        var errors: [SearchSpaceError] = []
        var seen = Set<String>()
        for p in parameters {
            if p.name.isEmpty { errors.append(.emptyName) }
            if !seen.insert(p.name).inserted { errors.append(.duplicateName(p.name)) }
            errors += p.domain.problems(name: p.name)
            if let c = p.when {
                if let parent = self[c.parameter] {
                    switch c.test {
                    case .oneOf(let v) where v.isEmpty: errors.append(.emptyConditionValues(parameter: p.name))
                    case .compare where !parent.domain.isNumeric:
                        errors.append(.numericConditionOnNonNumeric(parameter: p.name, parent: parent.name))
                    default: break
                    }
                } else {
                    errors.append(.unknownConditionParameter(parameter: p.name, unknown: c.parameter))
                }
            }
        }
        if let cycle = findCycle() { errors.append(.cycle(cycle)) }
        return errors
    }

    /// Throws a ``SearchSpaceValidationError`` listing every problem, or returns quietly.
    public func validated() throws {
        let errors = validate()
        if !errors.isEmpty { throw SearchSpaceValidationError(errors: errors) }
    }

    /// Follows parent links from every parameter; a walk that returns to a parameter on its own
    /// path is a cycle (each parameter has at most one parent, so the walks are chains).
    private func findCycle() -> [String]? {
        var parentOf: [String: String] = [:]
        for p in parameters { if let c = p.when { parentOf[p.name] = c.parameter } }
        var cleared = Set<String>()
        for p in parameters {
            var path: [String] = []
            var onPath = Set<String>()
            var current: String? = p.name
            while let name = current, !cleared.contains(name) {
                if onPath.contains(name) {
                    let start = path.firstIndex(of: name) ?? 0
                    return Array(path[start...]) + [name]
                }
                onPath.insert(name)
                path.append(name)
                current = parentOf[name]
            }
            cleared.formUnion(path)
        }
        return nil
    }
}

extension Domain {
    /// True when the values are numbers (for numeric conditions).
    var isNumeric: Bool {
        switch self {
        case .float, .int: return true
        case .categorical(let v): return !v.isEmpty && v.allSatisfy { $0.number != nil }
        case .fixed(let v): return v.number != nil
        }
    }

    func problems(name: String) -> [SearchSpaceError] {
        var errors: [SearchSpaceError] = []
        switch self {
        case .float(let d):
            guard d.low.isFinite, d.high.isFinite else { return [.nonFiniteBound(parameter: name)] }
            if d.low > d.high { errors.append(.lowAboveHigh(parameter: name, low: d.low, high: d.high)) }
            if d.log && d.low <= 0 { errors.append(.logWithNonPositiveLow(parameter: name, low: d.low)) }
            if let s = d.step {
                // A step so small that the grid of values cannot be counted is a typo, not a grid.
                if !(s > 0) || !s.isFinite || (d.high - d.low) / s > 1e15 {
                    errors.append(.invalidStep(parameter: name, step: s))
                }
                if d.log { errors.append(.logWithStep(parameter: name)) }
            }
        case .int(let d):
            if d.low > d.high {
                errors.append(.lowAboveHigh(parameter: name, low: Double(d.low), high: Double(d.high)))
            }
            if d.log && d.low <= 0 { errors.append(.logWithNonPositiveLow(parameter: name, low: Double(d.low))) }
            if d.step <= 0 { errors.append(.invalidStep(parameter: name, step: Double(d.step))) }
            if abs(Double(d.low)) > 1e15 || abs(Double(d.high)) > 1e15 { errors.append(.nonFiniteBound(parameter: name)) }
            if d.log && d.step != 1 { errors.append(.logWithStep(parameter: name)) }
        case .categorical(let values):
            if values.isEmpty { errors.append(.emptyChoices(parameter: name)) }
            for (i, v) in values.enumerated() where values[..<i].contains(where: { $0.matches(v) }) {
                errors.append(.duplicateChoice(parameter: name, value: v))
            }
        case .fixed:
            break
        }
        return errors
    }
}
