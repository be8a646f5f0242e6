import Foundation
import Testing
import TunaFuzz
import TunaProtocol
import TunaStore
import TunaWire

@testable import TunaScheduler

/// Ten thousand fuzzed messages at a live scheduler while honest workers run a real study:
/// the loop never stops, memory stays bounded, the study ends with every trial accounted for,
/// the in-memory queues agree with the store, and a study started afterwards runs normally.
@Suite struct FuzzTests {
    @Test func theSchedulerSurvivesTenThousandFuzzedMessagesDuringAStudy() throws {
        let harness = try Harness(backend: .sqlite, heartbeat: 0.1, liveness: 3)
        try harness.scheduler.add(try harness.sphere("honest-x9", trials: 40, maxAttempts: 5))
        let honest = try (1...2).map { try harness.worker("honest-\($0)") }
        for worker in honest { try worker.join() }
        let fuzzers = try (0..<6).map { index -> ZMQSocket in
            let socket = try ZMQSocket(harness.context, .dealer)
            try socket.setIdentity(Array("fuzz-\(index)".utf8))
            try socket.connect(harness.scheduler.endpoint)
            return socket
        }
        func serve(steps: Int) throws {
            for _ in 0..<steps { try harness.scheduler.step(timeoutMilliseconds: 0) }
            for worker in honest { try worker.serveHonestly() }
        }
        try serve(steps: 10)
        let memoryBefore = residentMemoryBytes()
        var fuzzer = MessageFuzzer(seed: 20261201, direction: .toScheduler, trialIDs: 1...80, studyNames: ["fuzzed", "other"])
        var sent = 0
        for index in 0..<10_000 {
            if try fuzzers[index % fuzzers.count].send(fuzzer.next(), dontWait: true) { sent += 1 }
            if index % 20 == 0 { try serve(steps: 3) }
        }
        try serve(steps: 50)
        let memoryAfter = residentMemoryBytes()
        #expect(sent >= 10_000 - 100, "messages sent: \(sent)")
        if let before = memoryBefore, let after = memoryAfter {
            #expect(after - before < 256 << 20, "memory grew by \(after - before) bytes")
            print("scheduler fuzz: \(sent) messages, resident memory \(before >> 20) -> \(after >> 20) MiB")
        }
        // The fuzzers fall silent: what they held goes back to the queue, the honest finish it.
        for socket in fuzzers { socket.close() }
        let settled = try harness.pump(seconds: 30) {
            for worker in honest { try worker.serveHonestly() }
            return try harness.trials("honest-x9").filter { $0.state.isFinished }.count == 40
        }
        let trials = try harness.trials("honest-x9")
        #expect(settled, "\(trials.filter { !$0.state.isFinished }.map { ($0.number, $0.state) })")
        #expect(trials.count == 40 && Set(trials.map(\.number)) == Set(0..<40), "each trial once")
        #expect(trials.allSatisfy { $0.state.isFinished })
        try harness.expectConsistent()

        // A study submitted afterwards runs to the end on the same scheduler.
        try harness.scheduler.add(try harness.sphere("after-fuzz", trials: 10))
        let finishedAfter = try harness.pump(seconds: 20) {
            for worker in honest { try worker.serveHonestly() }
            return try harness.trials("after-fuzz").filter { $0.state == .complete }.count == 10
        }
        #expect(finishedAfter, "\(harness.scheduler.statuses) workers \(harness.scheduler.workerCount) \(harness.log.suffix(15))")
        try harness.expectConsistent()
    }
}
