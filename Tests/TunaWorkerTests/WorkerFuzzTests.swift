import Foundation
import Testing
import TunaFuzz
import TunaProtocol
import TunaWire
@testable import TunaWorker

/// A real worker loop attached to a scheduler played by the test, which sends it ten thousand
/// fuzzed messages: the worker stays up, reads no file a message names, keeps its memory, and
/// then runs a real trial to its result.
@Suite struct WorkerFuzzTests {
    final class Ending: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String?
        func set(_ text: String) { lock.withLock { value = text } }
        var text: String? { lock.withLock { value } }
    }

    /// Starts a real worker loop on its own thread, as in `tuna worker`, and returns the
    /// identity its hello came from (the one to answer).
    func startWorker(_ options: Worker.Options, answering router: ZMQSocket, ending: Ending) throws -> [UInt8] {
        let thread = Thread {
            do { ending.set("\(try Worker(options).run())") } catch { ending.set("error: \(error)") }
        }
        thread.stackSize = 8 << 20
        thread.start()
        var identity: [UInt8]?
        let deadline = Date().addingTimeInterval(10)
        while identity == nil, Date() < deadline {
            guard let frames = try router.receive(timeoutMilliseconds: 100) else { continue }
            if let (sender, envelope) = try? Envelope.routed(frames), envelope.type == .hello { identity = sender }
        }
        return try #require(identity, "the worker said hello")
    }

    @Test func aWorkerSurvivesTenThousandFuzzedMessagesThenRunsATrial() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(router.lastEndpoint)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-worker-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let options = Worker.Options(endpoint: endpoint, name: "fuzzed", giveUpAfter: 60, cacheDirectory: cache.path)
        let ending = Ending()
        // A worker that hears nothing in time reconnects under a new identity (the fuzz sets
        // absurd heartbeats): follow its latest hello.
        var peer = try startWorker(options, answering: router, ending: ending)
        var received = 0
        func note(_ frames: [[UInt8]]) {
            received += 1
            if let (sender, envelope) = try? Envelope.routed(frames), envelope.type == .hello { peer = sender }
        }
        func drain() throws {
            while let frames = try router.receive(timeoutMilliseconds: 0) { note(frames) }
        }
        let memoryBefore = residentMemoryBytes()
        var fuzzer = MessageFuzzer(seed: 7, direction: .toWorker, trialIDs: 1...20, studyNames: ["fuzzed"])
        for index in 0..<10_000 {
            _ = try router.send([peer] + fuzzer.next(), dontWait: true)
            if index % 50 == 0 {
                try drain()
                usleep(1_000)
            }
        }
        for _ in 0..<50 {
            try drain()
            usleep(10_000)
        }
        #expect(ending.text == nil, "the worker loop ended: \(ending.text ?? "")")
        if let before = memoryBefore, let after = residentMemoryBytes() {
            #expect(after - before < 256 << 20, "memory grew by \(after - before) bytes")
            print("worker fuzz: 10000 messages, resident memory \(before >> 20) -> \(after >> 20) MiB")
        }
        // Nothing a message named was written outside the cache.
        #expect(!FileManager.default.fileExists(atPath: "/tmp/x"), "a fuzzed study hash wrote /tmp/x")

        // A real assignment still gets its result (after any trial still running ends).
        let text = "name: real\nobjective: {function: sphere2}\nsearch: {parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}\n"
        let assignment = AssignMessage(
            trialID: 987_654, study: "real", number: 0, attempt: 1, params: ["x0": .double(0.5), "x1": .double(-0.5)],
            studyText: text, studyFile: "real.yaml", studyHash: sha256Hex(Data(text.utf8)))
        var result: ResultMessage?
        let resultDeadline = Date().addingTimeInterval(30)
        while result == nil, Date() < resultDeadline {
            // Welcome clears whatever the fuzz left the worker holding; then the real trial.
            _ = try router.send([peer] + (try Envelope(.welcome, WelcomeMessage(heartbeatMilliseconds: 200, liveness: 3))).frames, dontWait: true)
            _ = try router.send([peer] + (try Envelope(.assign, assignment)).frames, dontWait: true)
            let until = Date().addingTimeInterval(1)
            while result == nil, Date() < until, let frames = try router.receive(timeoutMilliseconds: 100) {
                note(frames)
                for envelope in (try? Envelope.routedMessages(frames))?.envelopes ?? [] where envelope.type == .result {
                    if let body = try? envelope.decode(ResultMessage.self), body.trialID == assignment.trialID { result = body }
                }
            }
        }
        #expect(abs((result?.value ?? .nan) - 0.5) < 1e-9, "sphere2 at (0.5, -0.5): \(String(describing: result))")
        _ = try router.send([peer] + (try Envelope(.shutdown, ShutdownMessage(reason: "test over"))).frames)
        let stopDeadline = Date().addingTimeInterval(10)
        while ending.text == nil, Date() < stopDeadline { usleep(20_000) }
        #expect(ending.text?.contains("shutdown") == true, "\(ending.text ?? "still running")")
        #expect(received > 0)
    }

    /// A batch whose first assignment does not parse: the worker drops that one and still runs
    /// the one beside it (a scheduler would otherwise wait for it forever).
    @Test func aBrokenMessageInABatchDoesNotTakeItsNeighboursDown() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(router.lastEndpoint)
        let options = Worker.Options(endpoint: endpoint, name: "batched", giveUpAfter: 30, slots: 4)
        let ending = Ending()
        let identity = try startWorker(options, answering: router, ending: ending)
        let text = "name: real\nobjective: {function: sphere2}\nsearch: {parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}\n"
        let good = AssignMessage(
            trialID: 42, study: "real", number: 0, attempt: 1, params: ["x0": .double(0.5), "x1": .double(-0.5)],
            studyText: text, studyFile: "real.yaml", studyHash: sha256Hex(Data(text.utf8)))
        _ = try router.send([identity] + (try Envelope(.welcome, WelcomeMessage(heartbeatMilliseconds: 200, liveness: 3))).frames)
        _ = try router.send([identity] + Envelope.batch([
            Envelope(type: .assign, body: Array(#"{"trialID": 41, "study": "#.utf8)),
            try Envelope(.assign, good),
        ]))
        var result: ResultMessage?
        let until = Date().addingTimeInterval(10)
        while result == nil, Date() < until {
            guard let frames = try router.receive(timeoutMilliseconds: 100) else { continue }
            for envelope in (try? Envelope.routedMessages(frames))?.envelopes ?? [] where envelope.type == .result {
                result = try? envelope.decode(ResultMessage.self)
            }
        }
        #expect(result?.trialID == 42 && abs((result?.value ?? .nan) - 0.5) < 1e-9, "\(String(describing: result))")
        _ = try router.send([identity] + (try Envelope(.shutdown, ShutdownMessage(reason: "test over"))).frames)
        let stopDeadline = Date().addingTimeInterval(10)
        while ending.text == nil, Date() < stopDeadline { usleep(20_000) }
        #expect(ending.text?.contains("shutdown") == true, "\(ending.text ?? "still running")")
    }
}
