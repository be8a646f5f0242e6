import ArgumentParser
import TunaScheduler

/// The options of every command that runs a scheduler (`tuna daemon`, `tuna run`), so both read,
/// check and document them one way. The listening address is not here: its default differs (a
/// fixed port for the daemon, a free one for a local run).
struct SchedulerOptions: ParsableArguments {
    @Option(help: "The SQLite database holding studies and trials.")
    var db = "tuna.sqlite"

    @Option(help: "Seconds between heartbeats.")
    var heartbeat = 1.0

    @Option(help: "Heartbeats a worker may miss before its trial goes to another worker.")
    var liveness = 3

    func validate() throws {
        guard heartbeat > 0 else { throw ValidationError("--heartbeat must be positive") }
        guard liveness > 0 else { throw ValidationError("--liveness must be at least 1") }
    }

    /// The scheduler's settings, with the full study check (layers, preprocessing, network
    /// sizes) that needs the engine the scheduler does not link.
    func options(bind: String, exitWhenDone: Bool, log: @escaping @Sendable (String) -> Void,
                 security: Scheduler.Security?, acceptsSubmissions: Bool = true) -> Scheduler.Options {
        Scheduler.Options(
            bind: bind, heartbeat: heartbeat, liveness: liveness, exitWhenDone: exitWhenDone, log: log,
            parseStudy: parseCheckedStudy, security: security, acceptsSubmissions: acceptsSubmissions)
    }
}
