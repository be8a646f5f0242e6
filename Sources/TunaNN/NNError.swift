@_exported import TunaBase

/// Errors the engine reports instead of trapping: each names what was wrong and where.
public enum NNError: Error, CustomStringConvertible, Equatable {
    /// A tensor did not have the shape a layer, loss or metric needs.
    case shapeMismatch(String)
    /// A name (activation, loss, optimizer, initializer, layer, metric) is not known.
    case unknownName(kind: String, name: String, known: [String])
    /// A setting is out of range (negative units, dropout rate of 1, ...).
    case invalidArgument(String)
    /// Training data or labels are unusable (NaN, labels out of range, ...).
    case invalidData(String)
    /// The model was used before `compile` or before its input shape was known.
    case notReady(String)
    /// A model file could not be read or written.
    case modelFile(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message): return "shape mismatch: \(message)"
        case .unknownName(let kind, let name, let known):
            var text = "unknown \(kind) '\(name)'"
            if let near = nearestName(to: name, in: known) { text += " (did you mean '\(near)'?)" }
            return text + "; known: \(known.joined(separator: ", "))"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .invalidData(let message): return "invalid data: \(message)"
        case .notReady(let message): return message
        case .modelFile(let message): return "model file: \(message)"
        }
    }
}

/// Runs a name lookup inside `init(from:)`, turning its `NNError` into a `DecodingError` at the
/// decoder's coding path, so that a study file's error points at the line of the bad name.
func decodingName<T>(_ decoder: Decoder, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NNError {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
}
