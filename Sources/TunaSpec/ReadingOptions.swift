import Foundation
import TunaBase

/// How a study's CSV file is read, in the words of pandas' `read_csv`: `drop` (columns left
/// out, e.g. ids), `index_col` (a row-label column, never a feature), `na_values` (more cell
/// texts meaning "missing") and `columns` (declared types that override inference).
///
/// Names only, never paths: a submitted study can say which columns to read but cannot make a
/// daemon open anything. Every list is bounded (`StudyLimits`) because the loader consults the
/// markers for every text cell.
public struct ReadingOptions: Sendable, Hashable, Codable {
    /// A declared column type.
    public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable { case numeric, categorical }

    /// Columns removed before anything else reads the table.
    public var drop: [String] = []
    /// The row-label column: removed from the features, kept as labels.
    public var indexColumn: String?
    /// Cell texts read as missing, beside the loader's own (`""`, `NA`, `NaN`, `?`).
    public var naValues: [String] = []
    /// Declared column types; undeclared columns are inferred.
    public var columnTypes: [String: ColumnType] = [:]

    public init() {}

    static let keys = ["drop", "index_col", "na_values", "columns"]

    /// The options under `data:`. `target` and `features` are the section's own, checked
    /// against what is dropped; none of these options applies to an NPZ archive.
    init(_ node: SpecNode, target: String, features: [String]?, isNPZ: Bool) throws {
        if isNPZ, let key = Self.keys.first(where: { node[$0] != nil }), let given = node[key] {
            throw given.error("'\(key)' is for CSV files; an NPZ archive has arrays, not columns (use features_key)")
        }
        if let dropNode = node["drop"] {
            drop = try Self.names(dropNode, what: "drop")
            if drop.contains(target) {
                throw dropNode.error("drop lists the target column '\(target)'; a study cannot predict a dropped column")
            }
            let dropped = Set(drop)
            if let both = features?.first(where: { dropped.contains($0) }) {
                throw dropNode.error("drop lists '\(both)', which data.features also lists; keep it in one of them")
            }
        }
        if let indexNode = node["index_col"] {
            guard let name = indexNode.text, !name.isEmpty else {
                throw indexNode.error("index_col names one column (the row labels), e.g. index_col: id")
            }
            guard name != target else {
                throw indexNode.error("index_col '\(name)' is the target column; the row labels cannot be what is predicted")
            }
            if drop.contains(name) {
                throw indexNode.error("index_col '\(name)' is also in drop; the index column is left out of the features already")
            }
            if features?.contains(name) == true {
                throw indexNode.error("index_col '\(name)' is listed in data.features; row labels are not a feature")
            }
            indexColumn = name
        }
        if let naNode = node["na_values"] {
            let items: [SpecNode]
            switch naNode {
            case .sequence(let list, _): items = list
            case .scalar: items = [naNode]
            case .mapping: throw naNode.error("na_values is a list of cell texts meaning 'missing', e.g. na_values: [\"-\", n/a]")
            }
            guard items.count <= StudyLimits.maxMissingMarkers else {
                throw naNode.error("na_values has \(items.count) entries; the limit is \(StudyLimits.maxMissingMarkers)")
            }
            for item in items {
                guard let text = item.text else { throw item.error("na_values entries are cell texts (strings or numbers)") }
                guard text.utf8.count <= StudyLimits.maxMissingMarkerBytes else {
                    throw item.error("an na_values entry is at most \(StudyLimits.maxMissingMarkerBytes) bytes long")
                }
                naValues.append(text)
            }
        }
        if let columnsNode = node["columns"] {
            let entries = try columnsNode.entries("data.columns (column: numeric | categorical)")
            guard entries.count <= StudyLimits.maxColumnNames else {
                throw columnsNode.error("data.columns declares \(entries.count) columns; the limit is \(StudyLimits.maxColumnNames)")
            }
            let known = ColumnType.allCases.map(\.rawValue)
            let dropped = Set(drop)
            for entry in entries {
                guard let word = entry.value.text, let type = ColumnType(rawValue: word) else {
                    var message = "column '\(entry.key)': the type is numeric or categorical"
                    if let word = entry.value.text {
                        message += ", got '\(word)'"
                        if let near = nearestName(to: word, in: known) { message += " (did you mean '\(near)'?)" }
                    }
                    throw entry.value.error(message)
                }
                if dropped.contains(entry.key) {
                    throw entry.value.error("column '\(entry.key)' is typed here and dropped by data.drop; keep one")
                }
                columnTypes[entry.key] = type
            }
        }
    }

    /// A list of column names (one name is allowed without brackets), bounded.
    static func names(_ node: SpecNode, what: String) throws -> [String] {
        let items: [SpecNode]
        switch node {
        case .sequence(let list, _): items = list
        case .scalar: items = [node]
        case .mapping: throw node.error("\(what) is a list of column names, e.g. \(what): [id, name]")
        }
        guard items.count <= StudyLimits.maxColumnNames else {
            throw node.error("\(what) lists \(items.count) columns; the limit is \(StudyLimits.maxColumnNames)")
        }
        return try items.map { item in
            guard let name = item.text, !name.isEmpty else { throw item.error("\(what) entries are column names") }
            return name
        }
    }

    /// The YAML node of the option that names `column`, for pointing at it in an error.
    public static func node(naming column: String, in data: SpecNode?) -> SpecNode? {
        guard let data else { return nil }
        if let index = data["index_col"], index.text == column { return index }
        if case .sequence(let items, _)? = data["drop"], let item = items.first(where: { $0.text == column }) { return item }
        if data["drop"]?.text == column { return data["drop"] }
        if case .mapping(let entries, _)? = data["columns"], let entry = entries.first(where: { $0.key == column }) {
            return .scalar(entry.key, .string, entry.keyLocation)
        }
        return nil
    }

    /// True when nothing differs from reading the file as it is.
    public var isDefault: Bool { drop.isEmpty && indexColumn == nil && naValues.isEmpty && columnTypes.isEmpty }
}
