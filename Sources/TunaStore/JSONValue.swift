import Foundation

/// A scalar JSON value: the store's neutral representation of a trial parameter or a setting.
///
/// The store does not depend on the scheduler's or the sampler's types; they map their own
/// parameter values onto these four cases. Integers are numbers (exact up to 2^53), as in JSON.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Order matters: a JSON `true` must not be read as a number, nor a number as a string.
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a number, string, bool or null")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .bool(let flag): try container.encode(flag)
        case .null: try container.encodeNil()
        }
    }

    /// The number, if this is one (a bool is not a number here: the sampler decides that).
    public var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The text, if this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The flag, if this is a bool.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The JSON text of this value (throws for NaN and infinities, which JSON cannot hold).
    public func jsonText() throws -> String {
        var out = ""
        try JSONText.append(self, to: &out)
        return out
    }

    public var description: String {
        (try? jsonText()) ?? "\(self)"
    }
}

extension JSONValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Flat JSON objects (`{"name": scalar, ...}`) as stored in the `params` and `settings` columns.
///
/// Both directions are hand-written because they sit on the hot path of every trial update
/// (Foundation's coders cost more than the SQLite work they feed); keys are sorted so equal
/// parameter sets give equal text.
enum JSONText {
    static func encode(_ object: [String: JSONValue]) throws -> String {
        var out = "{"
        var first = true
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            if !first { out.append(",") }
            first = false
            appendString(key, to: &out)
            out.append(":")
            try append(value, to: &out)
        }
        out.append("}")
        return out
    }

    static func decode(_ text: String, column: String) throws -> [String: JSONValue] {
        guard let object = FlatJSONParser.parse(text) else {
            throw StoreError.corruptValue(column: column, text: String(text.prefix(200)))
        }
        return object
    }

    static func append(_ value: JSONValue, to out: inout String) throws {
        switch value {
        case .null: out.append("null")
        case .bool(let flag): out.append(flag ? "true" : "false")
        case .string(let text): appendString(text, to: &out)
        case .number(let number):
            guard number.isFinite else { throw StoreError.nonFiniteParameter(number) }
            // Integral values print as integers ("64", not "64.0"): what a reader expects to see.
            if number == number.rounded(), abs(number) < 1e15, !(number == 0 && number.sign == .minus) {
                out.append(String(Int64(number)))
            } else {
                out.append(number.description)  // shortest text that round-trips
            }
        }
    }

    static func appendString(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
