import Foundation
import TunaSearch

/// Where the scheduler's slow asks run: one thread beside the dispatch loop.
///
/// A Gaussian process takes 6–20 ms to propose a point (a second on a loaded machine); asked on
/// the loop's thread it stalled every heartbeat, result and hand-out meanwhile. The loop now
/// hands this thread a snapshot (a `SamplingContext`, plain values) and keeps serving; the
/// proposals come back through a lock-protected outbox, and a byte written to a pipe wakes the
/// loop's poll at once. The thread never touches the scheduler's state: a job's ask closes over
/// the sampler (an immutable value) and the context, and a finished job carries only values back,
/// tagged with the study's serial and generation so the loop can discard answers for a study
/// that was stopped, finished or replaced meanwhile.
final class SamplerThread: @unchecked Sendable {
    struct Job {
        var study: Int
        var generation: Int
        /// The sampler asked with the snapshot, for the job's points (single- or multi-objective).
        var ask: () throws -> [Parameters]
    }

    struct Answer {
        var study: Int
        var generation: Int
        var proposals: [Parameters]
        /// Set when the sampler threw before proposing `count` points (proposals holds the
        /// ones it made).
        var error: (any Error)?
        var seconds: Double
    }

    private let lock = NSCondition()
    private var jobs: [Job] = []
    private var answers: [Answer] = []
    private var closed = false
    /// The loop polls `wakeRead`; every finished job writes one byte to `wakeWrite`.
    let wakeRead: Int32
    private let wakeWrite: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Scheduler.SchedulerError(description: "cannot create a pipe: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        // The thread holds this object until it ends, so the pipe outlives every write to it.
        let thread = Thread { [self] in serve() }
        thread.name = "tuna-sampler"
        thread.start()
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func submit(_ job: Job) {
        lock.withLock {
            jobs.append(job)
            lock.signal()
        }
    }

    /// The answers that arrived since the last call (the pipe's bytes drained too).
    func takeAnswers() -> [Answer] {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
        return lock.withLock {
            defer { answers.removeAll(keepingCapacity: true) }
            return answers
        }
    }

    /// Ends the thread after its current job; answers not yet taken are dropped.
    func shutdown() {
        lock.withLock {
            closed = true
            jobs.removeAll()
            lock.broadcast()
        }
    }

    private func serve() {
        while true {
            lock.lock()
            while jobs.isEmpty && !closed { lock.wait() }
            if closed {
                lock.unlock()
                return
            }
            let job = jobs.removeFirst()
            lock.unlock()

            let started = Date()
            var proposals: [Parameters] = []
            var failure: (any Error)?
            do {
                proposals = try job.ask()
            } catch {
                failure = error
            }
            let answer = Answer(study: job.study, generation: job.generation, proposals: proposals, error: failure,
                                seconds: Date().timeIntervalSince(started))
            let open = lock.withLock {
                if !closed { answers.append(answer) }
                return !closed
            }
            if open {
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            }
        }
    }
}
