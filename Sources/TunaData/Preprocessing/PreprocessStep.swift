import Foundation

/// One preprocessing step as a study file names it, before anything is learnt from data.
///
/// The Codable form is the study file's: a one-key object whose value is the short form or a
/// settings object, e.g. `{impute: mean}`, `{impute: {numeric: median, categorical: most_frequent}}`,
/// `{scale: standard}`, `{scale: {divide: 16}}`, `{onehot: [island, sex]}`,
/// `{ordinal: {columns: [size], categories: {size: [S, M, L]}, unknown_value: -1}}`,
/// `{scale_target: standard}`, `{drop: [year]}`, `drop_duplicates`, `{augment: {flip_horizontal: true}}`,
/// `{normalize: per_series}`.
public enum PreprocessStep: Sendable, Hashable {
    case impute(Imputation)
    /// Removes repeated training rows (features and target equal); never touches validation rows.
    case dropDuplicates
    case scale(Scaling)
    case oneHot(OneHotEncoding)
    case ordinal(OrdinalEncoding)
    /// Scales a regression target (predictions are mapped back before scoring).
    case scaleTarget(Scaling)
    /// Drops feature columns.
    case drop([String])
    /// Image augmentation, carried to the network as configuration.
    case augment(Augmentation)
    /// Z-normalises each row (a time series) over its own values.
    case normalize(RowNormalization)
}

/// Filling missing values.
public struct Imputation: Sendable, Hashable, Codable {
    public enum Strategy: String, Sendable, Hashable, Codable {
        case mean, median, mostFrequent = "most_frequent", constant
    }
    /// How numeric columns are filled.
    public var numeric: Strategy
    /// How categorical columns are filled (`most_frequent` or `constant`).
    public var categorical: Strategy
    /// The fill for numeric columns under `constant`.
    public var value: Double
    /// The fill for categorical columns under `constant`.
    public var category: String
    /// The columns to fill (default: every column with a missing value in the training part).
    public var columns: [String]?

    public init(numeric: Strategy = .mean, categorical: Strategy = .mostFrequent, value: Double = 0,
                category: String = "missing", columns: [String]? = nil) {
        self.numeric = numeric
        self.categorical = categorical
        self.value = value
        self.category = category
        self.columns = columns
    }
}

/// Rescaling numeric columns.
public struct Scaling: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable {
        /// Zero mean, unit (population) standard deviation, as scikit-learn's StandardScaler.
        case standard
        /// Into `range` (default 0...1), as MinMaxScaler.
        case minMax = "minmax"
        /// Median removed, divided by the interquartile range, as RobustScaler.
        case robust
        /// Divided by a fixed number (pixels: `{divide: 255}`); nothing is learnt.
        case divide
    }
    public var method: Method
    public var divisor: Double
    public var range: [Double]
    /// The columns to scale (default: every numeric column except one-hot indicators).
    public var columns: [String]?

    public init(_ method: Method, divisor: Double = 1, range: [Double] = [0, 1], columns: [String]? = nil) {
        self.method = method
        self.divisor = divisor
        self.range = range
        self.columns = columns
    }
}

/// One-hot encoding of categorical columns.
public struct OneHotEncoding: Sendable, Hashable, Codable {
    public enum Unknown: String, Sendable, Hashable, Codable {
        /// A category not seen in training becomes an all-zero row.
        case ignore
        /// A category not seen in training is an error.
        case error
    }
    /// The columns to encode; nil means every categorical column.
    public var columns: [String]?
    public var unknown: Unknown

    public init(columns: [String]? = nil, unknown: Unknown = .ignore) {
        self.columns = columns
        self.unknown = unknown
    }
}

/// Ordinal (integer) encoding of categorical columns.
public struct OrdinalEncoding: Sendable, Hashable, Codable {
    /// The columns to encode; nil means every categorical column.
    public var columns: [String]?
    /// A declared order per column (otherwise the sorted training categories).
    public var categories: [String: [String]]
    /// The code for a category not seen in training.
    public var unknownValue: Double

    public init(columns: [String]? = nil, categories: [String: [String]] = [:], unknownValue: Double = -1) {
        self.columns = columns
        self.categories = categories
        self.unknownValue = unknownValue
    }
}

/// Image augmentation settings. Tuna's data layer only carries them: the network applies them
/// to training batches (never to validation data).
public struct Augmentation: Sendable, Hashable, Codable {
    public var flipHorizontal: Bool
    public var flipVertical: Bool
    /// Maximum rotation, in degrees either way.
    public var rotation: Double
    /// Maximum shift, as a fraction of the width/height.
    public var shift: Double
    /// Maximum zoom, as a fraction (0.1 = 90%...110%).
    public var zoom: Double
    /// Standard deviation of added Gaussian noise.
    public var noise: Double

    public init(flipHorizontal: Bool = false, flipVertical: Bool = false, rotation: Double = 0, shift: Double = 0,
                zoom: Double = 0, noise: Double = 0) {
        self.flipHorizontal = flipHorizontal
        self.flipVertical = flipVertical
        self.rotation = rotation
        self.shift = shift
        self.zoom = zoom
        self.noise = noise
    }

    enum CodingKeys: String, CodingKey {
        case flipHorizontal = "flip_horizontal", flipVertical = "flip_vertical", rotation, shift, zoom, noise
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            flipHorizontal: try c.decodeIfPresent(Bool.self, forKey: .flipHorizontal) ?? false,
            flipVertical: try c.decodeIfPresent(Bool.self, forKey: .flipVertical) ?? false,
            rotation: try c.decodeIfPresent(Double.self, forKey: .rotation) ?? 0,
            shift: try c.decodeIfPresent(Double.self, forKey: .shift) ?? 0,
            zoom: try c.decodeIfPresent(Double.self, forKey: .zoom) ?? 0,
            noise: try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0)
    }
}
