/// A float parameter's range: uniform or log-uniform on `[low, high]`, optionally on a grid of `step`.
public struct FloatDomain: Sendable, Hashable, Codable {
    public var low: Double
    public var high: Double
    /// Sample `log(x)` uniformly: for learning rates and other scale-like quantities.
    public var log: Bool
    /// When set, only `low + k * step` values are proposed (not allowed together with `log`).
    public var step: Double?

    public init(low: Double, high: Double, log: Bool = false, step: Double? = nil) {
        self.low = low
        self.high = high
        self.log = log
        self.step = step
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        low = try c.decode(Double.self, forKey: .low)
        high = try c.decode(Double.self, forKey: .high)
        log = try c.decodeIfPresent(Bool.self, forKey: .log) ?? false
        step = try c.decodeIfPresent(Double.self, forKey: .step)
    }
}

/// An integer parameter's range `low...high` with a `step`, uniform or log-uniform.
public struct IntDomain: Sendable, Hashable, Codable {
    public var low: Int
    public var high: Int
    public var log: Bool
    public var step: Int

    public init(low: Int, high: Int, log: Bool = false, step: Int = 1) {
        self.low = low
        self.high = high
        self.log = log
        self.step = step
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        low = try c.decode(Int.self, forKey: .low)
        high = try c.decode(Int.self, forKey: .high)
        log = try c.decodeIfPresent(Bool.self, forKey: .log) ?? false
        step = try c.decodeIfPresent(Int.self, forKey: .step) ?? 1
    }
}

/// What values a parameter may take.
///
/// Encoded as a one-key object (`{"float": {...}}`, `{"int": {...}}`, `{"categorical": [...]}`,
/// `{"fixed": value}`), the same shape the study file uses, so that the YAML mapper and the wire
/// format agree.
public enum Domain: Sendable, Hashable, Codable {
    case float(FloatDomain)
    case int(IntDomain)
    case categorical([ParameterValue])
    case fixed(ParameterValue)

