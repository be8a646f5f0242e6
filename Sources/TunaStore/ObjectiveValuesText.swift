import Foundation

/// A multi-objective trial's values as the `trials.objective_values` column holds them: a JSON
/// array of numbers (`[0.93,1204]`), readable by any SQLite tool with `json_extract`.
enum ObjectiveValuesText {
    /// Nil for no values, and for a set with a non-finite member (JSON has no NaN, and such a
    /// trial ranks nowhere): the scheduler fails those trials before they get here.
    static func encode(_ values: [Double]?) -> String? {
        guard let values, !values.isEmpty, values.allSatisfy(\.isFinite) else { return nil }
        return "[" + values.map(\.description).joined(separator: ",") + "]"
    }

    static func decode(_ text: String?) throws -> [Double]? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else {
            throw StoreError.corruptValue(column: "trials.objective_values", text: String(text.prefix(200)))
        }
        let values = trimmed.dropFirst().dropLast().split(separator: ",").map {
            Double($0.trimmingCharacters(in: .whitespaces))
        }
        guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
            throw StoreError.corruptValue(column: "trials.objective_values", text: String(text.prefix(200)))
        }
        return values.compactMap { $0 }
    }
}
