import Foundation

/// Maps class names to indices 0..<k and back; it travels with a model so predictions can be
/// reported by name.
///
/// Classes are sorted (numerically when every class is a number, so "2" comes before "10"), as
/// scikit-learn's `LabelEncoder` does, which makes indices stable across files that list the
/// same classes in a different order.
public struct LabelEncoder: Sendable, Hashable, Codable {
    /// The class names; a class's index is its position here.
    public var classes: [String]

    public init(classes: [String]) { self.classes = classes }

    /// Learns the classes of a target column (missing cells are not a class).
    public init(fitting column: Column) throws {
        switch column {
        case .numeric(let values):
            let distinct = Set(values.filter { !$0.isNaN })
            classes = distinct.sorted().map(categoryText)
        case .categorical(let values):
            let distinct = Set(values.compactMap { $0 })
            if distinct.allSatisfy({ NumberParser.parse($0) != nil }) {
                classes = distinct.sorted { (NumberParser.parse($0) ?? 0, $0) < (NumberParser.parse($1) ?? 0, $1) }
            } else {
                classes = distinct.sorted()
            }
        }
        guard !classes.isEmpty else { throw DataError("the target column has no values") }
    }

    /// The index of every cell; an unknown or missing class is an error naming the row.
    public func encode(_ column: Column, source: String? = nil) throws -> [Int] {
        var index: [String: Int] = [:]
        for (k, name) in classes.enumerated() { index[name] = k }
        let texts: [String?] = switch column {
        case .numeric(let values): values.map { $0.isNaN ? nil : categoryText($0) }
        case .categorical(let values): values
        }
        return try texts.enumerated().map { row, text in
            guard let text else { throw DataError("target missing in data row \(row + 1)", file: source) }
            guard let k = index[text] else {
                throw DataError("unknown class '\(text)' in data row \(row + 1) (classes: \(classes.joined(separator: ", ")))", file: source)
            }
            return k
        }
    }

    /// The name of class `index`, or `"?"` for an index outside the classes.
    public func name(of index: Int) -> String {
        classes.indices.contains(index) ? classes[index] : "?"
    }
}

/// The text of a number used as a category: integers without a decimal point ("2007", not
/// "2007.0"), everything else in the shortest round-tripping form.
func categoryText(_ value: Double) -> String {
    if value.rounded() == value && abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