    private enum Key: String, CodingKey { case float, int, categorical, fixed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a domain is an object with exactly one of float, int, categorical, fixed"))
        }
        switch key {
        case .float: self = .float(try c.decode(FloatDomain.self, forKey: key))
        case .int: self = .int(try c.decode(IntDomain.self, forKey: key))
        case .categorical: self = .categorical(try c.decode([ParameterValue].self, forKey: key))
        case .fixed: self = .fixed(try c.decode(ParameterValue.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .float(let d): try c.encode(d, forKey: .float)
        case .int(let d): try c.encode(d, forKey: .int)
        case .categorical(let v): try c.encode(v, forKey: .categorical)
        case .fixed(let v): try c.encode(v, forKey: .fixed)
        }
    }

    /// True for parameters a sampler has to choose (everything but `fixed`).
    public var isSearchable: Bool {
        if case .fixed = self { return false }
        return true
    }
}

/// When a conditional parameter is active: a test on another (parent) parameter's value.
///
/// JSON: `{"parameter": "optimizer", "in": ["sgd"]}` or `{"parameter": "layers", "op": ">=", "value": 3}`.
public struct Condition: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Comparison operators for numeric conditions.
    public enum Comparison: String, Sendable, Hashable, Codable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case equal = "==", notEqual = "!="

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            case .equal: return a == b
            case .notEqual: return a != b
            }
        }
    }

    /// The test applied to the parent's value.
    public enum Test: Sendable, Hashable {
        case oneOf([ParameterValue])
        case compare(Comparison, Double)
    }

    public var parameter: String
    public var test: Test

    public init(parameter: String, oneOf values: [ParameterValue]) {
        self.parameter = parameter
        self.test = .oneOf(values)
    }

    public init(parameter: String, _ comparison: Comparison, _ value: Double) {
        self.parameter = parameter
        self.test = .compare(comparison, value)
    }

    /// Whether the condition holds for the parent's value (a missing parent never satisfies it).
    public func holds(for value: ParameterValue?) -> Bool {
        guard let value else { return false }
        switch test {
        case .oneOf(let values): return values.contains { $0.matches(value) }
        case .compare(let op, let bound):
            guard let x = value.number else { return false }
            return op.holds(x, bound)
        }
    }

    public var description: String {
        switch test {
        case .oneOf(let v): return "\(parameter) in [\(v.map(\.description).joined(separator: ", "))]"
        case .compare(let op, let b): return "\(parameter) \(op.rawValue) \(b)"
        }
    }

    private enum Key: String, CodingKey { case parameter, `in`, op, value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        parameter = try c.decode(String.self, forKey: .parameter)
        if let values = try c.decodeIfPresent([ParameterValue].self, forKey: .in) {
            test = .oneOf(values)
        } else {
            test = .compare(
                try c.decode(Comparison.self, forKey: .op), try c.decode(Double.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(parameter, forKey: .parameter)
        switch test {
        case .oneOf(let v): try c.encode(v, forKey: .in)
        case .compare(let op, let b):
            try c.encode(op, forKey: .op)
            try c.encode(b, forKey: .value)
        }
    }
}

/// One named parameter of a search space, possibly active only under a condition.
public struct Parameter: Sendable, Hashable, Codable {
    public var name: String
    public var domain: Domain
    /// Nil for parameters that are always active.
    public var when: Condition?

    public init(_ name: String, _ domain: Domain, when: Condition? = nil) {
        self.name = name
        self.domain = domain
        self.when = when
    }
}

/// The parameters a study tunes, in declaration order.
///
/// A value type so that it can be hashed into a study, sent to workers and compared on resume.
/// Samplers call ``orderedParameters()`` (parents before children) and ``isActive(_:given:)``.
public struct SearchSpace: Sendable, Hashable, Codable {
    public var parameters: [Parameter]

    public init(_ parameters: [Parameter]) {
        self.parameters = parameters
    }

    /// The parameter named `name`, if any.
    public subscript(name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// True when some parameter has a `when:` condition.
    public var isConditional: Bool { parameters.contains { $0.when != nil } }

    /// Number of parameters a sampler has to choose (fixed ones excluded).
    public var searchableCount: Int { parameters.filter { $0.domain.isSearchable }.count }

    /// Whether `parameter` is active given the values chosen so far (its parent must be active
    /// and present, and the condition must hold).
    public func isActive(_ parameter: Parameter, given values: Parameters) -> Bool {
        guard let condition = parameter.when else { return true }
        return condition.holds(for: values[condition.parameter])
    }

    /// Parameters ordered so that every parent comes before the parameters conditioned on it
    /// (declaration order otherwise). Throws the validation errors if the space is invalid.
    public func orderedParameters() throws -> [Parameter] {
        try validated()
        return topologicalOrder()
    }

    /// Fills a parameter dictionary in dependency order: `choose` is called for each active,
    /// searchable parameter; fixed parameters get their value; inactive ones stay absent.
    public func assemble(
        _ ordered: [Parameter], choose: (Parameter, Parameters) throws -> ParameterValue
    ) rethrows -> Parameters {
        var values = Parameters()
        for p in ordered where isActive(p, given: values) {
            if case .fixed(let v) = p.domain {
                values[p.name] = v
            } else {
                values[p.name] = try choose(p, values)
            }
        }
        return values
    }

    /// Kahn's algorithm, stable with respect to declaration order. Assumes no cycles (parameters
    /// caught in one are appended at the end so that callers never lose a parameter).
    func topologicalOrder() -> [Parameter] {
        var placed = Set<String>()
        var result: [Parameter] = []
        var remaining = parameters
        while !remaining.isEmpty {
            var progressed = false
            var next: [Parameter] = []
            for p in remaining {
                if let c = p.when, self[c.parameter] != nil, !placed.contains(c.parameter) {
                    next.append(p)
                } else {
                    result.append(p)
                    placed.insert(p.name)
                    progressed = true
                }
            }
            remaining = next
            if !progressed {
                result += remaining
                break
            }
        }
        return result
    }
}
