import Foundation
import TunaTensor

/// Data parallelism inside one training step: the batch is cut into `replicas` parts, each
/// copy of the network runs forward and backward on its part on its own core with
/// single-threaded BLAS, and the gradients are summed into the model's before one optimizer
/// update. For the small matrices of a step this beats one multi-threaded BLAS call per
/// product, which spends its time handing work between threads.
///
/// The copies share the model's weight tensors (read-only while they run) and own their
/// gradients and buffers. Dropout masks come from each copy's own generator, so a run is
/// reproducible for a given seed and replica count. Models with BatchNormalization train on
/// one replica (batch statistics would be per part).
extension Sequential {
    /// True when this fit splits batches; builds or refreshes the copies.
    func prepareReplicas(batchSize: Int) throws -> Bool {
        let count = min(replicas, batchSize / 2)
        // Splitting pays only when each part has real work (not the W1 network at batch 32).
        let flopsPerSample = layers.reduce(0) { $0 + $1.forwardFlopsPerSample }
        let worthIt = flopsPerSample * batchSize / max(count, 1) >= minimumFlopsPerReplica
        guard count > 1, worthIt, !layers.contains(where: { $0 is BatchNormalization }), let inputShape else {
            replicaModels = []
            return false
        }
        if replicaModels.count != count - 1 {
            replicaModels = try (1..<count).map { index in
                try Sequential(inputShape: inputShape, layers: layerSpecs, seed: seed &+ 0x9E37_79B9 &* UInt64(index))
            }
        }
        shareWeights()
        return true
    }

    /// Points every copy's weights at the model's (no copy: the storage is shared).
    func shareWeights() {
        let own = parameters
        for replica in replicaModels {
            for (mine, theirs) in zip(own, replica.parameters) { theirs.value = mine.value }
        }
    }

    /// One data-parallel optimisation step on the rows `rows` of `(x, y)`.
    func parallelStep(
        _ x: Tensor, _ y: Tensor, rows: ArraySlice<Int>, weights: [Float]?, loss: Loss, optimizer: any Optimizer
    ) throws -> (loss: Double, outputs: [(predictions: Tensor, targets: Tensor)]) {
        let models = Replicas(models: [self] + replicaModels)
        let total = rows.count
        let box = StepBox(count: models.models.count)
        DispatchQueue.concurrentPerform(iterations: models.models.count) { part in
            let model = models.models[part]
            let start = rows.startIndex + total * part / models.models.count
            let end = rows.startIndex + total * (part + 1) / models.models.count
            let slice = rows[start..<end]
            x.gatherRows(slice, into: &model.partBuffers.x)
            y.gatherRows(slice, into: &model.partBuffers.y)
            let partWeights = weights.map { all in slice.map { all[$0] } }
            do {
                let result = try partWeights.withOptionalPointer { pointer in
                    try model.forwardBackward(
                        model.partBuffers.x, model.partBuffers.y, sampleWeights: pointer, loss: loss, normalizer: total)
                }
                box.set(part, .success((result.loss, result.predictions, model.partBuffers.y)))
            } catch {
                box.set(part, .failure(error))
            }
        }
        var value = 0.0
        var outputs: [(predictions: Tensor, targets: Tensor)] = []
        for result in box.results {
            let (partLoss, predictions, targets) = try result.get()
            value += partLoss
            outputs.append((predictions, targets))
        }
        // Sum the copies' gradients into the model's.
        let own = parameters
        for replica in replicaModels {
            for (mine, theirs) in zip(own, replica.parameters) where mine.trainable {
                theirs.gradient.withUnsafeBufferPointer { g in
                    mine.gradient.withUnsafeMutableBufferPointer { sum in
                        BLAS.axpy(count: sum.count, alpha: 1, x: g.baseAddress!, y: sum.baseAddress!)
                    }
                }
            }
            // Let go of the shared weights so the update writes in place rather than copying.
            for theirs in replica.parameters { theirs.value = .empty }
        }
        value += applyRegularization()
        if value.isFinite { optimizer.apply(to: own, parts: models.models.count) }
        shareWeights()
        return (value, outputs)
    }
}

/// The copies handed to the parallel iterations: each iteration touches only its own copy.
private struct Replicas: @unchecked Sendable {
    let models: [Sequential]
}

/// Per-part results written from the parallel iterations (each index by one thread only).
private final class StepBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<(Double, Tensor, Tensor), Error>]

    init(count: Int) {
        storage = Array(repeating: .failure(NNError.notReady("a data-parallel part did not run")), count: count)
    }

    func set(_ index: Int, _ result: Result<(Double, Tensor, Tensor), Error>) {
        lock.withLock { storage[index] = result }
    }

    var results: [Result<(Double, Tensor, Tensor), Error>] { lock.withLock { storage } }
}
