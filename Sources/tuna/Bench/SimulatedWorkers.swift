import ArgumentParser
import Foundation
import TunaProtocol
import TunaTensor
import TunaSearch
import TunaWire
import TunaBase

/// `tuna bench sim-workers` (hidden): many lightweight workers in one process, one DEALER
/// socket each, served by one thread. Each speaks the protocol as `tuna worker` does (hello,
/// ready, heartbeats, a result per assignment) but "runs" a trial by waiting its duration, so a
/// thousand of them fit on a two-core machine beside the scheduler they load. At the end (the
/// scheduler's shutdown, or `--seconds`) it prints one JSON line of what it measured.
struct BenchSimWorkers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-workers", abstract: "Simulated workers for `tuna bench daemon --simulate`.", shouldDisplay: false)

    @Option var connect: String
    @Option var count = 100
    @Option var name = "sim"
    @Option(help: "Trial duration in milliseconds, or a range (500-2000) drawn uniformly per trial.") var trialMs = "0"
    @Option var heartbeat = 1.0
    @Option(help: "Give up after this many seconds.") var seconds = 600.0
    @Option var seed: UInt64 = 1

    func run() throws {
        let range = try TrialDuration(trialMs)
        let host = try SimulatedWorkerHost(
            endpoint: connect, count: count, name: name, duration: range, heartbeat: heartbeat, seed: seed)
        let report = try host.run(deadline: Date().addingTimeInterval(seconds))
        let data = try JSONEncoder().encode(report)
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A trial's simulated length: fixed, or uniform in a range.
struct TrialDuration: Sendable {
    var low: Double
    var high: Double

    init(_ text: String) throws {
        let parts = text.split(separator: "-").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil, low >= 0, high >= low else {
            throw ValidationError("a trial duration is milliseconds (50) or a range (500-2000), got '\(text)'")
        }
        self.low = low / 1000
        self.high = high / 1000
    }
}

/// What one host of simulated workers measured.
struct SimulatedReport: Codable {
    /// From sending a result to receiving the next `assign`, in milliseconds.
    var dispatchMs: [Double] = []
    /// From `ready` after the welcome to the first `assign`, in milliseconds: the join, when a
    /// thousand workers ask at once and wait their turn in one queue.
    var firstDispatchMs: [Double] = []
    var idleSeconds = 0.0
    var busySeconds = 0.0
    var trials = 0
    /// Gaps between two messages from the scheduler longer than twice the heartbeat, seen
    /// while this host kept up (its previous turn less than a heartbeat before).
    var heartbeatMisses = 0
    /// The same gaps seen after a turn of this host's own that took longer than a heartbeat:
    /// the host was not looking, so the silence may be its own (two processes poll a thousand
    /// sockets on the same cores as the scheduler).
    var heartbeatMissesWhileLagging = 0
    /// The longest turn of this host's loop, in seconds.
    var longestTurn = 0.0
    var longestSilence = 0.0
    /// The longest wait from a simulated worker's hello to its welcome, in seconds (a listen
    /// backlog too short for a thousand connections made this two seconds).
    var longestJoin = 0.0
}

final class SimulatedWorkerHost {
    struct Sim {
        /// Before its first welcome, then before its first trial, then working.
        enum Phase { case connecting, joining, working }

        var socket: ZMQSocket
        var phase = Phase.connecting
        var idleSince: Date?
        var trial: Int64?
        var value = 0.0
        var startedAt = Date()
        var endsAt = Date.distantFuture
        /// Since the hello, then since the last message from the scheduler.
        var lastHeard = Date()
        var done = false
    }

    let heartbeat: Double
    let duration: TrialDuration
    let context: ZMQContext
    var sims: [Sim] = []
    var rng: SeededGenerator
    /// When the current turn's poll returned, and whether the turn before it ran long.
    private var lastTurn = Date()
    private var lagging = false

    init(endpoint: String, count: Int, name: String, duration: TrialDuration, heartbeat: Double, seed: UInt64) throws {
        self.heartbeat = heartbeat
        self.duration = duration
        rng = SeededGenerator(seed: seed)
        raiseOpenFileLimit()
        context = try ZMQContext()
        for index in 0..<count {
            let socket = try ZMQSocket(context, .dealer)
            try socket.setIdentity(Array("\(name)-\(index)".utf8))
            try socket.setOption(SocketOption.linger, 0)
            try socket.connect(endpoint)
            sims.append(Sim(socket: socket))
        }
    }

    func run(deadline: Date) throws -> SimulatedReport {
        var report = SimulatedReport()
        for index in sims.indices {
            try sims[index].socket.send(try Envelope(.hello, HelloMessage(worker: "sim-\(index)", host: "bench", pid: getpid())).frames)
            sims[index].lastHeard = Date()
        }
        var lastBeat = Date()
        lastTurn = Date()
        while Date() < deadline, sims.contains(where: { !$0.done }) {
            let now = Date()
            let nextEnd = sims.lazy.filter { $0.trial != nil }.map(\.endsAt).min() ?? .distantFuture
            let wait = max(0, min(nextEnd.timeIntervalSince(now), lastBeat.addingTimeInterval(heartbeat).timeIntervalSince(now), 0.05))
            let readable = try poll(sims.map(\.socket), timeoutMilliseconds: Int32(wait * 1000))
            let after = Date()
            // The time since the previous turn began, less the wait asked of the poll: how long
            // this host itself was busy or descheduled.
            lagging = after.timeIntervalSince(lastTurn) - wait > heartbeat
            report.longestTurn = max(report.longestTurn, after.timeIntervalSince(lastTurn) - wait)
            lastTurn = after
            for index in sims.indices where index < readable.count && readable[index] {
                while let frames = try sims[index].socket.receive(timeoutMilliseconds: 0) {
                    for envelope in try Envelope.messages(frames: frames) { try handle(index, envelope, now: after, report: &report) }
                }
            }
            for index in sims.indices where sims[index].trial != nil && sims[index].endsAt <= after {
                try finishTrial(index, now: after, report: &report)
            }
            if after.timeIntervalSince(lastBeat) >= heartbeat {
                lastBeat = after
                for index in sims.indices where !sims[index].done {
                    _ = try sims[index].socket.send(Envelope(type: .heartbeat).frames, dontWait: true)
                    let silence = after.timeIntervalSince(sims[index].lastHeard)
                    report.longestSilence = max(report.longestSilence, silence)
                }
            }
        }
        for sim in sims { sim.socket.close() }
        return report
    }

    private func handle(_ index: Int, _ envelope: Envelope, now: Date, report: inout SimulatedReport) throws {
        let silence = now.timeIntervalSince(sims[index].lastHeard)
        if silence > 2 * heartbeat {
            if lagging { report.heartbeatMissesWhileLagging += 1 } else { report.heartbeatMisses += 1 }
        }
        report.longestSilence = max(report.longestSilence, silence)
        sims[index].lastHeard = now
        switch envelope.type {
        case .welcome:
            if sims[index].phase == .connecting {
                report.longestJoin = max(report.longestJoin, silence)
                sims[index].phase = .joining
            }
            sims[index].idleSince = now
            _ = try sims[index].socket.send(Envelope(type: .ready).frames)
        case .assign:
            let assignment = try envelope.decode(AssignMessage.self)
            if let since = sims[index].idleSince {
                report.idleSeconds += now.timeIntervalSince(since)
                if sims[index].phase == .joining {
                    report.firstDispatchMs.append(now.timeIntervalSince(since) * 1000)
                } else {
                    report.dispatchMs.append(now.timeIntervalSince(since) * 1000)
                }
            }
            sims[index].idleSince = nil
            sims[index].phase = .working
            sims[index].trial = assignment.trialID
            sims[index].value = assignment.params.values.reduce(0) { sum, value in
                let x = value.number ?? 0
                return sum + x * x
            }
            let seconds = duration.low + (duration.high - duration.low) * rng.nextDouble()
            sims[index].startedAt = now
            sims[index].endsAt = now.addingTimeInterval(seconds)
        case .shutdown:
            sims[index].done = true
            sims[index].trial = nil
        default:
            break
        }
    }

    private func finishTrial(_ index: Int, now: Date, report: inout SimulatedReport) throws {
        guard let trial = sims[index].trial else { return }
        report.busySeconds += now.timeIntervalSince(sims[index].startedAt)
        report.trials += 1
        sims[index].trial = nil
        sims[index].idleSince = now
        _ = try sims[index].socket.send(try Envelope(.result, ResultMessage(trialID: trial, value: sims[index].value, seconds: 0)).frames)
    }
}
