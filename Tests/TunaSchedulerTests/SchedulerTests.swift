import Foundation
import Testing
import TunaProtocol
import TunaSpec
import TunaStore
import TunaWire

@testable import TunaScheduler

/// The scheduler in one process, over both stores: each test sends real messages over
/// loopback ZeroMQ and checks what the workers are told, what the store holds, and that the
/// in-memory queues agree with the store afterwards.
@Suite struct SchedulerTests {
    @Test(arguments: StoreKind.allCases)
    func trialsRunToTheBudgetAndTheStudySettles(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 3))
        let worker = try harness.worker("w1")
        try worker.join()
        for expected in 0..<3 {
            let assignment = try #require(try worker.assignment())
            #expect(assignment.number == expected && assignment.attempt == 1)
            // The study text travels with a worker's first trial of the study only.
            #expect((assignment.studyText != nil) == (expected == 0))
            try worker.result(assignment.trialID, value: Double(expected))
        }
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.state) == [.complete, .complete, .complete])
        #expect(try harness.trials("sphere").map(\.value) == [0, 1, 2])
        #expect(try worker.receivesNothing(.assign))
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func pruneDecisionsGoOverTheWireAndAnObeyingWorkerEndsPruned(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 2, pruner: "{median: {startup_trials: 1, warmup_steps: 0}}"))
        let worker = try harness.worker("w1")
        try worker.join()
        let first = try #require(try worker.assignment())
        try worker.send(.progress, ProgressMessage(trialID: first.trialID, step: 0, value: 1.0))
        #expect(try worker.expect(.decision)?.decode(DecisionMessage.self) == DecisionMessage(trialID: first.trialID, prune: false))
        try worker.result(first.trialID, value: 1.0)

        // Worse than the median of the finished trials at the same step (minimising): pruned.
        let second = try #require(try worker.assignment())
        try worker.send(.progress, ProgressMessage(trialID: second.trialID, step: 0, value: 5.0))
        #expect(try worker.expect(.decision)?.decode(DecisionMessage.self) == DecisionMessage(trialID: second.trialID, prune: true))
        // The worker's own value (say, the mean of the folds it finished) is not what a pruned
        // trial keeps: its last report at the step it was stopped is.
        try worker.result(second.trialID, value: 0.001, pruned: true)
        #expect(try harness.pump { harness.scheduler.isFinished })
        let trials = try harness.trials("sphere")
        #expect(trials.map(\.state) == [.complete, .pruned])
        #expect(trials.last?.value == 5.0)
        #expect(try harness.store.intermediateValues(trial: second.trialID) == [IntermediateValue(step: 0, value: 5.0)])
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aSilentWorkersTrialIsRetriedElsewhereThenFailsAfterMaxAttempts(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind, heartbeat: 0.05, liveness: 2)
        try harness.scheduler.add(try harness.sphere(trials: 1, maxAttempts: 2))
        let first = try harness.worker("silent-1")
        try first.join()
        let lost = try #require(try first.assignment())
        // The worker says nothing more: after liveness × heartbeat it is dropped and its trial
        // goes back to the queue, counted as an attempt.
        #expect(try harness.pump { try harness.trials("sphere").first?.state == .waiting })
        #expect(harness.log.contains { $0.contains("silent-1 went silent") })
        try harness.expectConsistent()

        let second = try harness.worker("silent-2")
        try second.join()
        let retried = try #require(try second.assignment())
        #expect(retried.trialID == lost.trialID && retried.attempt == 2)
        #expect(try harness.pump { try harness.trials("sphere").first?.state == .fail })
        let failed = try #require(try harness.trials("sphere").first)
        #expect(failed.attempts == 2 && failed.error?.contains("silent-2 went silent") == true, "\(failed)")
        #expect(try harness.pump { harness.scheduler.isFinished })
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func reportedFailuresAreFinalUnlessTheWorkerSaysTheyMayPassOnARetry(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 2, maxAttempts: 3))
        let worker = try harness.worker("w1")
        try worker.join()
        let diverged = try #require(try worker.assignment())
        try worker.send(.failed, FailedMessage(trialID: diverged.trialID, error: "fold 1: the loss became NaN at epoch 3"))
        try worker.send(Envelope(type: .ready))
        let next = try #require(try worker.assignment())
        #expect(next.trialID != diverged.trialID, "a diverged configuration is not run again")
        #expect(try harness.store.trial(id: diverged.trialID)?.state == .fail)

        try worker.send(.failed, FailedMessage(trialID: next.trialID, error: "the data set could not be stored", retryable: true))
        try worker.send(Envelope(type: .ready))
        let again = try #require(try worker.assignment())
        #expect(again.trialID == next.trialID && again.attempt == 2)
        try worker.result(again.trialID, value: 0.5)
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.state) == [.fail, .complete])
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aWorkerHoldsAsManyTrialsAsItsSlotsAndLosesThemAllWhenItFallsSilent(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind, heartbeat: 0.2, liveness: 3)
        try harness.scheduler.add(try harness.sphere(trials: 6, maxAttempts: 3))
        let holder = try harness.worker("holder")
        try holder.send(.hello, HelloMessage(worker: "holder", host: "test", pid: 1, slots: 3))
        _ = try holder.expect(.welcome)
        try holder.send(.ready, ReadyMessage(slots: 3))
        let first = try (0..<3).map { _ in try #require(try holder.assignment()) }
        #expect(first.map(\.number) == [0, 1, 2] && first.allSatisfy { $0.attempt == 1 })
        try holder.send(Envelope(type: .heartbeat))
        #expect(try holder.receivesNothing(.assign, seconds: 0.2), "three slots, three trials")
        // Results of two, sent in one batch, are stored together and refill two slots, whose
        // trials come back in one batch too.
        try holder.sendBatch([
            try Envelope(.result, ResultMessage(trialID: first[0].trialID, value: 0.5, seconds: 0)),
            try Envelope(.result, ResultMessage(trialID: first[1].trialID, value: 0.25, seconds: 0)),
        ])
        let refill = try (0..<2).map { _ in try #require(try holder.assignment()) }
        #expect(refill.map(\.number) == [3, 4])
        #expect(holder.batchesReceived == 2, "the first three and the refill, each one message")
        #expect(try harness.trials("sphere").prefix(2).map(\.value) == [0.5, 0.25])
        try harness.expectConsistent()

        // Silent while holding three (one running, two queued): all three go back, each
        // counted as an attempt, and another worker runs them as attempt 2.
        let lost = Set([first[2].trialID] + refill.map(\.trialID))
        #expect(try harness.pump { try harness.trials("sphere").filter { $0.state == .waiting }.count == 3 })
        try harness.expectConsistent()
        let heir = try harness.worker("heir")
        try heir.join()
        var rerun: Set<Int64> = []
        for _ in 0..<4 {
            let assignment = try #require(try heir.assignment())
            if lost.contains(assignment.trialID) {
                #expect(assignment.attempt == 2)
                rerun.insert(assignment.trialID)
            }
            try heir.result(assignment.trialID, value: 1)
        }
        #expect(rerun == lost)
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").allSatisfy { $0.state == .complete })
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func slotCountsOutsideTheLimitAreRefusedBeforeAnyTrialIsHeld(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 4))
        let greedy = try harness.worker("greedy")
        for slots in [0, -1, TrialSlots.range.upperBound + 1, Int.max] {
            try greedy.send(.hello, HelloMessage(worker: "greedy", host: "test", pid: 1, slots: slots))
        }
        #expect(try greedy.receivesNothing(.welcome))
        #expect(harness.log.contains { $0.contains("not \(Int.max)") }, "\(harness.log)")
        // A welcomed worker asking for too many in its ready keeps its slots (one) and one trial.
        try greedy.join()
        try greedy.send(.ready, ReadyMessage(slots: 1000))
        _ = try #require(try greedy.assignment())
        #expect(try greedy.receivesNothing(.assign))
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aRepeatedHelloPutsTheHeldTrialBackInBothQueues(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 2))
        let worker = try harness.worker("w1")
        try worker.join()
        let held = try #require(try worker.assignment())
        try worker.join()  // the same identity says hello again: it restarted
        let reassigned = try #require(try worker.assignment())
        #expect(reassigned.trialID == held.trialID && reassigned.attempt == 2)
        try harness.expectConsistent()
        try worker.result(reassigned.trialID, value: 1)
        let last = try #require(try worker.assignment())
        try worker.result(last.trialID, value: 2)
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.state) == [.complete, .complete])
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func stopThenResubmitKeepsTheRunningTrialAndItsWorker(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        let study = try harness.sphere(trials: 3)
        try harness.scheduler.add(study)
        let worker = try harness.worker("w1"), client = try harness.worker("client")
        try worker.join()
        let held = try #require(try worker.assignment())

        try client.send(.stopStudy, StopStudyMessage(study: "sphere"))
        #expect(try client.expect(.reply)?.decode(ReplyMessage.self).ok == true)
        try client.send(.submit, SubmitMessage(studyText: study.text, studyFile: study.file))
        let reply = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
        #expect(reply.ok && reply.message.contains("resumed"), "\(reply.message)")
        try harness.expectConsistent()

        // The crash this once caused: a repeated hello from the worker holding the trial.
        try worker.join()
        let retried = try #require(try worker.assignment())
        #expect(retried.trialID == held.trialID)
        try worker.result(retried.trialID, value: 1)
        for _ in 0..<2 {
            let next = try #require(try worker.assignment(), "the worker keeps getting trials after the resubmit")
            try worker.result(next.trialID, value: 2)
        }
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.state) == [.complete, .complete, .complete])
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aStoppedStudysFinishingWorkerIsServedWhenItIsResubmitted(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        let study = try harness.sphere(trials: 2)
        try harness.scheduler.add(study)
        let worker = try harness.worker("w1"), client = try harness.worker("client")
        try worker.join()
        let held = try #require(try worker.assignment())
        try client.send(.stopStudy, StopStudyMessage(study: "sphere"))
        _ = try client.expect(.reply)
        try worker.result(held.trialID, value: 1)  // finishes while stopped: no new trial
        #expect(try worker.receivesNothing(.assign))
        try client.send(.submit, SubmitMessage(studyText: study.text, studyFile: study.file))
        _ = try client.expect(.reply)
        let next = try #require(try worker.assignment())
        try worker.result(next.trialID, value: 2)
        #expect(try harness.pump { harness.scheduler.isFinished })
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aLateResultFromADroppedWorkerIsDiscardedAndCountedOnce(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind, heartbeat: 0.05, liveness: 2)
        try harness.scheduler.add(try harness.sphere(trials: 1, maxAttempts: 3))
        let slow = try harness.worker("slow")
        try slow.join()
        let first = try #require(try slow.assignment())
        #expect(try harness.pump { try harness.trials("sphere").first?.state == .waiting })
        let fast = try harness.worker("fast")
        try fast.join()
        let second = try #require(try fast.assignment())
        #expect(second.trialID == first.trialID)
        try slow.result(first.trialID, value: 99)  // the dropped worker's late result
        #expect(try slow.expect(.welcome) != nil, "an unknown worker is welcomed afresh")
        try fast.result(second.trialID, value: 1)
        #expect(try harness.pump { harness.scheduler.isFinished })
        let trials = try harness.trials("sphere")
        #expect(trials.count == 1 && trials[0].state == .complete && trials[0].value == 1)
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func reportsForTrialsAWorkerDoesNotHoldAreDiscarded(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 2))
        let owner = try harness.worker("owner"), intruder = try harness.worker("intruder")
        try owner.join()
        let held = try #require(try owner.assignment())
        try intruder.join()
        let own = try #require(try intruder.assignment())
        try intruder.result(held.trialID, value: -1e300)  // not its trial
        try intruder.send(.progress, ProgressMessage(trialID: held.trialID, step: 0, value: 3))
        #expect(try intruder.receivesNothing(.decision))
        #expect(harness.log.contains { $0.contains("discarded a result for trial \(held.trialID) from intruder") }, "\(harness.log)")
        #expect(try harness.store.trial(id: held.trialID)?.state == .running)
        try owner.result(held.trialID, value: 0.5)
        try intruder.result(own.trialID, value: 0.7)
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.value) == [0.5, 0.7])
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func malformedMessagesAreLoggedAndTheLoopGoesOn(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 1))
        let peer = try harness.worker("peer")
        try peer.sendRaw([Array(WireProtocol.version.utf8), Array("result".utf8), Array("{not json".utf8)])
        try peer.sendRaw([Array(WireProtocol.version.utf8), Array("no_such_type".utf8), Array("{}".utf8)])
        try peer.sendRaw([Array("tuna/0".utf8), Array("hello".utf8), Array("{}".utf8)])
        #expect(try peer.expect(.refuse)?.decode(RefuseMessage.self).reason.contains("tuna/0") == true)
        try peer.sendRaw([[0xff, 0x1b, 0x5b, 0x32, 0x4a]])  // a terminal escape as the only frame
        try peer.sendRaw([Array(WireProtocol.version.utf8), Array("hello".utf8), Array(#"{"worker":"x\u001b[2J","host":"h","pid":1}"#.utf8)])
        _ = try peer.expect(.welcome)
        #expect(!harness.log.contains { $0.contains("\u{1b}") }, "control characters are escaped in the log")
        try peer.send(Envelope(type: .ready))
        let assignment = try #require(try peer.assignment())
        try peer.result(assignment.trialID, value: 1)
        #expect(try harness.pump { harness.scheduler.isFinished })
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aNonFiniteResultFailsTheTrialAndTheWorkerGetsTheNext(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.sphere(trials: 2))
        let worker = try harness.worker("w1")
        try worker.join()
        let first = try #require(try worker.assignment())
        // JSON has no NaN; a peer may still write a number too large for a Double.
        try worker.sendRaw([Array(WireProtocol.version.utf8), Array("result".utf8),
                            Array(#"{"trialID":\#(first.trialID),"value":1e999,"foldValues":[],"foldSeconds":[],"metrics":{},"seconds":1,"pruned":false}"#.utf8)])
        let next = try #require(try worker.assignment())
        #expect(next.trialID != first.trialID)
        let failed = try #require(try harness.store.trial(id: first.trialID))
        #expect(failed.state == .fail && failed.error?.contains("did not parse") == true, "\(failed)")
        try worker.result(next.trialID, value: 1)
        #expect(try harness.pump { harness.scheduler.isFinished })
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func dataSetsAreServedByTheirHashOnly(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        let csv = "a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
        try csv.write(to: harness.folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        let study = try harness.study("""
            name: net
            data: {path: data.csv, target: target}
            model: {layers: [{dense: {units: 2, activation: softmax}}], loss: sparse_categorical_crossentropy, epochs: 1}
            search: {algorithm: random, trials: 1, metric: accuracy, parameters: {lr: {float: [0.001, 0.1]}}}
            """)
        try harness.scheduler.add(study)
        let worker = try harness.worker("w1")
        try worker.join()
        let assignment = try #require(try worker.assignment())
        let hash = try #require(assignment.datasetHash)
        #expect(hash == sha256Hex(Data(csv.utf8)))

        try worker.send(.needDataset, DatasetMessage(hash: String(repeating: "0", count: 64), fileExtension: ""))
        try worker.send(.needDataset, DatasetMessage(hash: "../../etc/passwd", fileExtension: ""))
        #expect(try worker.receivesNothing(.dataset), "an unknown hash gets nothing")
        try worker.send(.needDataset, DatasetMessage(hash: hash, fileExtension: ""))
        let dataset = try #require(try worker.expect(.dataset))
        #expect(dataset.attachment.map { sha256Hex(Data($0)) } == hash)
        #expect(try dataset.decode(DatasetMessage.self).fileExtension == "csv")
        try harness.expectConsistent()
    }
}

/// Submissions carry their data; the daemon opens no path that a message names, keeps the
/// bytes in the store and serves them after a restart.
@Suite struct SubmissionTests {
    static let csv = "a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"

    static func networkStudy(path: String) -> String {
        """
        name: net
        data: {path: \(path), target: target}
        model: {layers: [{dense: {units: 2, activation: softmax}}], loss: sparse_categorical_crossentropy, epochs: 1}
        search: {algorithm: random, trials: 1, metric: accuracy, parameters: {lr: {float: [0.001, 0.1]}}}
        """
    }

    @Test func aStudyNamingAPathOnTheDaemonGetsNothingFromIt() throws {
        let harness = try Harness(backend: .sqlite)
        let client = try harness.worker("client")
        try client.send(.submit, SubmitMessage(studyText: Self.networkStudy(path: "/etc/passwd"), studyFile: "evil.yaml"))
        let reply = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
        #expect(!reply.ok && reply.message.contains("does not read paths"), "\(reply.message)")
        #expect(try harness.store.studies().isEmpty)
    }

    @Test func bytesThatDoNotMatchTheirHashAreRefused() throws {
        let harness = try Harness(backend: .memory)
        let client = try harness.worker("client")
        let declared = DatasetMessage(hash: sha256Hex(Data("other".utf8)), fileExtension: "csv")
        try client.send(try Envelope(.submit, SubmitMessage(studyText: Self.networkStudy(path: "data.csv"), studyFile: "s.yaml", dataset: declared),
                                     attachment: Array(Self.csv.utf8)))
        let reply = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
        #expect(!reply.ok && reply.message.contains("not the declared"), "\(reply.message)")
        let badExtension = DatasetMessage(hash: sha256Hex(Data(Self.csv.utf8)), fileExtension: "../../x")
        try client.send(try Envelope(.submit, SubmitMessage(studyText: Self.networkStudy(path: "data.csv"), studyFile: "s.yaml", dataset: badExtension),
                                     attachment: Array(Self.csv.utf8)))
        #expect(try client.expect(.reply)?.decode(ReplyMessage.self).message.contains("alphanumeric") == true)
    }

    @Test func submittedDataAreServedAgainAfterARestart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("daemon.sqlite").path
        let hash = sha256Hex(Data(Self.csv.utf8))
        do {
            let harness = try Harness(store: try SQLiteTrialStore(path: database))
            let client = try harness.worker("client")
            // The path in the text names nothing on this machine: the bytes come with it.
            try client.send(try Envelope(.submit, SubmitMessage(
                studyText: Self.networkStudy(path: "/nowhere/data.csv"), studyFile: "net.yaml",
                dataset: DatasetMessage(hash: hash, fileExtension: "csv")), attachment: Array(Self.csv.utf8)))
            let reply = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
            #expect(reply.ok, "\(reply.message)")
            try harness.store.checkpoint()
        }
        // A new scheduler on the same file resumes the study and serves the stored bytes.
        let harness = try Harness(store: try SQLiteTrialStore(path: database))
        try harness.scheduler.resumeUnfinished()
        #expect(harness.scheduler.statuses.map(\.name) == ["net"], "\(harness.log)")
        let worker = try harness.worker("w1")
        try worker.join()
        let assignment = try #require(try worker.assignment())
        #expect(assignment.datasetHash == hash)
        try worker.send(.needDataset, DatasetMessage(hash: hash, fileExtension: ""))
        let dataset = try #require(try worker.expect(.dataset))
        #expect(dataset.attachment == Array(Self.csv.utf8))
        try worker.send(.needDataset, DatasetMessage(hash: hash, fileExtension: ""))
        #expect(try worker.receivesNothing(.dataset), "one transfer per trial")
    }
}

@Suite struct TimeBudgetTests {
    @Test func aTimeBudgetStopsNewTrialsAndTheStudyEnds() throws {
        let harness = try Harness(backend: .memory)
        try harness.scheduler.add(try harness.study("""
            name: timed
            objective: {function: sphere2}
            search: {algorithm: random, trials: 100000, time_budget: 0.5, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """))
        let worker = try harness.worker("w1")
        try worker.join()
        let started = Date()
        let ended = try harness.pump(seconds: 10) {
            try worker.serveHonestly()
            return harness.scheduler.isFinished
        }
        let elapsed = Date().timeIntervalSince(started)
        let trials = try harness.trials("timed")
        #expect(ended && elapsed >= 0.45 && elapsed < 3, "ended \(ended) after \(elapsed) s")
        #expect(!trials.isEmpty && trials.count < 100000 && trials.allSatisfy { $0.state == .complete }, "\(trials.count) trials")
        try harness.expectConsistent()
    }
}
