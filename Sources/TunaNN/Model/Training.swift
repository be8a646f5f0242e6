import TunaTensor

extension Sequential {
    /// Trains for `epochs` passes over `(x, y)`, as Keras's `fit`.
    ///
    /// - `validationSplit` holds out the last fraction of rows (before shuffling), as Keras does;
    ///   `validationData` takes precedence.
    /// - `classWeight` weights each row's loss by its class (class index, argmax of a one-hot
    ///   row, or the rounded binary target).
    /// - Training stops early when a callback asks, and always at once when the loss becomes NaN
    ///   or infinite (the reason is in `History.stopReason`; `TerminateOnNaN` is thus implied).
    @discardableResult
    public func fit(
        _ x: Tensor, _ y: Tensor, epochs: Int = 1, batchSize: Int = 32,
        validationData: (x: Tensor, y: Tensor)? = nil, validationSplit: Double = 0, shuffle: Bool = true,
        classWeight: [Int: Float]? = nil, sampleWeight: [Float]? = nil,
        callbacks: [any Callback] = [], verbose: Int = 0
    ) throws -> History {
        guard let loss, let optimizer else { throw NNError.notReady("the model must be compiled before fit") }
        guard epochs >= 0, batchSize > 0 else { throw NNError.invalidArgument("epochs must be >= 0 and batch_size > 0") }
        guard (0..<1).contains(validationSplit) else {
            throw NNError.invalidArgument("validation_split must be in [0, 1), got \(validationSplit)")
        }
        guard x.rank >= 2 else { throw NNError.shapeMismatch("x must have a batch axis and features, got \(x.shape)") }
        if !isBuilt { try build(inputShape: Array(x.shape.dropFirst())) }
        try checkFeatures(x, role: "x")
        try checkTargets(y, rows: x.shape[0], loss: loss, role: "y")
        if let sampleWeight, sampleWeight.count != x.shape[0] {
            throw NNError.shapeMismatch("sample_weight has \(sampleWeight.count) entries for \(x.shape[0]) rows")
        }

        var trainRows = x.shape[0]
        var validation = validationData
        if validation == nil && validationSplit > 0 {
            let held = Int((Double(trainRows) * validationSplit).rounded(.down))
            if held > 0 {
                validation = (x.rows(trainRows - held..<trainRows), y.rows(trainRows - held..<trainRows))
                trainRows -= held
            }
        }
        if let validation {
            try checkFeatures(validation.x, role: "validation x")
            try checkTargets(validation.y, rows: validation.x.shape[0], loss: loss, role: "validation y")
        }
        guard trainRows > 0 else { throw NNError.invalidData("no training rows") }
        let weights = try rowWeights(y, rows: trainRows, classWeight: classWeight, sampleWeight: sampleWeight, loss: loss)

        var allCallbacks = callbacks
        if verbose > 0 { allCallbacks.append(ProgressLogger(verbose: verbose)) }
        let batchLogs = allCallbacks.contains { $0.wantsBatchLogs }

        let steps = (trainRows + batchSize - 1) / batchSize
        let context = TrainingContext(model: self, epochs: epochs, stepsPerEpoch: steps, history: History())
        var metrics = try metricNames.map { try MetricName.make($0, loss: loss) }
        var order = Array(0..<trainRows)
        var xBatch = Tensor.empty, yBatch = Tensor.empty
        var weightBatch = [Float](repeating: 1, count: batchSize)

        let parallel = try prepareReplicas(batchSize: batchSize)
        let blasThreads = BLAS.threads
        if parallel { BLAS.setThreads(1) }
        defer { if parallel { BLAS.setThreads(blasThreads) } }
        allCallbacks.forEach { $0.onTrainBegin(context) }
        epochLoop: for epoch in 0..<epochs {
            allCallbacks.forEach { $0.onEpochBegin(epoch, context) }
            if shuffle { generator.shuffle(&order) }
            for i in metrics.indices { metrics[i].reset() }
            var lossSum = 0.0
            var seen = 0
            for step in 0..<steps {
                let slice = order[(step * batchSize)..<Swift.min((step + 1) * batchSize, trainRows)]
                if !parallel {
                    x.gatherRows(slice, into: &xBatch)
                    y.gatherRows(slice, into: &yBatch)
                }
                if let weights, !parallel {
                    for (k, row) in slice.enumerated() { weightBatch[k] = weights[row] }
                }
                let batchLoss: Double
                if parallel {
                    let parts = try parallelStep(x, y, rows: slice, weights: weights, loss: loss, optimizer: optimizer)
                    batchLoss = parts.loss
                    for part in parts.outputs {
                        for i in metrics.indices { metrics[i].update(predictions: part.predictions, targets: part.targets) }
                    }
                } else {
                    let (value, predictions) = try weightBatch.withUnsafeBufferPointer { w in
                        try trainStep(xBatch, yBatch, sampleWeights: weights == nil ? nil : w.baseAddress, loss: loss, optimizer: optimizer)
                    }
                    batchLoss = value
                    for i in metrics.indices { metrics[i].update(predictions: predictions, targets: yBatch) }
                }
                lossSum += batchLoss * Double(slice.count)
                seen += slice.count
                if batchLogs {
                    var logs = Logs()
                    logs["loss"] = batchLoss.isFinite ? lossSum / Double(seen) : batchLoss
                    for metric in metrics { logs[metric.name] = metric.result() }
                    allCallbacks.forEach { $0.onBatchEnd(step, logs: logs, context) }
                }
                if !batchLoss.isFinite {
                    context.stop("loss became \(batchLoss) at epoch \(epoch + 1), batch \(step + 1)")
                }
                if context.stopTraining { break epochLoop }
            }
            var logs = Logs()
            logs["loss"] = lossSum / Double(Swift.max(seen, 1))
            for metric in metrics { logs[metric.name] = metric.result() }
            if let validation {
                let validationLogs = try evaluate(validation.x, validation.y, batchSize: Swift.max(batchSize, 256))
                for name in validationLogs.names { logs["val_" + name] = validationLogs[name] }
            }
            context.history.append(logs)
            allCallbacks.forEach { $0.onEpochEnd(epoch, logs: logs, context) }
            if context.stopTraining { break }
        }
        allCallbacks.forEach { $0.onTrainEnd(context) }
        var history = context.history
        history.stopReason = context.stopReason
        return history
    }

