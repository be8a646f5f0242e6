import Foundation
import GRDB

/// Copies the write-ahead log into the database file on a thread of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 log pages, so the
/// writer waits for it: in a 1,000-worker run every loop turn slower than 50 ms was such a
/// commit (100-600 ms), and every worker's answer waited behind it. The writer's connection
/// turns it off (`wal_autocheckpoint = 0`) and this thread checkpoints from a second
/// connection in PASSIVE mode, which never blocks the writer.
///
/// A pass copies what was committed before it began. Passes follow one another while the log
/// holds more (each shorter than the last, since it copies only what came in during the one
/// before), so that one ends with nothing left: the writer's next transaction then starts the
/// log over from its beginning and the file stops growing.
final class WALCheckpointer: @unchecked Sendable {
    /// Seconds between rounds of passes.
    let interval: Double
    /// Passes in one round at most: under a steady stream of commits the last pass rarely
    /// finds the log empty, and the next round tries again.
    static let passesPerRound = 8

    private let connection: DatabaseQueue
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    private var rounds = 0

    /// Opens the second connection and starts the thread.
    init(path: String, interval: Double = 0.25) throws {
        var config = Configuration()
        config.label = "TunaStore.checkpointer"
        // The writer's commit holds the lock for a moment; a pass that meets it waits a little
        // rather than skipping a round.
        config.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: config)
        self.interval = interval
        let thread = Thread { [self] in serve() }
        thread.name = "tuna-checkpointer"
        thread.start()
    }

    /// Rounds of passes run so far (for tests: two more than now means one began after now).
    var roundCount: Int { condition.withLock { rounds } }

    /// Ends the thread after its current pass and closes its connection; again, nothing.
    func stop() {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            return
        }
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
        try? connection.close()
    }

    private func serve() {
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date().addingTimeInterval(interval))
            if stopping { break }
            condition.unlock()
            round()
            condition.lock()
            rounds += 1
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Passes until the log is all copied or `passesPerRound` ran.
    private func round() {
        for _ in 0..<Self.passesPerRound {
            // Busy (another checkpoint, such as the writer's own at shutdown) or any other
            // failure: the next round tries again; the writer's commits never depend on it.
            guard let frames = try? connection.writeWithoutTransaction({ try $0.checkpoint(.passive) }) else { return }
            if frames.checkpointedFrameCount >= frames.walFrameCount { return }
        }
    }
}
