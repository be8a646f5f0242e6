/// Floats a layer keeps from its forward pass to its backward pass, grown as needed and never
/// shrunk, so that loops over time steps address them through plain pointers instead of a
/// `withUnsafe...` closure per buffer (and no copy-on-write check can sneak in).
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private var capacity: Int

    init() {
        capacity = 1
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: 0)
    }

    /// Room for `count` floats (the old contents are not kept when it grows).
    @discardableResult
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }
        return pointer
    }

    /// Room for `count` floats, all zero.
    @discardableResult
    func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = reserve(count)
        p.update(repeating: 0, count: count)
        return p
    }

    deinit { pointer.deallocate() }
}