    /// One optimisation step on a batch; returns the batch loss (with weight penalties) and the
    /// predictions (valid until the next forward pass).
    public func trainStep(
        _ x: Tensor, _ y: Tensor, sampleWeights: UnsafePointer<Float>? = nil,
        loss: Loss, optimizer: any Optimizer
    ) throws -> (loss: Double, predictions: Tensor) {
        let (value, predictions) = try forwardBackward(x, y, sampleWeights: sampleWeights, loss: loss)
        let total = value + applyRegularization()
        if total.isFinite { optimizer.apply(to: parameters) }
        return (total, predictions)
    }

    /// The loss on a batch and every parameter's gradient (without weight penalties).
    /// `normalizer` divides the loss instead of the batch's own size (data-parallel parts).
    func forwardBackward(
        _ x: Tensor, _ y: Tensor, sampleWeights: UnsafePointer<Float>?, loss: Loss, normalizer: Int? = nil
    ) throws -> (loss: Double, predictions: Tensor) {
        let predictions = try forward(x, training: true)
        let last = layers[layers.count - 1] as? any ActivatedLayer
        let fused = loss.fusableActivation != nil && last?.activation == loss.fusableActivation
        let value = try loss.compute(
            predictions: predictions, targets: y, sampleWeights: sampleWeights, gradient: &lossGradient, fused: fused,
            normalizer: normalizer)
        var gradient: Tensor? = lossGradient
        for index in stride(from: layers.count - 1, through: 0, by: -1) {
            guard let g = gradient else { break }
            let needsInput = index > 0
            if index == layers.count - 1, fused, let last {
                gradient = try last.backward(preActivationGradient: g, needsInputGradient: needsInput)
            } else {
                gradient = try layers[index].backward(g, needsInputGradient: needsInput)
            }
        }
        return (value, predictions)
    }

    /// Adds every weight penalty's gradient and returns the penalties' sum.
    func applyRegularization() -> Double {
        var penalty = 0.0
        for parameter in parameters {
            if let regularizer = parameter.regularizer {
                penalty += regularizer.apply(value: parameter.value, gradient: &parameter.gradient)
            }
        }
        return penalty
    }

    /// Per-row loss weights from class weights and sample weights (nil when all are 1).
    private func rowWeights(_ y: Tensor, rows: Int, classWeight: [Int: Float]?, sampleWeight: [Float]?, loss: Loss) throws -> [Float]? {
        guard classWeight != nil || sampleWeight != nil else { return nil }
        var weights = sampleWeight.map { Array($0.prefix(rows)) } ?? [Float](repeating: 1, count: rows)
        if let classWeight {
            let width = y.rowLength
            let classes: [Int] = y.withUnsafeBufferPointer { p in
                (0..<rows).map { r in
                    if loss.usesSparseLabels || width == 1 { return Int(p[r * width].rounded()) }
                    return argmax(p, offset: r * width, count: width)
                }
            }
            for (r, c) in classes.enumerated() { weights[r] *= classWeight[c] ?? 1 }
        }
        return weights
    }
}
