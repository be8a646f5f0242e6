import Foundation
import Testing
import TunaProtocol
import TunaSpec
import TunaStore
import TunaWire

@testable import TunaScheduler

/// A scheduler on a real ROUTER socket (loopback, a port the kernel picks) with a real store,
/// driven one `step` at a time from the test's thread, and fake workers: DEALER sockets that
/// speak the protocol by hand, so a test can send exactly the messages it means to — a late
/// result, a repeated hello, garbage — and read every answer.
final class Harness {
    let folder: URL
    let store: any TrialStore
    let scheduler: Scheduler
    let context: ZMQContext
    private(set) var logLines: [String] = []
    private let logBox = LogBox()

    final class LogBox: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    convenience init(backend: StoreKind, heartbeat: Double = 0.2, liveness: Int = 3, security: Scheduler.Security? = nil) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-scheduler-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store: any TrialStore
        switch backend {
        case .sqlite: store = try SQLiteTrialStore(path: folder.appendingPathComponent("trials.sqlite").path)
        case .memory: store = InMemoryTrialStore()
        }
        try self.init(store: store, folder: folder, heartbeat: heartbeat, liveness: liveness, security: security)
    }

    init(store: any TrialStore, folder: URL? = nil, heartbeat: Double = 0.2, liveness: Int = 3, security: Scheduler.Security? = nil) throws {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("tuna-scheduler-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        self.store = store
        let box = logBox
        scheduler = try Scheduler(store: store, options: .init(
            bind: "tcp://127.0.0.1:*", heartbeat: heartbeat, liveness: liveness, exitWhenDone: true,
            log: { box.append($0) }, security: security))
        context = try ZMQContext()
    }

    /// More folders to remove with the harness (a key folder the daemon re-reads).
    var cleanup: [URL] = []

    deinit {
        try? FileManager.default.removeItem(at: folder)
        for url in cleanup { try? FileManager.default.removeItem(at: url) }
    }

    var log: [String] { logBox.all }

    /// A study file in the harness's folder, parsed as the daemon parses submitted ones.
    func study(_ text: String, file: String = "study.yaml") throws -> Study {
        let path = folder.appendingPathComponent(file).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try Study.parse(text: text, file: path)
    }

    /// A function study: `trials` trials of sphere2 with random search.
    func sphere(_ name: String = "sphere", trials: Int = 4, maxAttempts: Int = 3, pruner: String? = nil) throws -> Study {
        try study("""
            name: \(name)
            objective: {function: sphere2}
            search:
              algorithm: random
              direction: minimize
              metric: value
              trials: \(trials)
              max_attempts: \(maxAttempts)
            \(pruner.map { "  pruner: \($0)" } ?? "")
              parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}
            """, file: "\(name).yaml")
    }

    func worker(_ name: String, curve: (CurveKeyPair, String)? = nil) throws -> FakeWorker {
        try FakeWorker(name: name, harness: self, curve: curve)
    }

    /// Turns the scheduler's loop until `condition` holds, for at most `seconds`.
    @discardableResult
    func pump(seconds: Double = 5, until condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            try scheduler.step(timeoutMilliseconds: 5)
            if try condition() { return true }
        }
        return false
    }

    /// The store's trials of a study, by number.
    func trials(_ study: String) throws -> [TrialRecord] {
        guard let record = try store.study(named: study) else { return [] }
        return try store.trials(study: record.id)
    }

    func expectConsistent(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let problems = try scheduler.consistencyProblems()
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
    }
}

enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, memory
    var testDescription: String { rawValue }
}

/// A worker played by the test: a DEALER socket, what it received, and what it holds.
final class FakeWorker {
    let name: String
    let socket: ZMQSocket
    unowned let harness: Harness
    /// Everything received that the test has not taken yet (heartbeats are dropped).
    var inbox: [Envelope] = []
    /// Heartbeats received so far (they are counted, not kept).
    private(set) var heartbeats = 0
    /// Messages received that were batches of several.
    private(set) var batchesReceived = 0

