import CTunaSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sits between a worker and a command objective's program so that nothing the program starts
/// outlives the trial: the program runs in a process group of its own; when the program ends,
/// when the worker stops it (SIGTERM on a timeout), or when the worker dies (even by SIGKILL:
/// the kernel sends this guard SIGTERM, `PR_SET_PDEATHSIG`), the guard kills the whole group.
/// `tuna worker` runs it as a hidden subcommand of its own executable.
public enum CommandGuard {
    /// The environment variable that names the worker's pid, so a guard whose worker died
    /// before the death signal was armed notices and stops at once.
    public static let parentVariable = "TUNA_GUARD_PARENT"

    /// Runs `arguments` (program first) and returns the exit status to leave with.
    public static func run(_ arguments: [String]) -> Int32 {
        guard let program = arguments.first else { return 127 }
        // A signal mask is inherited through fork and exec: a parent that blocked SIGTERM (a
        // test runner, a shell) would leave this guard and the program deaf to it.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        _ = tuna_set_parent_death_signal(SIGTERM)
        if let expected = ProcessInfo.processInfo.environment[parentVariable].flatMap(Int32.init), getppid() != expected {
            return 143
        }
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number) { received in
                if guardedGroup > 0 { kill(-guardedGroup, SIGKILL) }
                _exit(128 + received)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var child: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawnp(&child, program, nil, &attributes, argv, environ)
        guard status == 0 else {
            FileHandle.standardError.write(Data("cannot start \(program): \(String(cString: strerror(status)))\n".utf8))
            return 127
        }
        guardedGroup = child
        var result: Int32 = 0
        while waitpid(child, &result, 0) < 0 && errno == EINTR {}
        // Whatever the program left running in its group goes with it.
        kill(-child, SIGKILL)
        let signalNumber = result & 0x7f
        return signalNumber == 0 ? (result >> 8) & 0xff : 128 + signalNumber
    }
}

/// The guarded program's process group, for the signal handlers (which cannot capture).
nonisolated(unsafe) private var guardedGroup: pid_t = 0
