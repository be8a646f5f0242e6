import Foundation
import Testing
import TunaBase
import TunaProtocol
import TunaWire

@testable import TunaScheduler

/// Workers started together, as a Slurm job array starts them, all connect within a few
/// milliseconds. With ZeroMQ's listen backlog of 100 the kernel dropped the SYNs past the
/// hundredth, those workers waited out TCP's one- and two-second retries before their hello
/// even left, and a 1,000-worker run counted the wait as heartbeat gaps.
@Suite struct JoinTests {
    static let workers = 900

    /// 900 connections take 2,700 descriptors in this process (both ends and ZeroMQ's own).
    static let enoughDescriptors = (raiseOpenFileLimit() ?? 0) >= 4 * UInt64(workers)

    @Test(.enabled(if: enoughDescriptors, "skipped: the hard limit on open files is under 3,600"))
    func manyWorkersConnectingAtOnceAreAllWelcomedWithNoConnectionDropped() throws {
        let harness = try Harness(backend: .memory, heartbeat: 5)
        let overflowsBefore = try Self.listenOverflows()
        var sockets: [ZMQSocket] = []
        for index in 0..<Self.workers {
            let socket = try ZMQSocket(harness.context, .dealer)
            try socket.setIdentity(Array("joiner-\(index)".utf8))
            try socket.setOption(SocketOption.linger, 0)
            try socket.connect(harness.scheduler.endpoint)
            _ = try socket.send(try Envelope(.hello, HelloMessage(worker: "joiner-\(index)", host: "test", pid: 1)).frames)
            sockets.append(socket)
        }
        var welcomed = Set<Int>()
        try harness.pump(seconds: 30) {
            for index in sockets.indices where !welcomed.contains(index) {
                while let frames = try sockets[index].receive(timeoutMilliseconds: 0) {
                    if try Envelope.messages(frames: frames).contains(where: { $0.type == .welcome }) { welcomed.insert(index) }
                }
            }
            return welcomed.count == Self.workers
        }
        #expect(welcomed.count == Self.workers)
        #expect(harness.scheduler.workerCount == Self.workers)
        // The kernel's count is for the whole network namespace; nothing else in this suite
        // connects hundreds of sockets at once, so it stays put unless this test's did.
        if let before = overflowsBefore, let after = try Self.listenOverflows() {
            #expect(after == before, "the kernel dropped \(after - before) connections for a full listen queue")
        }
        for socket in sockets { socket.close() }
    }

    /// `TcpExt: ListenOverflows` from /proc/net/netstat (Linux), if there is one.
    static func listenOverflows() throws -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/net/netstat", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("TcpExt:") }
        guard lines.count == 2 else { return nil }
        let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
        guard let index = names.firstIndex(of: "ListenOverflows"), index < values.count else { return nil }
        return Int(values[index])
    }
}
