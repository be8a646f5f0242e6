import TunaBase

/// A pruner and its options as one Codable value, read the same way from study files and wire
/// messages: a name (`"median"`) or `{"median": {...}}`, `{"percentile": {...}}`,
/// `{"successive_halving": {...}}`, `{"hyperband": {...}}`, `{"none": {}}`.
public enum PrunerConfig: Sendable, Hashable, Codable {
    case none
    case median(MedianPruner)
    case percentile(PercentilePruner)
    case successiveHalving(SuccessiveHalvingPruner)
    case hyperband(HyperbandPruner)

    /// The configured pruner.
    public var pruner: any Pruner {
        switch self {
        case .none: return NopPruner()
        case .median(let p): return p
        case .percentile(let p): return p
        case .successiveHalving(let p): return p
        case .hyperband(let p): return p
        }
    }

    /// Every pruner's name as study files write it (`asha` also names successive halving).
    public static let names = ["none", "median", "percentile", "successive_halving", "asha", "hyperband"]

    /// A name (`median`) or a one-key mapping with settings (`{median: {warmup_steps: 1}}`).
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self = try Self.named(name, settings: nil, codingPath: decoder.codingPath)
            return
        }
        let c = try decoder.container(keyedBy: PrunerSettings.Key.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a pruner is a name or a one-key mapping, one of \(Self.names.joined(separator: ", "))"))
        }
        self = try Self.named(key.stringValue, settings: try c.superDecoder(forKey: key), codingPath: decoder.codingPath + [key])
    }

    private static func named(_ name: String, settings: (any Decoder)?, codingPath: [any CodingKey]) throws -> PrunerConfig {
        func read<P: Decodable>(_ make: (P) -> PrunerConfig, _ defaults: P) throws -> PrunerConfig {
            make(try settings.map { try P(from: $0) } ?? defaults)
        }
        switch name {
        case "none": return .none
        case "median": return try read(PrunerConfig.median, MedianPruner())
        case "percentile": return try read(PrunerConfig.percentile, PercentilePruner(percentile: 25))
        case "successive_halving", "asha": return try read(PrunerConfig.successiveHalving, SuccessiveHalvingPruner())
        case "hyperband": return try read(PrunerConfig.hyperband, HyperbandPruner())
        default:
            var message = "unknown pruner '\(name)'"
            if let near = nearestName(to: name, in: names) { message += " (did you mean '\(near)'?)" }
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: message + "; known: \(names.joined(separator: ", "))"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: PrunerSettings.Key.self)
        switch self {
        case .none: try c.encode([String: Int](), forKey: .init("none"))
        case .median(let p): try c.encode(p, forKey: .init("median"))
        case .percentile(let p): try c.encode(p, forKey: .init("percentile"))
        case .successiveHalving(let p): try c.encode(p, forKey: .init("successive_halving"))
        case .hyperband(let p): try c.encode(p, forKey: .init("hyperband"))
        }
    }
}
