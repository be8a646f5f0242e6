import TunaTensor

/// Layers by name: freezing some for fine-tuning, and reading one's outputs as features
/// (Keras's `layer.trainable = False` and `Model(inputs, layer.output)`).
extension Sequential {
    /// The index of the layer called `name`, or an error listing the names there are.
    public func layerIndex(named name: String) throws -> Int {
        guard let index = layers.firstIndex(where: { $0.name == name }) else {
            throw NNError.unknownName(kind: "layer", name: name, known: layers.map(\.name))
        }
        return index
    }

    /// Keeps the weights of the named layers as they are in later training.
    public func freeze(layersNamed names: [String]) throws {
        let indices = try names.map(layerIndex(named:))
        for index in indices {
            for parameter in layers[index].parameters { parameter.trainable = false }
        }
    }

    /// The outputs of the layer called `name` for `x` (inference mode), `batchSize` rows at a
    /// time, flattened to one row per example.
    public func outputs(ofLayer name: String, for x: Tensor, batchSize: Int = 256) throws -> Tensor {
        if !isBuilt { try build(inputShape: Array(x.shape.dropFirst())) }
        let last = try layerIndex(named: name)
        let rows = x.shape.first ?? 0
        var parts: [Float] = []
        var width = 0
        var batch = Tensor.empty
        var start = 0
        while start < rows {
            let end = Swift.min(start + Swift.max(batchSize, 1), rows)
            x.gatherRows(Array(start..<end)[...], into: &batch)
            var h = batch
            var mask: SequenceMask?
            for layer in layers[...last] {
                let input = h
                h = try layer.forward(input, mask: mask, training: false)
                mask = layer.outputMask(mask, input: input)
            }
            width = h.count / Swift.max(end - start, 1)
            parts.append(contentsOf: h.scalars)
            start = end
        }
        return Tensor(parts, shape: [rows, width])
    }
}
