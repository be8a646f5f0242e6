import TunaTensor

/// Runs a recurrent layer over the sequence in both directions and merges the two (Keras's
/// `Bidirectional`): each step's output then knows what came before and after it. With
/// `return_sequences` the backward run's outputs are put back in time order before merging.
public final class Bidirectional: Layer {
    /// How the two directions' outputs combine (Keras's `merge_mode`).
    public enum MergeMode: String, Hashable, Sendable, Codable, CaseIterable {
        case concat, sum, mul, ave
    }

    public struct Config: Hashable, Sendable {
        /// The recurrent layer to run both ways (`lstm`, `gru` or `simple_rnn`).
        public var layer: LayerSpec
        public var mergeMode: MergeMode
        public var name: String?
        public init(layer: LayerSpec, mergeMode: MergeMode = .concat, name: String? = nil) {
            self.layer = layer
            self.mergeMode = mergeMode
            self.name = name
        }
    }

    public let config: Config
    public var name: String
    private var forwardLayer: (any Layer)?
    private var backwardLayer: (any Layer)?
    private var returnSequences = false
    private var units = 0
    private var steps = 0
    private var forwardOutput = Tensor.empty
    private var backwardOutput = Tensor.empty   // in time order
    private var output = Tensor.empty
    private var gradient = Tensor.empty
    private var forwardGradient = Tensor.empty
    private var reversedGradient = Tensor.empty
    private var inputGradient = Tensor.empty

    public init(_ config: Config) {
        self.config = config
        self.name = config.name ?? "bidirectional"
    }

    public convenience init(_ layer: any Layer, mergeMode: MergeMode = .concat, name: String? = nil) {
        self.init(Config(layer: layer.spec, mergeMode: mergeMode, name: name))
    }

    public var spec: LayerSpec { config.spec }
    public var parameters: [Parameter] { (forwardLayer?.parameters ?? []) + (backwardLayer?.parameters ?? []) }
    public var forwardFlopsPerSample: Int { (forwardLayer?.forwardFlopsPerSample ?? 0) + (backwardLayer?.forwardFlopsPerSample ?? 0) }

    public func build(inputShape: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard let wrapped = config.layer.config as? any RecurrentLayerConfig else {
            throw NNError.invalidArgument(
                "layer '\(name)' wraps a recurrent layer (\(listed(LayerRegistry.recurrentNames))), got '\(config.layer.kind)'")
        }
        let inner = wrapped.recurrent
        let make: (RecurrentConfig) -> any Layer = { type(of: wrapped).makeLayer($0) }
        var backwardConfig = inner
        backwardConfig.goBackwards.toggle()
        let forwardLayer = make(inner), backwardLayer = make(backwardConfig)
        let shape = try forwardLayer.build(inputShape: inputShape, generator: &generator)
        _ = try backwardLayer.build(inputShape: inputShape, generator: &generator)
        // One layer holds both runs' weights: their names must differ (model files key on them).
        for parameter in forwardLayer.parameters { parameter.name = "forward/" + parameter.name }
        for parameter in backwardLayer.parameters { parameter.name = "backward/" + parameter.name }
        self.forwardLayer = forwardLayer
        self.backwardLayer = backwardLayer
        returnSequences = inner.returnSequences
        units = inner.units
        steps = inputShape[0]
        let merged = config.mergeMode == .concat ? 2 * units : units
        return Array(shape.dropLast()) + [merged]
    }

    /// Reverses the time axis of `(batch, steps, units)` into `target`.
    private func reverseSteps(_ source: Tensor, into target: inout Tensor) {
        let batch = source.shape[0], t = steps, u = units
        target.reuse(shape: source.shape)
        source.withUnsafeBufferPointer { ps in
            target.withUnsafeMutableBufferPointer { pt in
                for r in 0..<batch {
                    for s in 0..<t {
                        (pt.baseAddress! + (r * t + s) * u).update(from: ps.baseAddress! + (r * t + t - 1 - s) * u, count: u)
                    }
                }
            }
        }
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try forward(input, mask: nil, training: training)
    }

