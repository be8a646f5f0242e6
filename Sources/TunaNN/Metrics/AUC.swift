import TunaTensor

/// Area under the ROC curve, computed exactly from the ranks of the scores (ties counted half),
/// rather than by Keras's 200-threshold approximation. Each output element is one binary case.
public struct AUC: Metric {
    public let name = "auc"
    private var scores: [Float] = []
    private var labels: [Bool] = []

    public init() {}

    public mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
    }

    public mutating func update(predictions: Tensor, targets: Tensor) {
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { t in
                for i in 0..<Swift.min(p.count, t.count) {
                    scores.append(p[i])
                    labels.append(t[i] > 0.5)
                }
            }
        }
    }

    public func result() -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let positives = Double(labels.lazy.filter { $0 }.count)
        let negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return 0 }
        // Mann-Whitney U: sum of the (average, for ties) ranks of the positives.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }
}
