import Foundation
import Testing
import TunaStore

/// `tuna daemon` with studies submitted to it and workers attached separately.
@Suite(.serialized) struct DaemonTests {
    /// A port nobody listens on: the kernel hands out an unused one for a socket bound to port
    /// 0, which is closed again (a random guess could hit a port in use).
    static func freeEndpoint() throws -> String {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        try #require(fd >= 0, "socket: errno \(errno)")
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound, "bind: errno \(errno)")
        return "tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    @Test func twoSubmittedStudiesShareOneWorkerPoolAndARestartResumes() throws {
        let workspace = try Workspace()
        let fast = try workspace.write("fast.yaml", """
            name: d-fast
            objective: {function: sphere2}
            search: {algorithm: random, trials: 12, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """)
        // Studies take turns for workers, so the slow one is long enough to be mid-way at the stop.
        let slow = try workspace.write("slow.yaml", EndToEndTests.slow("d-slow", trials: 30, seconds: 0.5))
        let endpoint = try Self.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db], in: workspace.url)
        #expect(daemon.waitForError(containing: "listening at") != nil, "\(daemon.errors)")
        let (s1, o1, _) = try TunaProcess.run(["submit", fast, "--to", endpoint], in: workspace.url)
        let (s2, o2, _) = try TunaProcess.run(["submit", slow, "--to", endpoint], in: workspace.url)
        #expect(s1 == 0 && o1.contains("study d-fast accepted"), "\(o1)")
        #expect(s2 == 0 && o2.contains("study d-slow accepted"), "\(o2)")
        let (again, o3, _) = try TunaProcess.run(["submit", fast, "--to", endpoint], in: workspace.url)
        #expect(again == 1 && o3.contains("already running"), "\(o3)")

        let workers = try TunaProcess(["worker", "--connect", endpoint, "--jobs", "2", "--give-up-after", "20", "--allow-commands"], in: workspace.url)
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        #expect(waiter.waitForTrials(study: "d-fast", count: 12) { $0.state == .complete }.count == 12)
        _ = waiter.waitForTrials(study: "d-slow", count: 3) { $0.state == .complete }
        let (statusCode, status, _) = try TunaProcess.run(["status", "--to", endpoint], in: workspace.url)
        #expect(statusCode == 0 && status.contains("d-fast: 12/12 done") && status.contains("2 workers"), "\(status)")
        #expect(status.contains("worker ") && status.contains("d-slow trial"), "status names the workers and their trials: \(status)")

        // Stop the daemon mid-study; a new daemon on the same database finishes it.
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(daemon.wait() == 0)
        let restarted = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db], in: workspace.url)
        #expect(restarted.waitForError(containing: "1 unfinished studies resumed") != nil, "\(restarted.errors)")
        #expect(waiter.waitForTrials(study: "d-slow", count: 30, timeout: 60) { $0.state == .complete }.count == 30)
        kill(restarted.process.processIdentifier, SIGTERM)
        restarted.wait()
        kill(workers.process.processIdentifier, SIGTERM)
        #expect(workers.wait(timeout: 10) == 0, "workers stop on SIGTERM: \(workers.errors)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let slowStudy = try #require(try store.study(named: "d-slow"))
        #expect(try store.trials(study: slowStudy.id, states: nil).count == 30)
        #expect(slowStudy.state == .finished)
    }

    @Test func controlCommandsWithoutADaemonSaySo() throws {
        let workspace = try Workspace()
        let (status, _, errors) = try TunaProcess.run(["status", "--to", try Self.freeEndpoint()], in: workspace.url, timeout: 20)
        #expect(status == 1 && errors.contains("no daemon answered"), "\(errors)")
    }
}
