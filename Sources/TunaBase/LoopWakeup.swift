import Foundation

/// A pipe whose read end a polling loop watches beside its sockets, so that another thread can
/// wake it the moment it has something for the loop (a trial's result, a sampler's answer).
/// A signal writes only when none is pending, so a burst of them costs the loop one wake-up.
public final class LoopWakeup: @unchecked Sendable {
    /// What the loop polls.
    public let readEnd: Int32
    private let writeEnd: Int32
    private let lock = NSLock()
    private var signalled = false

    public struct PipeError: Error, CustomStringConvertible {
        public let errno: Int32
        public var description: String { "cannot create a pipe: errno \(errno)" }
    }

    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PipeError(errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        (readEnd, writeEnd) = (fds[0], fds[1])
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Called after the thing the loop should see is in place (under its own lock).
    public func signal() {
        guard lock.withLock({ () -> Bool in
            defer { signalled = true }
            return !signalled
        }) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Called by the loop before it looks for what was signalled: a signal after this wakes
    /// it again. The pipe is emptied before the flag drops; the other order could swallow the
    /// byte of a signal made in between and leave the flag up with nothing to read, silencing
    /// every later signal.
    public func clear() {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &sink, sink.count) > 0 {}
        lock.withLock { signalled = false }
    }
}
