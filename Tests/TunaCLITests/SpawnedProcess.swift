import Foundation

/// A long-running program started with `posix_spawn` and watched with `waitpid(WNOHANG)`.
/// Foundation's `Process` cannot run daemons that close every inherited descriptor at start
/// (munged, slurmctld, slurmd): it takes the closing of the socket it gave the child for the
/// child's exit and blocks in `waitpid` on its one monitor thread, which stalls every other
/// `Process` of the test run. The child also starts with no signal blocked (a test thread may
/// block some, and a daemon that inherits that mask ignores SIGTERM).
final class SpawnedProcess {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let pid: pid_t
    /// How it ended, once reaped ("status 1", "signal 9").
    private(set) var ending: String?

    init(_ executable: String, _ arguments: [String], environment: [String: String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// Reaps it if it has ended.
    var isRunning: Bool {
        guard ending == nil else { return false }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return result == 0 }
        // The wait status: low seven bits the signal, else the exit status in the next byte.
        ending = raw & 0x7F == 0 ? "status \((raw >> 8) & 0xFF)" : "signal \(raw & 0x7F)"
        return false
    }

    /// SIGTERM, up to `grace` seconds to end, then SIGKILL; reaped either way.
    func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(50_000) }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        while isRunning { usleep(10_000) }
    }
}
