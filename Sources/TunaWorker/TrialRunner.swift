import Foundation

/// Runs a worker's trials one after another on one long-lived thread.
///
/// Why not a thread per trial: with trials of a millisecond, creating and reaping a thread
/// cost more than the trial, and a worker holding several trials would hand each over with a
/// wake-up of its own. Here the held trials wait in a queue that the thread works through
/// without stopping, while the worker's loop keeps heartbeats and reports flowing.
final class TrialRunner: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(job: TrialJob, work: @Sendable () -> Void)] = []
    private var stopping = false
    private var started = false

    /// Queues a trial; `work` runs on the runner's thread unless the job is abandoned first.
    func enqueue(_ job: TrialJob, _ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append((job, work))
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            // Network trials recurse through layers and hold large frames.
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.unlock()
        // Signalled after unlocking, so the woken thread does not block on the lock at once.
        condition.signal()
    }

    /// Ends the thread once the trial it runs (if any) returns; queued trials are dropped.
    func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let next = queue.removeFirst()
            condition.unlock()
            if next.job.isAbandoned {
                next.job.finish(nil)
            } else {
                next.work()
            }
        }
    }
}

/// The read end of a pipe that wakes the worker's loop from its poll when a trial has
/// something to send. A trial writes only when no wake-up is pending already, so a burst of
/// short trials costs one wake-up, not one each.
final class LoopWakeup: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let lock = NSLock()
    private var signalled = false

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Worker.WorkerError(description: "cannot create a pipe: errno \(errno)") }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        (readEnd, writeEnd) = (fds[0], fds[1])
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        guard lock.withLock({ () -> Bool in
            defer { signalled = true }
            return !signalled
        }) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Called by the loop before it looks at the trials' outboxes: a trial that posts after
    /// this wakes the loop again.
    /// The pipe is emptied before the flag drops: the other order could swallow the byte of a
    /// signal made in between and leave the flag up with nothing to read, silencing every
    /// later signal.
    func clear() {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &sink, sink.count) > 0 {}
        lock.withLock { signalled = false }
    }
}