    init(name: String, harness: Harness, identity: [UInt8]? = nil, curve: (CurveKeyPair, String)? = nil) throws {
        self.name = name
        self.harness = harness
        socket = try ZMQSocket(harness.context, .dealer)
        try socket.setIdentity(identity ?? Array(name.utf8))
        try socket.setOption(SocketOption.linger, 0)
        if let (pair, serverKey) = curve { try socket.makeCurveClient(pair, serverKey: serverKey) }
        try socket.connect(harness.scheduler.endpoint)
    }

    func send(_ envelope: Envelope) throws {
        _ = try socket.send(envelope.frames)
    }

    func send<Body: Encodable>(_ type: MessageType, _ body: Body) throws {
        try send(try Envelope(type, body))
    }

    /// Several messages in one, as a worker sends the reports it has ready.
    func sendBatch(_ envelopes: [Envelope]) throws {
        _ = try socket.send(Envelope.batch(envelopes))
    }

    func sendRaw(_ frames: [[UInt8]]) throws {
        _ = try socket.send(frames)
    }

    /// Plays an honest worker for one round without waiting: every assignment gets a result,
    /// a fresh welcome (after being dropped) gets a `ready`. Returns the trials it finished.
    @discardableResult
    func serveHonestly() throws -> [Int64] {
        try send(Envelope(type: .heartbeat))  // an idle worker still says it is alive
        try drain()
        var finished: [Int64] = []
        let received = inbox
        inbox.removeAll()
        for envelope in received {
            switch envelope.type {
            case .assign:
                let assignment = try envelope.decode(AssignMessage.self)
                try result(assignment.trialID, value: Double(assignment.number))
                finished.append(assignment.trialID)
            case .welcome:
                try send(Envelope(type: .ready))
            default:
                break
            }
        }
        return finished
    }

    private func drain() throws {
        while let frames = try socket.receive(timeoutMilliseconds: 0) {
            for envelope in try Envelope.messages(frames: frames) {
                if envelope.type != .heartbeat { inbox.append(envelope) } else { heartbeats += 1 }
            }
            batchesReceived += frames.count > 1 && frames[1] == Array(MessageType.batch.rawValue.utf8) ? 1 : 0
        }
    }

    /// Heartbeats received so far, after reading what has arrived.
    func heartbeatsReceived() throws -> Int {
        try drain()
        return heartbeats
    }

    /// Turns the scheduler until a message of `type` arrives; takes and returns it.
    func expect(_ type: MessageType, seconds: Double = 5, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Envelope? {
        var found: Envelope?
        try harness.pump(seconds: seconds) {
            try drain()
            if let index = inbox.firstIndex(where: { $0.type == type }) {
                found = inbox.remove(at: index)
                return true
            }
            return false
        }
        #expect(found != nil, "\(name) expected '\(type.rawValue)', has \(inbox.map(\.type.rawValue))", sourceLocation: sourceLocation)
        return found
    }

    /// Turns the scheduler for a while and says whether a message of `type` came.
    func receivesNothing(_ type: MessageType, seconds: Double = 0.3) throws -> Bool {
        try harness.pump(seconds: seconds) { false }
        try drain()
        return !inbox.contains { $0.type == type }
    }

    /// hello, welcome, ready: the worker is attached and waiting for a trial.
    func join(allowsCommands: Bool = false) throws {
        try send(.hello, HelloMessage(worker: name, host: "test", pid: 1, allowsCommands: allowsCommands))
        _ = try expect(.welcome)
        try send(Envelope(type: .ready))
    }

    /// The next assignment.
    func assignment(seconds: Double = 5, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> AssignMessage? {
        try expect(.assign, seconds: seconds, sourceLocation: sourceLocation).map { try $0.decode(AssignMessage.self) }
    }

    func result(_ trial: Int64, value: Double, pruned: Bool = false) throws {
        try send(.result, ResultMessage(trialID: trial, value: value, seconds: 0.01, pruned: pruned))
    }
}
