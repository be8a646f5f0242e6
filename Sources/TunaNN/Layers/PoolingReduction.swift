/// What a pooling layer keeps of each window: the strongest response (max: a little
/// translation invariance) or the mean (average: smooths rather than selects, and divides by the
/// real, unpadded elements of a window under 'same' padding, as Keras does).
public enum PoolingOperation: String, Hashable, Sendable {
    case max, average
}

/// The reduction a pooling layer is generic over, so that one implementation serves Keras's
/// max and average pairs and each pair member is still its own type with its own kind name.
public protocol PoolingReduction: Sendable {
    static var operation: PoolingOperation { get }
    /// Puts settings of this reduction in their `LayerSpec` case (a generic type cannot name
    /// the case of one specialisation).
    static func box(_ config: Pooling1D<Self>.Config) -> LayerSpec
    static func box(_ config: Pooling2D<Self>.Config) -> LayerSpec
    static func box(_ config: GlobalPooling<Self, SequenceAxes>.Config) -> LayerSpec
    static func box(_ config: GlobalPooling<Self, ImageAxes>.Config) -> LayerSpec
}

public enum MaxReduction: PoolingReduction {
    public static var operation: PoolingOperation { .max }
    public static func box(_ config: Pooling1D<Self>.Config) -> LayerSpec { .maxPooling1d(config) }
    public static func box(_ config: Pooling2D<Self>.Config) -> LayerSpec { .maxPooling2d(config) }
    public static func box(_ config: GlobalPooling<Self, SequenceAxes>.Config) -> LayerSpec { .globalMaxPooling1d(config) }
    public static func box(_ config: GlobalPooling<Self, ImageAxes>.Config) -> LayerSpec { .globalMaxPooling2d(config) }
}

public enum AverageReduction: PoolingReduction {
    public static var operation: PoolingOperation { .average }
    public static func box(_ config: Pooling1D<Self>.Config) -> LayerSpec { .averagePooling1d(config) }
    public static func box(_ config: Pooling2D<Self>.Config) -> LayerSpec { .averagePooling2d(config) }
    public static func box(_ config: GlobalPooling<Self, SequenceAxes>.Config) -> LayerSpec { .globalAveragePooling1d(config) }
    public static func box(_ config: GlobalPooling<Self, ImageAxes>.Config) -> LayerSpec { .globalAveragePooling2d(config) }
}

/// Keras's names for each pooling layer.
public typealias MaxPooling1D = Pooling1D<MaxReduction>
public typealias MaxPooling2D = Pooling2D<MaxReduction>
public typealias AveragePooling1D = Pooling1D<AverageReduction>
public typealias AveragePooling2D = Pooling2D<AverageReduction>
public typealias GlobalMaxPooling1D = GlobalPooling<MaxReduction, SequenceAxes>
public typealias GlobalMaxPooling2D = GlobalPooling<MaxReduction, ImageAxes>
public typealias GlobalAveragePooling1D = GlobalPooling<AverageReduction, SequenceAxes>
public typealias GlobalAveragePooling2D = GlobalPooling<AverageReduction, ImageAxes>
