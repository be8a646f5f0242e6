import TunaTensor

/// Mean absolute or mean squared error over all outputs.
public struct MeanError: Metric {
    public let squared: Bool
    public var name: String { squared ? "mse" : "mae" }
    public var higherIsBetter: Bool { false }
    private var sum = 0.0
    private var count = 0.0

    public init(squared: Bool) { self.squared = squared }

    public mutating func reset() { sum = 0; count = 0 }

    public mutating func update(predictions: Tensor, targets: Tensor) {
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { t in
                let n = Swift.min(p.count, t.count)
                for i in 0..<n {
                    let e = Double(p[i] - t[i])
                    sum += squared ? e * e : abs(e)
                }
                count += Double(n)
            }
        }
    }

    public func result() -> Double { count == 0 ? 0 : sum / count }
}
