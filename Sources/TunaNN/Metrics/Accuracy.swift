import TunaTensor

/// The fraction of correct predictions (categorical, sparse categorical or binary).
public struct Accuracy: Metric {
    public let kind: AccuracyKind
    public let name: String
    private var correct = 0.0
    private var total = 0.0

    public init(kind: AccuracyKind, name: String = "accuracy") {
        self.kind = kind
        self.name = name
    }

    public mutating func reset() { correct = 0; total = 0 }

    public mutating func update(predictions: Tensor, targets: Tensor) {
        let rows = predictions.shape.first ?? 0
        guard rows > 0 else { return }
        let width = predictions.count / rows
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { t in
                switch kind {
                case .binary(let threshold):
                    for i in 0..<Swift.min(p.count, t.count) {
                        if (p[i] > threshold) == (t[i] > 0.5) { correct += 1 }
                    }
                    total += Double(p.count)
                case .sparseCategorical, .categorical:
                    for r in 0..<rows {
                        let predicted = argmax(p, offset: r * width, count: width)
                        let actual = kind.isSparse ? Int(t[r]) : argmax(t, offset: r * width, count: width)
                        if predicted == actual { correct += 1 }
                    }
                    total += Double(rows)
                }
            }
        }
    }

    public func result() -> Double { total == 0 ? 0 : correct / total }
}

extension AccuracyKind {
    var isSparse: Bool {
        if case .sparseCategorical = self { return true }
        return false
    }
}

@inline(__always)
func argmax(_ p: UnsafeBufferPointer<Float>, offset: Int, count: Int) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for j in 0..<count where p[offset + j] > bestValue {
        bestValue = p[offset + j]
        best = j
    }
    return best
}
