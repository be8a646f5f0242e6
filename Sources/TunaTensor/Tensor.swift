/// A dense, row-major (C order) array of `Float` with value semantics.
///
/// Storage is copied on write, so a `Tensor` behaves like a Swift array; the engine keeps
/// training steps allocation-free by writing into tensors it owns uniquely (see `reuse(shape:)`).
/// The storage may be larger than `count` so that a buffer sized for a full batch also
/// serves the smaller last batch of an epoch without reallocating.
public struct Tensor: @unchecked Sendable {
    /// The extent of each axis; the first axis is the batch axis wherever a batch exists.
    public private(set) var shape: [Int]
    /// The number of elements: the product of `shape`.
    public private(set) var count: Int
    @usableFromInline var storage: TensorStorage

    /// A shared tensor with no elements: the cheap placeholder for a buffer not yet sized.
    public static let empty = Tensor(zeros: [0])

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = TensorStorage(capacity: count)
        storage.pointer.initialize(repeating: 0, count: Swift.max(count, 0))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(zeros: shape)
        storage.pointer.update(repeating: value, count: count)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public init(_ values: [Float], shape: [Int]) {
        let n = shape.reduce(1, *)
        precondition(n == values.count, "shape \(shape) holds \(n) values, got \(values.count)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: n) }
        }
    }

    /// A one-dimensional tensor.
    public init(_ values: [Float]) {
        self.init(values, shape: [values.count])
    }

    /// A tensor whose elements are produced by `body(flatIndex)`.
    public init(shape: [Int], _ body: (Int) -> Float) {
        self.init(zeros: shape)
        for i in 0..<count { storage.pointer[i] = body(i) }
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The elements as an array (row-major).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Elements per row when the tensor is read as `(shape[0], rest)`.
    public var rowLength: Int { shape.isEmpty ? 1 : (shape[0] == 0 ? 0 : count / shape[0]) }

    /// Reads the elements in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Writes the elements in place, copying the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// The element at a flat (row-major) index.
    @inlinable
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    /// The element at a multi-dimensional index.
    public subscript(_ indices: Int...) -> Float {
        get { self[flat: flatIndex(indices)] }
        set { self[flat: flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "index rank \(indices.count) for shape \(shape)")
        var flat = 0
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[i], "index \(indices) out of range for shape \(shape)")
            flat = flat * shape[i] + index
        }
        return flat
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(capacity: Swift.max(count, 1))
            copy.pointer.update(from: storage.pointer, count: count)
            storage = copy
        }
    }

    /// Gives the tensor a new shape, reusing the storage when it is uniquely owned and large
    /// enough; the contents are unspecified afterwards. This is how layers keep their
    /// per-step buffers without allocating.
    public mutating func reuse(shape newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n <= storage.capacity && isKnownUniquelyReferenced(&storage) {
            shape = newShape
            count = n
        } else {
            self = Tensor(zeros: newShape)
        }
    }

    /// The same elements under another shape with the same count (`-1` infers one axis).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[unknown] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var copy = self
        copy.shape = resolved
        return copy
    }

    /// Rows `range` of the first axis, copied.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= (shape.first ?? 0), "rows \(range) of \(shape)")
        var newShape = shape
        newShape[0] = range.count
        let out = Tensor(zeros: newShape)
        let width = rowLength
        out.storage.pointer.update(from: storage.pointer + range.lowerBound * width, count: range.count * width)
        return out
    }

    /// The rows at `indices` of the first axis, gathered into a new tensor.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        var out = Tensor(zeros: [indices.count] + shape.dropFirst())
        gatherRows(indices[...], into: &out)
        return out
    }

    /// Gathers rows into `out`, reusing its storage (used for mini-batches).
    public func gatherRows(_ indices: ArraySlice<Int>, into out: inout Tensor) {
        let width = rowLength
        out.reuse(shape: [indices.count] + shape.dropFirst())
        let src = storage.pointer
        out.withUnsafeMutableBufferPointer { dst in
            guard let base = dst.baseAddress else { return }
            for (k, row) in indices.enumerated() {
                precondition(row >= 0 && row < shape[0], "row \(row) out of range for shape \(shape)")
                (base + k * width).update(from: src + row * width, count: width)
            }
        }
    }

    /// Concatenates tensors along the first axis.
    public static func concatenateRows(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        let tail = Array(first.shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == tail }, "row shapes differ")
        let out = Tensor(zeros: [parts.reduce(0) { $0 + $1.shape[0] }] + tail)
        var offset = 0
        for part in parts {
            (out.storage.pointer + offset).update(from: part.storage.pointer, count: part.count)
            offset += part.count
        }
        return out
    }

    /// True when every element is finite.
    public var isFinite: Bool {
        withUnsafeBufferPointer { buffer in buffer.allSatisfy { $0.isFinite } }
    }
}

extension Tensor: Equatable {
    /// Tensors are equal when shapes and every element are equal (bitwise for non-NaN values).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}

/// Aligned heap storage for tensor elements.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let capacity: Int

    @usableFromInline
    init(capacity: Int) {
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: Swift.max(capacity, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
