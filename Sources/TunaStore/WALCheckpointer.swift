import Foundation
import GRDB

/// Copies the write-ahead log into the database file on a thread of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 log pages, so the
/// writer waits for it: in a 1,000-worker run every loop turn slower than 50 ms was such a
/// commit (100-600 ms), and every worker's answer waited behind it. The writer's connection
/// turns it off (`wal_autocheckpoint = 0`) and this thread copies the log instead.
///
/// The log starts over from its beginning only when a transaction of the writer begins with
/// every frame copied; under a steady stream of commits a checkpoint from another connection
/// never gets there, and the log grew by 40 MB a second (816 MB after 200,000 trials). So a
/// round copies in two steps: PASSIVE passes from this thread's own connection, which never
/// block the writer, while they find much new (each pass is shorter than the last, copying
/// only what came in during the one before), then one last pass on the writer's connection,
/// between two of its transactions: the writer waits for a short tail only, and its next
/// transaction finds the log all copied and starts it over. That last pass syncs the log and
/// the file on the writer's thread, so it waits until the log passes 16 MB.
final class WALCheckpointer: @unchecked Sendable {
    /// Seconds between rounds.
    let interval: Double
    /// Unblocking passes in one round at most.
    static let passesPerRound = 8
    /// Frames (pages) that may arrive during a pass for the next to be the writer's: about
    /// 1 MB, copied in a few milliseconds.
    static let shortTail = 256
    /// The log's length, in frames (4 KB pages), past which a round starts it over: 16 MB,
    /// four times SQLite's own checkpoint threshold.
    static let restartAfter = 4_096

    private let connection: DatabaseQueue
    private let writer: DatabaseQueue
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    private var rounds = 0

    /// Opens a second connection to `path` and starts the thread; `writer` is the writer's.
    init(path: String, writer: DatabaseQueue, interval: Double = 0.25) throws {
        var config = Configuration()
        config.label = "TunaStore.checkpointer"
        // The writer's commit holds the lock for a moment; a pass that meets it waits a little
        // rather than skipping a round.
        config.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: config)
        self.writer = writer
        self.interval = interval
        let thread = Thread { [self] in serve() }
        thread.name = "tuna-checkpointer"
        thread.start()
    }

    /// Rounds run so far (for tests: two more than now means one began after now).
    var roundCount: Int { condition.withLock { rounds } }

    /// Ends the thread after its current round and closes its connection; again, nothing.
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

    /// Any failure (busy: another checkpoint, such as the writer's own at shutdown) ends the
    /// round; the next tries again, and the writer's commits never depend on it.
    private func round() {
        var previous = -1
        for _ in 0..<Self.passesPerRound {
            guard let frames = try? connection.writeWithoutTransaction({ try $0.checkpoint(.passive) }) else { return }
            let allCopied = frames.checkpointedFrameCount >= frames.walFrameCount
            // A reader of another process may still need the frames the pass could not copy;
            // until it moves on, passes copy nothing more.
            guard allCopied else { return }
            // Short enough: the writer's pass (two fsyncs on its thread, and a disk that
            // hiccups makes them 100 ms) waits until starting the log over is worth it.
            if frames.walFrameCount < Self.restartAfter { return }
            let arrived = previous < 0 ? Int.max : frames.walFrameCount - previous
            previous = frames.walFrameCount
            if arrived <= Self.shortTail { break }
        }
        _ = try? writer.writeWithoutTransaction { try $0.checkpoint(.passive) }
    }
}
