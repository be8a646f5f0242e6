import Foundation

/// One thread that runs the closures given to it, one at a time, in the order given.
///
/// Why a thread and not a dispatch queue: the work it runs (a worker's trials, the scheduler's
/// sampler asks) can take seconds, needs a large stack, and is polled for by a loop that must
/// never share its thread; a named thread of its own shows up as such in `top` and in a
/// profile. The thread starts with the first closure and ends after `stop`.
public final class SerialThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var stopping = false
    private var started = false
    private let name: String
    private let stackSize: Int

    public init(name: String, stackSize: Int = 8 << 20) {
        self.name = name
        self.stackSize = stackSize
    }

    /// Queues `work`; nothing runs after `stop`.
    public func enqueue(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            return
        }
        queue.append(work)
        if !started {
            started = true
            // The thread holds this object until it ends.
            let thread = Thread { [self] in serve() }
            thread.name = name
            thread.stackSize = stackSize
            thread.start()
        }
        condition.unlock()
        // Signalled after unlocking, so the woken thread does not block on the lock at once.
        condition.signal()
    }

    /// Ends the thread once the closure it runs (if any) returns; queued ones are dropped.
    public func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.unlock()
        condition.broadcast()
    }

    private func serve() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let work = queue.removeFirst()
            condition.unlock()
            work()
        }
    }
}
