/// One value a parameter can take: what a trial's parameter dictionary holds.
///
/// It encodes as a bare JSON scalar (`"adam"`, `3`, `0.01`, `true`) so that trial parameters read
/// naturally in the wire messages, the SQLite `params` column and the study file.
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    /// The numeric value of an int or a double (nil for strings and booleans).
    ///
    /// Conditions such as `layers >= 3` and the samplers' numeric encodings read values through it,
    /// so an int written as `3.0` by another tool still compares as 3.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string, .bool: return nil
        }
    }

    /// The value as an integer when it is one exactly (an int, or a double with no fraction).
    public var integer: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
            return Int(d)
        case .string, .bool: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        }
    }

    /// Equality that treats `.int(3)` and `.double(3.0)` as the same value.
    ///
    /// Values come back from JSON and YAML where `3` and `3.0` are not always kept apart; a
    /// condition `layers in [3]` must still hold for a stored `3.0`.
    public func matches(_ other: ParameterValue) -> Bool {
        if let a = number, let b = other.number { return a == b }
        return self == other
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a parameter value must be a string, number or boolean")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        }
    }
}

extension ParameterValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// The parameters of one trial, by name. Inactive conditional parameters are absent.
public typealias Parameters = [String: ParameterValue]