    public func forward(_ input: Tensor, mask: SequenceMask?, training: Bool) throws -> Tensor {
        guard let forwardLayer, let backwardLayer else { throw NNError.notReady("layer '\(name)' is not built") }
        forwardOutput = try forwardLayer.forward(input, mask: mask, training: training)
        let backward = try backwardLayer.forward(input, mask: mask, training: training)
        if returnSequences { reverseSteps(backward, into: &backwardOutput) } else { backwardOutput = backward }
        let rows = forwardOutput.count / units, u = units
        output.reuse(shape: config.mergeMode == .concat ? Array(forwardOutput.shape.dropLast()) + [2 * u] : forwardOutput.shape)
        forwardOutput.withUnsafeBufferPointer { pf in
            backwardOutput.withUnsafeBufferPointer { pb in
                output.withUnsafeMutableBufferPointer { po in
                    for r in 0..<rows {
                        let f = pf.baseAddress! + r * u, b = pb.baseAddress! + r * u
                        switch config.mergeMode {
                        case .concat:
                            (po.baseAddress! + 2 * r * u).update(from: f, count: u)
                            (po.baseAddress! + (2 * r + 1) * u).update(from: b, count: u)
                        case .sum: for j in 0..<u { po[r * u + j] = f[j] + b[j] }
                        case .mul: for j in 0..<u { po[r * u + j] = f[j] * b[j] }
                        case .ave: for j in 0..<u { po[r * u + j] = 0.5 * (f[j] + b[j]) }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let forwardLayer, let backwardLayer else { throw NNError.notReady("layer '\(name)' is not built") }
        guard outputGradient.shape == output.shape, forwardOutput.count > 0 else {
            throw NNError.shapeMismatch("layer '\(name)': gradient \(outputGradient.shape) does not match output \(output.shape)")
        }
        let rows = forwardOutput.count / units, u = units
        forwardGradient.reuse(shape: forwardOutput.shape)
        gradient.reuse(shape: forwardOutput.shape)   // the backward run's, in time order
        outputGradient.withUnsafeBufferPointer { pdy in
            forwardOutput.withUnsafeBufferPointer { pf in
                backwardOutput.withUnsafeBufferPointer { pb in
                    forwardGradient.withUnsafeMutableBufferPointer { df in
                        gradient.withUnsafeMutableBufferPointer { db in
                            for r in 0..<rows {
                                for j in 0..<u {
                                    switch config.mergeMode {
                                    case .concat:
                                        df[r * u + j] = pdy[2 * r * u + j]
                                        db[r * u + j] = pdy[(2 * r + 1) * u + j]
                                    case .sum:
                                        df[r * u + j] = pdy[r * u + j]; db[r * u + j] = pdy[r * u + j]
                                    case .mul:
                                        df[r * u + j] = pdy[r * u + j] * pb[r * u + j]; db[r * u + j] = pdy[r * u + j] * pf[r * u + j]
                                    case .ave:
                                        df[r * u + j] = 0.5 * pdy[r * u + j]; db[r * u + j] = 0.5 * pdy[r * u + j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if returnSequences { reverseSteps(gradient, into: &reversedGradient) }
        let backwardGradient = returnSequences ? reversedGradient : gradient
        let dxForward = try forwardLayer.backward(forwardGradient, needsInputGradient: needsInputGradient)
        let dxBackward = try backwardLayer.backward(backwardGradient, needsInputGradient: needsInputGradient)
        guard needsInputGradient, let dxForward, let dxBackward else { return nil }
        inputGradient.reuse(shape: dxForward.shape)
        dxForward.withUnsafeBufferPointer { a in
            dxBackward.withUnsafeBufferPointer { b in
                inputGradient.withUnsafeMutableBufferPointer { c in
                    for k in c.indices { c[k] = a[k] + b[k] }
                }
            }
        }
        return inputGradient
    }

    public func outputMask(_ inputMask: SequenceMask?, input: Tensor) -> SequenceMask? {
        returnSequences ? inputMask : nil
    }
}

extension Bidirectional.Config: LayerConfig {
    public static var kind: String { "bidirectional" }
    public func makeLayer() -> any Layer { Bidirectional(self) }
    public var spec: LayerSpec { .bidirectional(self) }

    /// In the order files are written: Swift's synthesised `encode(to:)` follows it.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case layer
        case mergeMode = "merge_mode"
        case name
    }

    /// Decodes `{"layer": {"lstm": {"units": 32}}, "merge_mode": "concat"}`.
    public init(from decoder: Decoder) throws {
        let c = try Self.settings(decoder, CodingKeys.self)
        self.init(
            layer: try c.decode(LayerSpec.self, forKey: .layer),
            mergeMode: try c.decodeIfPresent(Bidirectional.MergeMode.self, forKey: .mergeMode) ?? .concat,
            name: try c.decodeIfPresent(String.self, forKey: .name))
        guard layer.config is any RecurrentLayerConfig else {
            throw DecodingError.dataCorruptedError(
                forKey: .layer, in: c,
                debugDescription: "bidirectional wraps \(listed(LayerRegistry.recurrentNames)), got \(layer.kind)")
        }
    }
}
