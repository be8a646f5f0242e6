import TunaTensor

/// The engine of the global pooling layers: reduces every position of a sample to one value per
/// channel, giving `(batch, channels)`.
final class GlobalPoolingEngine {
    let kind: PoolingOperation
    var inputShape: [Int] = []
    private var output = Tensor.empty
    private var inputGradient = Tensor.empty
    private var winners: [Int] = []
    private var trainingBatch: Int?
    /// Real steps per sample when a padding mask came with the batch (1D only).
    private var mask: SequenceMask?

    init(kind: PoolingOperation) { self.kind = kind }

    func build(inputShape: [Int], rank: Int, layer: String) throws -> [Int] {
        try checkWindowInput(inputShape, rank: rank, layer: layer)
        self.inputShape = inputShape
        return [inputShape[rank - 1]]
    }

    /// Pools every position, or with a padding mask (sequences) only the real steps; a
    /// sequence without any real step pools to zeros.
    func forward(_ x: Tensor, mask: SequenceMask? = nil, training: Bool, layer: String) throws -> Tensor {
        guard let c = inputShape.last else { throw NNError.notReady("layer '\(layer)' is not built") }
        try checkWindowBatch(x, expected: inputShape, layer: layer)
        let batch = x.shape[0], positions = inputShape.dropLast().reduce(1, *)
        if let mask, mask.batch != batch || mask.steps != positions {
            throw NNError.shapeMismatch("layer '\(layer)': the padding mask is (\(mask.batch), \(mask.steps)) for input \(x.shape)")
        }
        self.mask = mask
        if let mask { return poolReal(x, mask: mask, training: training) }
        output.reuse(shape: [batch, c])
        if kind == .max && winners.count < batch * c { winners = [Int](repeating: 0, count: batch * c) }
        let isMax = kind == .max
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { po in
                winners.withUnsafeMutableBufferPointer { pw in
                    guard let input = px.baseAddress, let out = po.baseAddress else { return }
                    for b in 0..<batch {
                        let o = out + b * c, sample = input + b * positions * c
                        if isMax, let win = pw.baseAddress {
                            let a = win + b * c
                            for k in 0..<c { o[k] = sample[k]; a[k] = b * positions * c + k }
                            for p in 1..<Swift.max(positions, 1) {
                                let row = sample + p * c
                                for k in 0..<c where row[k] > o[k] { o[k] = row[k]; a[k] = (b * positions + p) * c + k }
                            }
                        } else {
                            o.update(repeating: 0, count: c)
                            for p in 0..<positions {
                                let row = sample + p * c
                                for k in 0..<c { o[k] += row[k] }
                            }
                            let scale = 1 / Float(positions)
                            for k in 0..<c { o[k] *= scale }
                        }
                    }
                }
            }
        }
        trainingBatch = training ? batch : nil
        return output
    }

    func backward(_ dy: Tensor, needsInputGradient: Bool, layer: String) throws -> Tensor? {
        guard let c = inputShape.last else { throw NNError.notReady("layer '\(layer)' is not built") }
        guard let batch = trainingBatch, dy.shape == [batch, c] else {
            throw NNError.shapeMismatch(
                "layer '\(layer)': gradient \(dy.shape) does not match output \(output.shape) (backward without a training forward?)")
        }
        trainingBatch = nil
        guard needsInputGradient else { return nil }
        let positions = inputShape.dropLast().reduce(1, *)
        inputGradient.reuse(shape: [batch] + inputShape)
        let isMax = kind == .max
        if let mask { return realGradient(dy, mask: mask, positions: positions, channels: c) }
        dy.withUnsafeBufferPointer { pdy in
            inputGradient.withUnsafeMutableBufferPointer { pdx in
                winners.withUnsafeBufferPointer { pw in
                    guard let d = pdy.baseAddress, let dx = pdx.baseAddress else { return }
                    if isMax {
                        dx.update(repeating: 0, count: pdx.count)
                        guard let win = pw.baseAddress else { return }
                        for i in 0..<(batch * c) { dx[win[i]] += d[i] }
                        return
                    }
                    let scale = 1 / Float(positions)
                    for b in 0..<batch {
                        for p in 0..<positions {
                            let row = dx + (b * positions + p) * c
                            for k in 0..<c { row[k] = d[b * c + k] * scale }
                        }
                    }
                }
            }
        }
        return inputGradient
    }

    /// Pooling over the real steps of each sequence; max remembers its winners (−1: none).
    private func poolReal(_ x: Tensor, mask: SequenceMask, training: Bool) -> Tensor {
        let batch = mask.batch, steps = mask.steps, c = inputShape.last ?? 0
        output.reuse(shape: [batch, c])
        if kind == .max { winners = [Int](repeating: -1, count: batch * c) }
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { po in
                for b in 0..<batch {
                    let o = po.baseAddress! + b * c
                    o.update(repeating: 0, count: c)
                    var count = 0
                    for p in 0..<steps where mask.isReal(b, p) {
                        let offset = (b * steps + p) * c
                        if kind == .max {
                            for k in 0..<c where count == 0 || px[offset + k] > o[k] { o[k] = px[offset + k]; winners[b * c + k] = offset + k }
                        } else {
                            for k in 0..<c { o[k] += px[offset + k] }
                        }
                        count += 1
                    }
                    if kind == .average && count > 0 {
                        let scale = 1 / Float(count)
                        for k in 0..<c { o[k] *= scale }
                    }
                }
            }
        }
        trainingBatch = training ? batch : nil
        return output
    }

    private func realGradient(_ dy: Tensor, mask: SequenceMask, positions: Int, channels c: Int) -> Tensor {
        let batch = mask.batch, lengths = mask.lengths
        inputGradient.withUnsafeMutableBufferPointer { dx in
            dx.update(repeating: 0)
            dy.withUnsafeBufferPointer { d in
                if kind == .max {
                    for i in 0..<(batch * c) where winners[i] >= 0 { dx[winners[i]] += d[i] }
                    return
                }
                for b in 0..<batch where lengths[b] > 0 {
                    let scale = 1 / Float(lengths[b])
                    for p in 0..<positions where mask.isReal(b, p) {
                        for k in 0..<c { dx[(b * positions + p) * c + k] = d[b * c + k] * scale }
                    }
                }
            }
        }
        return inputGradient
    }
}
