import Foundation
import TunaBase

/// A coding key made at run time (the step name is the key of a one-key object).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension PreprocessStep: Codable {
    /// The step names a study file may use.
    public static let names = ["impute", "drop_duplicates", "scale", "onehot", "ordinal", "scale_target", "drop", "augment", "normalize"]

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard name == "drop_duplicates" else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(name)' needs settings, as {\(name): ...}; steps: \(Self.names.joined(separator: ", "))"))
            }
            self = .dropDuplicates
            return
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a preprocessing step is an object with one key (\(Self.names.joined(separator: ", "))), got \(container.allKeys.map(\.stringValue))"))
        }
        let inner = try container.superDecoder(forKey: key)
        switch key.stringValue {
        case "impute": self = .impute(try Self.decodeImputation(inner))
        case "drop_duplicates": self = .dropDuplicates
        case "scale": self = .scale(try Self.decodeScaling(inner))
        case "scale_target":
            self = .scaleTarget(try Self.decodeScaling(inner))
        case "onehot", "one_hot":
            let (columns, settings) = try Self.decodeColumns(inner)
            var encoding = OneHotEncoding(columns: columns)
            if let settings {
                encoding.unknown = try settings.decodeIfPresent(OneHotEncoding.Unknown.self, forKey: AnyKey("unknown")) ?? .ignore
            }
            self = .oneHot(encoding)
        case "ordinal":
            let (columns, settings) = try Self.decodeColumns(inner)
            var encoding = OrdinalEncoding(columns: columns)
            if let settings {
                encoding.categories = try settings.decodeIfPresent([String: [String]].self, forKey: AnyKey("categories")) ?? [:]
                encoding.unknownValue = try settings.decodeIfPresent(Double.self, forKey: AnyKey("unknown_value")) ?? -1
                if encoding.columns == nil, !encoding.categories.isEmpty { encoding.columns = encoding.categories.keys.sorted() }
            }
            self = .ordinal(encoding)
        case "drop": self = .drop(try inner.singleValueContainer().decode([String].self))
        case "augment": self = .augment(try Augmentation(from: inner))
        case "normalize", "normalise": self = .normalize(try Self.decodeNormalization(inner))
        default:
            var message = "unknown preprocessing step '\(key.stringValue)'"
            if let near = nearestName(to: key.stringValue, in: Self.names) { message += " (did you mean '\(near)'?)" }
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: message + " (steps: \(Self.names.joined(separator: ", ")))"))
        }
    }

    /// `per_series` or `{method: per_series, columns: [...]}`.
    static func decodeNormalization(_ decoder: Decoder) throws -> RowNormalization {
        func method(_ word: String) throws -> RowNormalization.Method {
            switch RowNormalization.method(word) {
            case .success(let method): return method
            case .failure(let error):
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
            }
        }
        if let word = try? decoder.singleValueContainer().decode(String.self) { return RowNormalization(try method(word)) }
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys where !["method", "columns"].contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "unknown key '\(key.stringValue)' in normalize (keys: method, columns)"))
        }
        let word = try c.decodeIfPresent(String.self, forKey: AnyKey("method")) ?? RowNormalization.Method.perSeries.rawValue
        return RowNormalization(try method(word), columns: try c.decodeIfPresent([String].self, forKey: AnyKey("columns")))
    }

    static func decodeImputation(_ decoder: Decoder) throws -> Imputation {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            return try imputation(strategy: name, decoder)
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        var result = Imputation()
        if let strategy = try c.decodeIfPresent(String.self, forKey: AnyKey("strategy")) {
            result = try imputation(strategy: strategy, decoder)
        }
        if let numeric = try c.decodeIfPresent(Imputation.Strategy.self, forKey: AnyKey("numeric")) { result.numeric = numeric }
        if let categorical = try c.decodeIfPresent(Imputation.Strategy.self, forKey: AnyKey("categorical")) {
            guard categorical == .mostFrequent || categorical == .constant else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "categorical columns are imputed with most_frequent or constant, not \(categorical.rawValue)"))
            }
            result.categorical = categorical
        }
        if let number = try? c.decodeIfPresent(Double.self, forKey: AnyKey("value")) {
            result.value = number
        } else if let text = try? c.decodeIfPresent(String.self, forKey: AnyKey("value")) {
            result.category = text
        }
        if let category = try c.decodeIfPresent(String.self, forKey: AnyKey("category")) { result.category = category }
        result.columns = try c.decodeIfPresent([String].self, forKey: AnyKey("columns"))
        return result
    }

    static func imputation(strategy name: String, _ decoder: Decoder) throws -> Imputation {
        guard let strategy = Imputation.Strategy(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "imputation is mean, median, most_frequent or constant, not '\(name)'"))
        }
        let categorical: Imputation.Strategy = strategy == .constant ? .constant : .mostFrequent
        return Imputation(numeric: strategy, categorical: categorical)
    }

    static func scalingMethod(_ name: String, _ decoder: Decoder) throws -> Scaling.Method {
        switch name {
        case "standard": return .standard
        case "minmax", "min_max": return .minMax
        case "robust": return .robust
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "scaling is standard, minmax, robust or {divide: n}, not '\(name)'"))
        }
    }

    static func decodeScaling(_ decoder: Decoder) throws -> Scaling {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            return Scaling(try scalingMethod(name, decoder))
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        var result: Scaling
        if let divisor = try c.decodeIfPresent(Double.self, forKey: AnyKey("divide")) {
            guard divisor != 0, divisor.isFinite else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "divide needs a non-zero number"))
            }
            result = Scaling(.divide, divisor: divisor)
        } else {
            let name = try c.decodeIfPresent(String.self, forKey: AnyKey("method")) ?? "standard"
            result = Scaling(try scalingMethod(name, decoder))
        }
        if let range = try c.decodeIfPresent([Double].self, forKey: AnyKey("range")) {
            guard range.count == 2, range[0] < range[1] else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "range is [low, high] with low < high"))
            }
            result.range = range
        }
        result.columns = try c.decodeIfPresent([String].self, forKey: AnyKey("columns"))
        return result
    }

    /// `[a, b]`, `all` or `{columns: [...], ...}`: the columns (nil = all) and the settings object.
    static func decodeColumns(_ decoder: Decoder) throws -> ([String]?, KeyedDecodingContainer<AnyKey>?) {
        if let list = try? decoder.singleValueContainer().decode([String].self) { return (list, nil) }
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            guard word == "all" || word == "auto" else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "expected a list of columns or 'all', got '\(word)'"))
            }
            return (nil, nil)
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        return (try c.decodeIfPresent([String].self, forKey: AnyKey("columns")), c)
    }

    /// The settings object of a scaling step, in the study file's spelling.
    struct ScaleForm: Encodable {
        var method: String?
        var divide: Double?
        var range: [Double]?
        var columns: [String]?
    }

    static func scaleForm(_ s: Scaling) -> ScaleForm {
        s.method == .divide
            ? ScaleForm(divide: s.divisor, columns: s.columns)
            : ScaleForm(method: s.method.rawValue, range: s.range, columns: s.columns)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        switch self {
        case .impute(let settings):
            var inner = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("impute"))
            try inner.encode(settings.numeric, forKey: AnyKey("numeric"))
            try inner.encode(settings.categorical, forKey: AnyKey("categorical"))
            try inner.encode(settings.value, forKey: AnyKey("value"))
            try inner.encode(settings.category, forKey: AnyKey("category"))
            try inner.encodeIfPresent(settings.columns, forKey: AnyKey("columns"))
        case .dropDuplicates:
            try c.encode(true, forKey: AnyKey("drop_duplicates"))
        case .scale(let settings):
            try c.encode(Self.scaleForm(settings), forKey: AnyKey("scale"))
        case .oneHot(let settings):
            var inner = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("onehot"))
            try inner.encodeIfPresent(settings.columns, forKey: AnyKey("columns"))
            try inner.encode(settings.unknown, forKey: AnyKey("unknown"))
        case .ordinal(let settings):
            var inner = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("ordinal"))
            try inner.encodeIfPresent(settings.columns, forKey: AnyKey("columns"))
            try inner.encode(settings.categories, forKey: AnyKey("categories"))
            try inner.encode(settings.unknownValue, forKey: AnyKey("unknown_value"))
        case .scaleTarget(let settings):
            try c.encode(Self.scaleForm(settings), forKey: AnyKey("scale_target"))
        case .drop(let columns):
            try c.encode(columns, forKey: AnyKey("drop"))
        case .augment(let settings):
            try c.encode(settings, forKey: AnyKey("augment"))
        case .normalize(let settings):
            var inner = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("normalize"))
            try inner.encode(settings.method, forKey: AnyKey("method"))
            try inner.encodeIfPresent(settings.columns, forKey: AnyKey("columns"))
        }
    }
}
