/// What Conv1D's and Conv2D's settings share: the same keys in the same order, so that both
/// write themselves one way; they differ only in whether a window extent is one number (1D)
/// or a `[height, width]` pair (2D), which each reads itself.
public protocol ConvolutionConfig: KernelLayerConfig {
    associatedtype Extent: Codable & Hashable & Sendable
    var filters: Int { get }
    var kernelSize: Extent { get }
    var strides: Extent { get }
    var padding: Padding { get }
    var dilationRate: Extent { get }
    var activation: Activation { get }
    var name: String? { get }
}

enum ConvolutionCodingKeys: String, CodingKey, CaseIterable {
    case filters, strides, padding, activation, name
    case kernelSize = "kernel_size"
    case dilationRate = "dilation_rate"
}

extension ConvolutionConfig {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ConvolutionCodingKeys.self)
        try c.encode(filters, forKey: .filters)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encode(dilationRate, forKey: .dilationRate)
        try c.encode(activation, forKey: .activation)
        try weights.encode(to: encoder)
        try c.encodeIfPresent(name, forKey: .name)
    }

    /// The settings object, its keys checked against the convolution's and the weights'.
    static func settings(_ decoder: Decoder) throws -> KeyedDecodingContainer<ConvolutionCodingKeys> {
        try settings(decoder, ConvolutionCodingKeys.self, extra: KernelSettings.keys)
    }
}
