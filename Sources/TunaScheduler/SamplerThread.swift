import Foundation
import TunaBase
import TunaSearch

/// Where the scheduler's slow asks run: one thread beside the dispatch loop.
///
/// A Gaussian process takes 6–20 ms to propose a point (a second on a loaded machine); asked on
/// the loop's thread it stalled every heartbeat, result and hand-out meanwhile. The loop now
/// hands this thread a snapshot (a `SamplingContext`, plain values) and keeps serving; the
/// proposals come back through a lock-protected outbox, and a `LoopWakeup` wakes the loop's
/// poll at once. The thread never touches the scheduler's state: a job's ask closes over
/// the sampler (an immutable value) and the context, and a finished job carries only values back,
/// tagged with the study's serial and generation so the loop can discard answers for a study
/// that was stopped, finished or replaced meanwhile.
final class SamplerThread: @unchecked Sendable {
    /// Crosses to the sampler thread: its ask closes over a sampler that no one mutates and
    /// a snapshot of plain values, and the loop keeps no reference to either.
    struct Job: @unchecked Sendable {
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

    private let thread = SerialThread(name: "tuna-sampler")
    private let lock = NSLock()
    private var answers: [Answer] = []
    private var closed = false
    /// The loop polls its read end; every finished job signals it.
    let wakeup: LoopWakeup

    init() throws {
        wakeup = try LoopWakeup()
    }

    deinit {
        thread.stop()
    }

    func submit(_ job: Job) {
        thread.enqueue { [self] in
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
            if open { wakeup.signal() }
        }
    }

    /// The answers that arrived since the last call (the pipe's bytes drained too).
    func takeAnswers() -> [Answer] {
        wakeup.clear()
        return lock.withLock {
            defer { answers.removeAll(keepingCapacity: true) }
            return answers
        }
    }

    /// Ends the thread after its current job; answers not yet taken are dropped.
    func shutdown() {
        lock.withLock { closed = true }
        thread.stop()
    }
}
