extension Tensor {
    /// Applies `transform` to every element, returning a new tensor.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = transform(buffer[i]) }
        }
        return out
    }

    /// The sum of all elements, accumulated in double precision.
    public func sum() -> Double {
        withUnsafeBufferPointer { buffer in buffer.reduce(0.0) { $0 + Double($1) } }
    }

    /// The mean of all elements.
    public func mean() -> Double { count == 0 ? 0 : sum() / Double(count) }

    /// The index of the largest element in each row of a `(rows, columns)` view.
    public func argmaxRows() -> [Int] {
        let width = rowLength
        let rows = width == 0 ? 0 : count / width
        return withUnsafeBufferPointer { p in
            (0..<rows).map { r in
                var best = 0
                var bestValue = -Float.infinity
                for j in 0..<width where p[r * width + j] > bestValue {
                    bestValue = p[r * width + j]
                    best = j
                }
                return best
            }
        }
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { zip(lhs, rhs, +) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { zip(lhs, rhs, -) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { zip(lhs, rhs, *) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }

    @inlinable
    static func zip(_ lhs: Tensor, _ rhs: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        precondition(lhs.shape == rhs.shape, "shapes differ: \(lhs.shape) and \(rhs.shape)")
        var out = lhs
        rhs.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { a in
                for i in a.indices { a[i] = op(a[i], b[i]) }
            }
        }
        return out
    }

    /// The largest absolute difference to another tensor of the same shape.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes differ: \(shape) and \(other.shape)")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var worst: Float = 0
                for i in a.indices { worst = Swift.max(worst, abs(a[i] - b[i])) }
                return worst
            }
        }
    }
}
