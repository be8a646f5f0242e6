/// The axes a convolution or windowed pooling slides its window along. Keras has a class per
/// rank (`Conv1D`, `Conv2D`, ...); here the rank is a type parameter, so one implementation
/// serves sequences, whose extents are one number, and images, whose extents are
/// `[height, width]` pairs, and a fix to one rank cannot miss the other.
public protocol WindowAxes: GlobalPoolingAxes {
    associatedtype Extent: Codable, Hashable, Sendable
    /// The extent `size` along every axis (`Conv2D(8, kernelSize: 3)` is 3x3).
    static func uniform(_ size: Int) -> Extent
    /// The extent's numbers, one per axis (for checking and for the kernel's shape).
    static func sizes(_ extent: Extent) -> [Int]
    /// Puts convolution settings of this rank in their `LayerSpec` case.
    static func box(_ config: Convolution<Self>.Config) -> LayerSpec
    /// Puts pooling settings of this rank in their `LayerSpec` case (via the reduction, which
    /// knows the rest of the case's name).
    static func box<R: PoolingReduction>(_ config: Pooling<R, Self>.Config) -> LayerSpec
}

extension SequenceAxes: WindowAxes {
    public static func uniform(_ size: Int) -> Int { size }
    public static func sizes(_ extent: Int) -> [Int] { [extent] }
    public static func box(_ config: Conv1D.Config) -> LayerSpec { .conv1d(config) }
    public static func box<R: PoolingReduction>(_ config: Pooling<R, Self>.Config) -> LayerSpec { R.box(config) }
}

extension ImageAxes: WindowAxes {
    public static func uniform(_ size: Int) -> [Int] { [size, size] }
    public static func sizes(_ extent: [Int]) -> [Int] { extent }
    public static func box(_ config: Conv2D.Config) -> LayerSpec { .conv2d(config) }
    public static func box<R: PoolingReduction>(_ config: Pooling<R, Self>.Config) -> LayerSpec { R.box(config) }
}

extension WindowAxes {
    /// How many numbers an extent holds.
    static var spatialRank: Int { rank - 1 }

    /// Sequences are images one row high to the engines, and only they may pad causally.
    static var isSequence: Bool { spatialRank == 1 }

    /// `sizes` as (rows, columns), the form the engines take.
    static func grid(_ sizes: [Int]) -> [Int] {
        Array(repeating: 1, count: max(0, 2 - sizes.count)) + sizes
    }

    /// What an extent may be written as, for error messages.
    static var extentForm: String { isSequence ? "one whole number" : "one whole number or a [height, width] pair" }

    /// Reads an extent written as Keras accepts it: one number for every axis or, for images,
    /// a `[height, width]` pair.
    static func extent(from decoder: Decoder, label: String) throws -> Extent {
        let single = try decoder.singleValueContainer()
        if let size = try? single.decode(Int.self) { return uniform(size) }
        guard let extent = try? single.decode(Extent.self), sizes(extent).count == spatialRank else {
            throw DecodingError.dataCorruptedError(in: single, debugDescription: "\(label) is \(extentForm)")
        }
        return extent
    }

    /// The extent at `key`, or nil when it is absent or null.
    static func decodeExtent<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Extent? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        return try extent(from: c.superDecoder(forKey: key), label: key.stringValue)
    }
}
