import Foundation
import TunaSearch

/// A study-file remark that does not stop the study (`file:line:column: warning: ...`).
public struct SpecWarning: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    public var file: String
    public var message: String

    public var description: String { "\(location?.description ?? file): warning: \(message)" }
}

extension Study {
    /// Parameters that the search samples but nothing reads: no `$name` placeholder in the
    /// model, no `{name}` in a command, not read by the benchmark function, and not the
    /// condition of a parameter that is read. Each costs search effort (a Bayesian or TPE
    /// sampler models it) and makes equal trials look different, so `validate` points at it.
    public func unusedParameters() -> [SpecWarning] {
        let names = search.space.parameters.map(\.name)
        var used = Set<String>()
        switch objective {
        case .network:
            guard let model else { return [] }
            var placeholders: [String] = []
            Self.collectPlaceholders(model, into: &placeholders)
            let patterns = Set(placeholders.filter { $0.contains("{i}") })
            used.formUnion(placeholders.filter { !$0.contains("{i}") })
            // Each name is looked up once per run of digits in it (`units_2` as `units_{i}`),
            // so a study with many parameters and placeholders costs no product of the two.
            if !patterns.isEmpty {
                for name in names where Self.indexedForms(of: name).contains(where: patterns.contains) { used.insert(name) }
            }
        case .function(let name):
            used.formUnion((try? BenchmarkFunctions.named(name))?.space.parameters.map(\.name) ?? names)
        case .command(let command):
            for name in names where command.arguments.contains(where: { $0.contains("{\(name)}") }) { used.insert(name) }
        }
        // A parameter that only switches others on (`when: {optimizer: sgd}`) matters when one
        // of them is read.
        var changed = true
        while changed {
            changed = false
            for parameter in search.space.parameters where used.contains(parameter.name) {
                if let parent = parameter.when?.parameter, used.insert(parent).inserted { changed = true }
            }
        }
        let root = try? SpecNode.parse(yaml: text, file: file)
        let entries = (try? root?["search"]?["parameters"]?.entries("parameters")) ?? nil
        return names.filter { !used.contains($0) }.map { name in
            let location = entries?.first { $0.key == name }?.keyLocation
            let reader = switch objective {
            case .network: "no '$\(name)' placeholder in the model"
            case .function(let function): "function \(function) does not read it"
            case .command: "no '{\(name)}' in the command"
            }
            return SpecWarning(
                location: location, file: file,
                message: "parameter '\(name)' is sampled but nothing uses it (\(reader)); remove it or use it")
        }
    }

    /// Every `$name` of a tree, as a whole scalar or as a mapping key.
    static func collectPlaceholders(_ node: SpecNode, into names: inout [String]) {
        switch node {
        case .scalar(let text, .string, _) where text.hasPrefix("$"):
            names.append(String(text.dropFirst()))
        case .mapping(let entries, _):
            for entry in entries {
                if entry.key.hasPrefix("$") { names.append(String(entry.key.dropFirst())) }
                collectPlaceholders(entry.value, into: &names)
            }
        case .sequence(let items, _):
            for item in items { collectPlaceholders(item, into: &names) }
        default:
            break
        }
    }

    /// `name` with each run of digits replaced by `{i}`: the per-copy placeholders that
    /// would name it (`units_12` → `units_{i}`).
    static func indexedForms(of name: String) -> [String] {
        let characters = Array(name)
        var forms: [String] = []
        var start = 0
        while start < characters.count {
            guard characters[start].isASCII, characters[start].isNumber else {
                start += 1
                continue
            }
            var end = start
            while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 }
            forms.append(String(characters[..<start]) + "{i}" + String(characters[end...]))
            start = end
        }
        return forms
    }
}
