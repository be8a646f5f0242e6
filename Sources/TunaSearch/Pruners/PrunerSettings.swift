import TunaBase

/// The one reader of pruner settings, for study files and wire messages alike: snake_case keys
/// as Optuna names its arguments, Optuna's defaults, ranges checked, and an unknown key refused
/// with the nearest known one (so a misspelt `warmup_step` is an error, not a silent default).
struct PrunerSettings {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private let container: KeyedDecodingContainer<Key>?
    private let codingPath: [any CodingKey]

    /// Reads the settings mapping (absent or null means every default).
    init(_ decoder: any Decoder, pruner: String, known: [String]) throws {
        codingPath = decoder.codingPath
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            container = nil
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            var message = "unknown key '\(key.stringValue)' in the \(pruner) pruner"
            if let near = nearestName(to: key.stringValue, in: known) { message += " (did you mean '\(near)'?)" }
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: message + "; known keys: \(known.joined(separator: ", "))")
        }
        self.container = container
    }

    func int(_ key: String, default value: Int, minimum: Int = 0) throws -> Int {
        try optionalInt(key, minimum: minimum) ?? value
    }

    func optionalInt(_ key: String, minimum: Int = 0) throws -> Int? {
        guard let container, let number = try container.decodeIfPresent(Int.self, forKey: Key(key)) else { return nil }
        guard number >= minimum else {
            throw DecodingError.dataCorruptedError(forKey: Key(key), in: container, debugDescription: "'\(key)' is an integer of at least \(minimum), got \(number)")
        }
        return number
    }

    func double(_ key: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let container, let number = try container.decodeIfPresent(Double.self, forKey: Key(key)) else { return value }
        guard range.contains(number) else {
            throw DecodingError.dataCorruptedError(forKey: Key(key), in: container, debugDescription: "'\(key)' is in [\(range.lowerBound), \(range.upperBound)], got \(number)")
        }
        return number
    }

    func string(_ key: String, default value: String) throws -> String {
        try container?.decodeIfPresent(String.self, forKey: Key(key)) ?? value
    }
}

/// Writes settings under the same keys `PrunerSettings` reads.
struct PrunerSettingsWriter {
    private var container: KeyedEncodingContainer<PrunerSettings.Key>

    init(_ encoder: any Encoder) {
        container = encoder.container(keyedBy: PrunerSettings.Key.self)
    }

    mutating func set<T: Encodable>(_ key: String, _ value: T?) throws {
        try container.encodeIfPresent(value, forKey: PrunerSettings.Key(key))
    }
}
