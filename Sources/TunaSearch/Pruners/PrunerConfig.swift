/// A pruner and its options as one Codable value, for study files and wire messages:
/// `{"median": {...}}`, `{"percentile": {...}}`, `{"successive_halving": {...}}`,
/// `{"hyperband": {...}}` or `{"none": {}}`.
public enum PrunerConfig: Sendable, Hashable, Codable {
    case none
    case median(MedianPruner)
    case percentile(PercentilePruner)
    case successiveHalving(SuccessiveHalvingPruner)
    case hyperband(HyperbandPruner)

    private enum Key: String, CodingKey {
        case none, median, percentile, successiveHalving = "successive_halving", hyperband
    }

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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a pruner is an object with exactly one of none, median, percentile, successive_halving, hyperband"))
        }
        switch key {
        case .none: self = .none
        case .median: self = .median(try c.decode(MedianPruner.self, forKey: key))
        case .percentile: self = .percentile(try c.decode(PercentilePruner.self, forKey: key))
        case .successiveHalving: self = .successiveHalving(try c.decode(SuccessiveHalvingPruner.self, forKey: key))
        case .hyperband: self = .hyperband(try c.decode(HyperbandPruner.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .none: try c.encode([String: Int](), forKey: .none)
        case .median(let p): try c.encode(p, forKey: .median)
        case .percentile(let p): try c.encode(p, forKey: .percentile)
        case .successiveHalving(let p): try c.encode(p, forKey: .successiveHalving)
        case .hyperband(let p): try c.encode(p, forKey: .hyperband)
        }
    }
}
