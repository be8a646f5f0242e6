import Foundation
import TunaBase
import Yams

/// Where something stands in a study file, for error messages (`file:line:column`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A study-file error: what is wrong and where, formatted as compilers do
/// (`search-spaces/iris.yaml:12:7: error: ...`) so editors can jump to it.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    public var location: SourceLocation?
    public var file: String
    public var message: String

    public init(_ message: String, at location: SourceLocation?, file: String) {
        self.message = message
        self.location = location
        self.file = file
    }

    public var description: String { "\(location?.description ?? file): error: \(message)" }
}

/// A YAML document as a value tree that remembers where each part came from.
///
/// Yams' own `Node` is a reference-typed tree; this copy is a Sendable value that the
/// placeholder substitution can rewrite freely and that converts to JSON for `Codable` types,
/// with decoding errors mapped back to the line and column of the offending value.
public indirect enum SpecNode: Sendable, Hashable {
    public enum ScalarKind: Sendable, Hashable { case string, int, float, bool, null }

    case scalar(String, ScalarKind, SourceLocation)
    case mapping([Entry], SourceLocation)
    case sequence([SpecNode], SourceLocation)

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: SpecNode
    }

    public var location: SourceLocation {
        switch self {
        case .scalar(_, _, let l), .mapping(_, let l), .sequence(_, let l): l
        }
    }

    /// Parses YAML text; syntax errors carry the line and column. The text's size and aliases
    /// are checked before the YAML library sees it, the tree's size and depth while it is
    /// copied (see `StudyLimits`).
    public static func parse(yaml: String, file: String) throws -> SpecNode {
        try StudyLimits.checkSize(byteCount: yaml.utf8.count, file: file)
        try StudyLimits.checkAliases(yaml, file: file)
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw SpecError(Self.describe(error), at: Self.location(of: error, file: file, text: yaml), file: file)
        }
        guard let node else { throw SpecError("the file is empty", at: nil, file: file) }
        var budget = Budget()
        return try SpecNode(node, file: file, depth: 1, budget: &budget)
    }

    /// Nodes copied so far, against `StudyLimits.maxNodes`.
    struct Budget {
        var nodes = 0
    }

    init(_ node: Node, file: String, depth: Int, budget: inout Budget) throws {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        budget.nodes += 1
        guard budget.nodes <= StudyLimits.maxNodes else {
            throw SpecError("the study has more than \(StudyLimits.maxNodes) YAML nodes (the limit)", at: location, file: file)
        }
        guard depth <= StudyLimits.maxDepth else {
            throw SpecError("the study nests mappings and lists more than \(StudyLimits.maxDepth) deep (the limit)", at: location, file: file)
        }
        switch node {
        case .scalar(let scalar):
            let kind: ScalarKind
            switch node.tag.rawValue {
            case Tag.Name.int.rawValue: kind = .int
            case Tag.Name.float.rawValue: kind = .float
            case Tag.Name.bool.rawValue: kind = .bool
            case Tag.Name.null.rawValue: kind = .null
            default: kind = .string
            }
            self = .scalar(scalar.string, kind, location)
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw SpecError("mapping keys must be plain names", at: location, file: file)
                }
                let keyLocation = SourceLocation(file: file, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0)
                if entries.contains(where: { $0.key == name }) {
                    throw SpecError("duplicate key '\(name)'", at: keyLocation, file: file)
                }
                entries.append(Entry(
                    key: name, keyLocation: keyLocation, value: try SpecNode(value, file: file, depth: depth + 1, budget: &budget)))
            }
            self = .mapping(entries, location)
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence { items.append(try SpecNode(item, file: file, depth: depth + 1, budget: &budget)) }
            self = .sequence(items, location)
        case .alias:
            throw SpecError("YAML aliases are not supported in study files", at: location, file: file)
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return "YAML syntax: \(problem)"
        case .reader(let problem, _, _, _):
            return "YAML syntax: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            // Yams refuses a mapping that repeats a key; silently keeping one would hide a typo.
            return "duplicate key '\(duplicates.joined(separator: "', '"))' in a mapping (the first is here)"
        default:
            return "YAML syntax: \(error)"
        }
    }

    static func location(of error: YamlError, file: String, text: String) -> SourceLocation? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(_, let context):
            return SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
        case .reader(_, let offset?, _, _):
            // libyaml reports a reader error (bad UTF-8, a control character) as a byte offset.
            var line = 1, column = 1
            for byte in text.utf8.prefix(max(0, offset)) {
                if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            return SourceLocation(file: file, line: line, column: column)
        default:
            return nil
        }
    }

    // MARK: Reading

    /// The entries of a mapping, or an error at this node.
    public func entries(_ what: String) throws -> [Entry] {
        guard case .mapping(let entries, _) = self else { throw error("\(what) must be a mapping") }
        return entries
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> SpecNode? {
        guard case .mapping(let entries, _) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The text of a scalar.
    public var text: String? {
        if case .scalar(let text, let kind, _) = self, kind != .null { return text }
        return nil
    }

    public var isNull: Bool {
        if case .scalar(_, .null, _) = self { return true }
        return false
    }

    /// An error located at this node.
    public func error(_ message: String) -> SpecError {
        SpecError(message, at: location, file: location.file)
    }

    /// Refuses keys outside `known`, naming the nearest known one.
    public func checkKeys(_ known: [String], in what: String) throws {
        for entry in try entries(what) where !known.contains(entry.key) {
            var message = "unknown key '\(entry.key)' in \(what)"
            if let near = nearestName(to: entry.key, in: known) { message += " (did you mean '\(near)'?)" }
            message += "; known keys: \(known.joined(separator: ", "))"
            throw SpecError(message, at: entry.keyLocation, file: entry.keyLocation.file)
        }
    }

    // MARK: JSON bridge

    /// The value as a Foundation JSON object (scalars typed by their YAML tags).
    public var jsonObject: Any {
        switch self {
        case .scalar(let text, let kind, _):
            switch kind {
            case .int:
                if let integer = Int(text) { return integer }
                if let number = Double(text) { return number }
                return text
            case .float: return Double(text.replacingOccurrences(of: "_", with: "")) ?? text
            case .bool: return ["true", "yes", "on", "True", "TRUE", "Yes", "On"].contains(text)
            case .null: return NSNull()
            case .string: return text
            }
        case .mapping(let entries, _):
            return Dictionary(entries.map { ($0.key, $0.value.jsonObject) }, uniquingKeysWith: { a, _ in a })
        case .sequence(let items, _):
            return items.map(\.jsonObject)
        }
    }

    /// Decodes a `Codable` type from this node; a decoding error points at the line and column
    /// of the value it is about.
    public func decode<T: Decodable>(_ type: T.Type, what: String) throws -> T {
        let object = jsonObject
        let data: Data
        if JSONSerialization.isValidJSONObject(object) {
            data = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
        } else {
            data = try JSONSerialization.data(withJSONObject: [object], options: []).dropFirst().dropLast()
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            let (path, message) = Self.explain(error)
            let node = self.node(at: path) ?? self
            throw node.error("\(what): \(message)")
        } catch {
            throw self.error("\(what): \(error)")
        }
    }

    /// The node a coding path leads to (as deep as it can be followed).
    func node(at path: [CodingKey]) -> SpecNode? {
        var current = self
        for key in path {
            switch current {
            case .mapping(let entries, _):
                guard let next = entries.first(where: { $0.key == key.stringValue })?.value else { return current }
                current = next
            case .sequence(let items, _):
                guard let index = key.intValue, index < items.count else { return current }
                current = items[index]
            case .scalar:
                return current
            }
        }
        return current
    }

    static func explain(_ error: DecodingError) -> ([CodingKey], String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (context.codingPath, "missing key '\(key.stringValue)'")
        case .typeMismatch(let type, let context):
            return (context.codingPath, "expected \(readable(type))\(pathSuffix(context.codingPath))")
        case .valueNotFound(let type, let context):
            return (context.codingPath, "expected \(readable(type)), found nothing\(pathSuffix(context.codingPath))")
        case .dataCorrupted(let context):
            // Foundation says "not valid JSON" for a number that does not fit the setting's
            // type (1e40 for an integer); the JSON was made by us, so that is what it means.
            if context.debugDescription.contains("not valid JSON") {
                return (context.codingPath, "a number out of range for its setting (an integer must fit in 64 bits)\(pathSuffix(context.codingPath))")
            }
            return (context.codingPath, context.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    static func readable(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is UInt64.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }

    static func pathSuffix(_ path: [CodingKey]) -> String {
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? "" : " at '\(names.joined(separator: "."))'"
    }
}
