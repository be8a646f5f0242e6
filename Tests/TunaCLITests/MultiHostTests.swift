import Foundation
import Testing
import TunaStore

/// Several hosts on this one machine: Linux network namespaces joined by a bridge in a namespace
/// of its own, on a private subnet that exists only inside them. Creating them needs root (or
/// CAP_SYS_ADMIN) and iproute2's `ip`; without them the tests are skipped, with the reason.
final class NetworkNamespaces {
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why namespaces cannot be made here, or nil when they can: a throwaway pair of namespaces
    /// with a bridge and a veth pair is made and removed once per test run.
    static let unavailable: String? = {
        let reason: String? = {
            guard ip != nil else { return "no `ip` command (install iproute2)" }
            do {
                let probe = try NetworkNamespaces(hosts: ["a"])
                defer { probe.remove() }
                try must(["netns", "exec", probe.names["a"]!, "/bin/true"])
                return nil
            } catch {
                return "\(error)"
            }
        }()
        if let reason { print("◇ network namespace tests skipped: \(reason)") }
        return reason
    }()

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs `ip` with a time limit; returns its status and what it wrote.
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 10) throws -> (status: Int32, output: String) {
        guard let ip else { throw Failure(description: "no `ip` command") }
        return try runProgram(ip, arguments, timeout: timeout)
    }

    /// Runs `ip` and throws with its message unless it succeeds.
    static func must(_ arguments: [String]) throws {
        let (status, output) = try run(arguments)
        guard status == 0 else {
            throw Failure(description: "`ip \(arguments.joined(separator: " "))` failed (status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// The subnet's first address, the daemon's.
    static let subnet = "10.77.0"

    /// Namespace names by role: "switch" holds the bridge, "daemon" has .1, hosts .2, .3, ...
    let names: [String: String]
    /// The address of each role but the switch.
    let addresses: [String: String]
    /// Each host's interface name inside its namespace.
    let device = "eth0"

    /// Makes the namespaces (unique names for this run), a bridge in "switch", and a veth pair
    /// from the bridge to `eth0` in the daemon's namespace and each host's. Nothing is made in
    /// the namespace this process runs in. On failure whatever was made is removed.
    init(hosts: [String]) throws {
        let run = UUID().uuidString.prefix(8).lowercased()
        let roles = ["switch", "daemon"] + hosts
        names = Dictionary(uniqueKeysWithValues: roles.map { ($0, "tuna-\(run)-\($0)") })
        addresses = Dictionary(uniqueKeysWithValues: (["daemon"] + hosts).enumerated().map { ($1, "\(Self.subnet).\($0 + 1)") })
        do {
            for role in roles {
                try Self.must(["netns", "add", names[role]!])
                try Self.must(["-n", names[role]!, "link", "set", "lo", "up"])
            }
            let hub = names["switch"]!
            try Self.must(["-n", hub, "link", "add", "br0", "type", "bridge"])
            try Self.must(["-n", hub, "link", "set", "br0", "up"])
            for (index, role) in (["daemon"] + hosts).enumerated() {
                let port = "p\(index)"
                try Self.must(["-n", hub, "link", "add", port, "type", "veth", "peer", "name", device, "netns", names[role]!])
                try Self.must(["-n", hub, "link", "set", port, "master", "br0"])
                try Self.must(["-n", hub, "link", "set", port, "up"])
                try Self.must(["-n", names[role]!, "addr", "add", "\(addresses[role]!)/24", "dev", device])
                try Self.must(["-n", names[role]!, "link", "set", device, "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes the namespaces (their veth pairs and the bridge go with them). Processes still
    /// inside keep a namespace alive, so stop them first.
    func remove() {
        for name in names.values {
            _ = try? Self.run(["netns", "del", name])
        }
    }

    /// `ip netns exec NS`, plus environment settings, to put in front of a command.
    func launcher(_ role: String, environment: [String: String] = [:]) -> [String] {
        [Self.ip ?? "ip", "netns", "exec", names[role]!] + (environment.isEmpty ? [] : ["/usr/bin/env"] + environment.map { "\($0)=\($1)" })
    }

    /// Takes a host's link down or up, from inside its namespace.
    func setLink(_ role: String, up: Bool) throws {
        try Self.must(["-n", names[role]!, "link", "set", device, up ? "up" : "down"])
    }
}

/// A daemon on one host, workers on two others and a client on one of them, all with CurveZMQ
/// keys; one worker host loses its link in the middle of a trial. The study still ends with
/// every trial run exactly once to completion, the lost host's trial run again elsewhere, and a
/// sound database; the host rejoins when its link comes back.
@Suite(.serialized) struct MultiHostTests {
    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    @Test(.enabled(if: NetworkNamespaces.unavailable == nil, "needs root and iproute2 to make network namespaces (reason printed above)"))
    func aWorkerHostThatLosesItsLinkMidTrialLosesNoTrial() throws {
        let began = Date()
        let workspace = try Workspace()
        for name in ["keys/daemon", "keys/workers/hostA", "keys/workers/hostB", "keys/clients/alice"] {
            let (status, _, errors) = try TunaProcess.run(["keygen", name], in: workspace.url)
            try #require(status == 0, "\(errors)")
        }
        let trials = 16
        // Host A's trials take 3 s, so the link can be cut well inside one; host B's 0.6 s.
        let study = try workspace.write("cut.yaml", """
            name: netns-cut
            objective: {command: [sh, -c, "sleep $TUNA_TEST_TRIAL_SECONDS; echo loss=$0", "{x}"], timeout: 30}
            search: {algorithm: random, trials: \(trials), parameters: {x: {float: [0, 1]}}}
            """)

        let net = try NetworkNamespaces(hosts: ["hostA", "hostB"])
        var processes: [TunaProcess] = []
        defer {
            // Processes first: a namespace lives as long as something runs in it.
            for process in processes where process.process.isRunning { kill(process.process.processIdentifier, SIGTERM) }
            for process in processes {
                if !Self.waitUntil(10, { !process.process.isRunning }) { kill(process.process.processIdentifier, SIGKILL) }
                process.process.waitUntilExit()
            }
            net.remove()
        }
        let endpoint = "tcp://\(net.addresses["daemon"]!):5555"
        let daemon = try TunaProcess(
            ["daemon", "--bind", endpoint, "--db", workspace.db, "--keys", "keys", "--heartbeat", "0.5"],
            in: workspace.url, launcher: net.launcher("daemon"))
        processes.append(daemon)
        try #require(daemon.waitForError(containing: "CURVE keys required") != nil, "\(daemon.errors)")

        func worker(_ host: String, seconds: Double) throws -> TunaProcess {
            let process = try TunaProcess(
                ["worker", "--connect", endpoint, "--name", host, "--allow-commands", "--give-up-after", "60", "--verbose",
                 "--cache", "cache-\(host)", "--key", "keys/workers/\(host).key", "--server-key", "keys/daemon.pub"],
                in: workspace.url, launcher: net.launcher(host, environment: ["TUNA_TEST_TRIAL_SECONDS": "\(seconds)"]))
            processes.append(process)
            return process
        }
        let hostA = try worker("hostA", seconds: 3)
        let hostB = try worker("hostB", seconds: 0.6)
        let client = ["--to", endpoint, "--key", "keys/clients/alice.key", "--server-key", "keys/daemon.pub"]
        let (submitted, output, errors) = try TunaProcess.run(["submit", study] + client, in: workspace.url, timeout: 30, launcher: net.launcher("hostB"))
        try #require(submitted == 0 && output.contains("study netns-cut accepted"), "\(output) \(errors) \(daemon.errors)")

        // Cut host A's link within 1.5 s of its trial's start: at least 1.5 s of it remain.
        var cut: TrialRecord?
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        _ = Self.waitUntil(30) {
            guard let store = try? SQLiteTrialStore(readOnlyPath: workspace.db), let record = try? store.study(named: "netns-cut"),
                  let running = try? store.trials(study: record.id, states: [.running]) else { return false }
            cut = running.first { $0.worker == "hostA" && $0.startedAt.map { Date().timeIntervalSince($0) < 1.5 } == true }
            return cut != nil
        }
        let lost = try #require(cut, "host A never ran a trial: \(hostA.errors) \(daemon.errors)")
        try net.setLink("hostA", up: false)
        let cutAt = Date()

        let done = waiter.waitForTrials(study: "netns-cut", count: trials, timeout: 45) { $0.state == .complete }
        let finishedIn = Date().timeIntervalSince(cutAt)
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "netns-cut"))
        let all = try store.trials(study: record.id, states: nil)
        #expect(done.count == trials, "\(daemon.errors)")
        #expect(all.count == trials && all.allSatisfy { $0.state == .complete }, "\(all.map { "\($0.number) \($0.state.rawValue)" })")
        #expect(all.map(\.number).sorted() == Array(0..<trials), "each number once: \(all.map(\.number).sorted())")
        let rerun = try #require(all.first { $0.id == lost.id })
        #expect(rerun.attempts == 2 && rerun.worker == "hostB", "trial \(lost.number): attempts \(rerun.attempts), worker \(rerun.worker ?? "-")")
        #expect(all.filter { $0.attempts != 1 }.map(\.id) == [lost.id], "only the cut trial ran twice")
        #expect(all.filter { $0.worker == "hostA" }.allSatisfy { $0.finishedAt.map { $0 < cutAt } == true }, "nothing finished on host A after the cut")
        #expect(record.state == .finished)
        #expect(daemon.errors.contains("worker hostA went silent; dropped"), "\(daemon.errors)")

        // The link comes back: host A's worker, which kept trying with fresh sockets, rejoins.
        try net.setLink("hostA", up: true)
        func joins() -> Int { daemon.errors.split(separator: "\n").filter { $0.contains("worker hostA (") && $0.contains("joined") }.count }
        #expect(Self.waitUntil(15) { joins() >= 2 }, "host A did not rejoin: \(hostA.errors)")
        let (statusCode, status, statusErrors) = try TunaProcess.run(["status"] + client, in: workspace.url, timeout: 30, launcher: net.launcher("hostA"))
        #expect(statusCode == 0 && status.contains("netns-cut: \(trials)/\(trials) done"), "\(status) \(statusErrors)")
        #expect(hostA.process.isRunning && hostB.process.isRunning)

        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(daemon.wait(timeout: 20) == 0, "\(daemon.errors)")
        try Self.checkIntegrity(workspace.db)
        // TUNA_TEST_SHOW_LOGS=1 swift test --skip-build --filter MultiHostTests: what each process said.
        if ProcessInfo.processInfo.environment["TUNA_TEST_SHOW_LOGS"] != nil { print(daemon.errors, "---A---", hostA.errors, "---B---", hostB.errors) }
        print("◇ multi-host test: cut trial \(lost.number) re-run on hostB; study finished \(String(format: "%.1f", finishedIn)) s after the cut, "
              + "\(String(format: "%.1f", Date().timeIntervalSince(began))) s in all")
    }

    /// `PRAGMA integrity_check` through the sqlite3 shell, when this machine has it.
    static func checkIntegrity(_ path: String) throws {
        guard let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/bin/sqlite3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("◇ integrity check skipped: no sqlite3 shell (apt-get install sqlite3)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqlite3)
        process.arguments = ["-readonly", path, "PRAGMA integrity_check;"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "integrity_check: \(output)")
    }
}
