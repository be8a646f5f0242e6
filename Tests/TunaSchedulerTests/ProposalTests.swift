import Foundation
import Testing
import TunaProtocol
import TunaSearch
import TunaSpec
import TunaStore
import TunaWire

@testable import TunaScheduler

/// A sampler that reads the history (so the scheduler asks it on the sampler thread) and
/// answers each ask only when the test lets it through: a slow Gaussian process on demand.
/// Its point is a function of the trial number, so a repeated ask would show as a repeated
/// point; every context it was given is kept for the test to read.
final class GatedSampler: Sampler, @unchecked Sendable {
    private let lock = NSLock()
    private let gate = DispatchSemaphore(value: 0)
    private var contexts: [SamplingContext] = []
    private var blocked = 0

    func ask(_ context: SamplingContext) throws -> Parameters {
        lock.withLock { blocked += 1 }
        defer { lock.withLock { blocked -= 1 } }
        // Bounded: a test that forgets to open the gate fails instead of hanging the thread.
        guard gate.wait(timeout: .now() + 10) == .success else { throw SamplerError.invalidOption("the gate stayed shut") }
        lock.withLock { contexts.append(context) }
        let n = Double(context.trialNumber)
        return ["x0": .double(n / 1000), "x1": .double(-n / 1000)]
    }

    /// Lets `count` asks through.
    func open(_ count: Int = 1) {
        for _ in 0..<count { gate.signal() }
    }

    var asksWaiting: Int { lock.withLock { blocked } }
    var answered: [SamplingContext] { lock.withLock { contexts } }
}

@Suite struct ProposalTests {
    /// A harness whose studies all use `sampler`.
    func harness(_ kind: StoreKind, sampler: GatedSampler, heartbeat: Double = 0.2) throws -> Harness {
        let harness = try Harness(backend: kind, heartbeat: heartbeat)
        harness.scheduler.makeSampler = { _ in sampler }
        return harness
    }

    /// Turns the loop (workers heartbeating) until `condition` holds or `seconds` pass.
    func pump(_ harness: Harness, _ workers: [FakeWorker], seconds: Double = 5, until condition: () throws -> Bool) throws -> Bool {
        var lastBeat = Date.distantPast
        return try harness.pump(seconds: seconds) {
            if Date().timeIntervalSince(lastBeat) > 0.05 {
                lastBeat = Date()
                for worker in workers { try worker.send(Envelope(type: .heartbeat)) }
            }
            return try condition()
        }
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatsResultsAndControlAreServedWhileAnAskIsStuck(_ kind: StoreKind) throws {
        let sampler = GatedSampler()
        let harness = try harness(kind, sampler: sampler)
        try harness.scheduler.add(try harness.sphere(trials: 4))
        let first = try harness.worker("w1"), second = try harness.worker("w2"), client = try harness.worker("client")
        try first.join()
        #expect(try pump(harness, [first]) { sampler.asksWaiting == 1 })
        sampler.open()
        let held = try #require(try first.assignment())

        // The second worker's ask blocks on the sampler thread; the loop must go on serving.
        try second.join()
        #expect(try pump(harness, [first, second]) { sampler.asksWaiting == 1 })
        try first.result(held.trialID, value: 0.5)
        #expect(try pump(harness, [first, second]) { try harness.trials("sphere").first?.state == .complete })
        try client.send(Envelope(type: .status))
        let status = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
        #expect(status.ok && status.workers == 2)
        // Heartbeats keep flowing both ways for several liveness periods (3 × 0.2 s).
        let heartbeatsBefore = try first.heartbeatsReceived()
        #expect(try !pump(harness, [first, second], seconds: 1) { false })
        #expect(try first.heartbeatsReceived() - heartbeatsBefore >= 3)
        #expect(!harness.log.contains { $0.contains("went silent") }, "\(harness.log)")
        #expect(sampler.asksWaiting == 1 && harness.scheduler.workerCount == 2)

        // Let the asks through: both waiting workers get distinct trials.
        sampler.open(8)
        let a = try #require(try first.assignment()), b = try #require(try second.assignment())
        #expect(a.trialID != b.trialID && a.params != b.params)
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func proposalsAreNeverDuplicatedAndQueuedOnesCountAsRunning(_ kind: StoreKind) throws {
        let sampler = GatedSampler()
        sampler.open(1000)
        let harness = try harness(kind, sampler: sampler)
        try harness.scheduler.add(try harness.sphere(trials: 40))
        // Enough workers that proposals are asked ahead (workers / 4) and an ask starts while
        // some are still queued.
        let workers = try (0..<12).map { try harness.worker("w\($0)") }
        for worker in workers { try worker.join() }
        #expect(try harness.pump(seconds: 20) {
            for worker in workers { try worker.serveHonestly() }
            return harness.scheduler.isFinished
        })
        let trials = try harness.trials("sphere")
        #expect(trials.count == 40 && trials.allSatisfy { $0.state == .complete })
        #expect(Set(trials.map(\.number)) == Set(0..<40))
        #expect(Set(trials.map { $0.params.description }).count == 40, "a proposal was handed out twice")
        // Every ask saw the proposals still queued (and the trials running) as running: none
        // proposed from a snapshot that missed an earlier point not yet finished.
        let asked = sampler.answered
        #expect(Set(asked.map(\.trialNumber)).count == asked.count)
        // The case that matters happened: an ask with more trials out than the 12 workers hold,
        // so some were proposals still queued.
        #expect(asked.contains { $0.trialNumber - $0.history.count > 12 })
        for context in asked {
            let finished = Set(context.history.map(\.number))
            let pending = (0..<context.trialNumber).filter { !finished.contains($0) }
            #expect(context.running.count == pending.count, "ask \(context.trialNumber): running \(context.running.count), pending \(pending)")
        }
        try harness.expectConsistent()
    }

    /// A worker welcomed asks for work within a round trip: a wave of them joining (a job
    /// array starting) is asked for as it joins, in one ask, not a round trip behind it.
    @Test func workersJustWelcomedAreAskedForBeforeTheirReadyArrives() throws {
        let sampler = GatedSampler()
        let harness = try harness(.memory, sampler: sampler, heartbeat: 5)
        let workers = try (0..<300).map { try harness.worker("w\($0)") }
        for worker in workers { try worker.send(.hello, HelloMessage(worker: worker.name, host: "test", pid: 1)) }
        #expect(try harness.pump { harness.scheduler.workerCount == 300 })
        let active = try harness.scheduler.add(try harness.sphere(trials: 1000))
        try harness.scheduler.step(timeoutMilliseconds: 0)
        // Not one of them has said `ready`; the ask covers all 300 (not only the 128 kept ahead).
        #expect(harness.scheduler.waitingWorkers == 0)
        #expect(active.proposals?.inFlight == 300)
        sampler.open(300)
        #expect(try harness.pump { active.proposals?.queued.count == 300 })
    }

    @Test(arguments: StoreKind.allCases)
    func aStudyStoppedDuringAnAskGetsNoTrialAndResumesCleanly(_ kind: StoreKind) throws {
        let sampler = GatedSampler()
        var harness: Harness? = try self.harness(kind, sampler: sampler)
        let study = try #require(harness).sphere(trials: 2)
        try #require(harness).scheduler.add(study)
        let worker = try #require(harness).worker("w1"), client = try #require(harness).worker("client")
        try worker.join()
        #expect(try pump(#require(harness), [worker]) { sampler.asksWaiting == 1 })
        try client.send(.stopStudy, StopStudyMessage(study: "sphere"))
        #expect(try client.expect(.reply)?.decode(ReplyMessage.self).ok == true)
        sampler.open()
        // The answer comes back after the stop: dropped, not handed out, nothing stored.
        #expect(try pump(#require(harness), [worker]) { sampler.asksWaiting == 0 && sampler.answered.count == 1 })
        #expect(try worker.receivesNothing(.assign, seconds: 0.3))
        #expect(try #require(harness).trials("sphere").isEmpty)
        try #require(harness).expectConsistent()

        // Resumed, the study asks afresh and the worker is served.
        try client.send(.submit, SubmitMessage(studyText: study.text, studyFile: study.file))
        #expect(try client.expect(.reply)?.decode(ReplyMessage.self).ok == true)
        sampler.open()
        let next = try #require(try worker.assignment())
        #expect(next.number == 0)
        try #require(harness).expectConsistent()

        // Stopped again with an ask stuck, then the scheduler goes away: the sampler thread
        // ends once the ask returns, and nothing it held is kept alive.
        try worker.result(next.trialID, value: 1)
        #expect(try pump(#require(harness), [worker]) { sampler.asksWaiting == 1 })
        try client.send(.stopStudy, StopStudyMessage(study: "sphere"))
        _ = try client.expect(.reply)
        weak let thread = try #require(harness).scheduler.samplerThread
        #expect(thread != nil)
        harness = nil
        sampler.open()
        let deadline = Date().addingTimeInterval(5)
        while thread != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(thread == nil, "the sampler thread outlived its scheduler")
    }

    @Test(arguments: StoreKind.allCases)
    func anAnswerForAStudyThatFinishedMeanwhileIsNotHandedOut(_ kind: StoreKind) throws {
        let sampler = GatedSampler()
        let harness = try harness(kind, sampler: sampler)
        // A time budget that runs out while the second worker's ask is stuck: the first
        // worker's result then finishes the study.
        try harness.scheduler.add(try harness.study("""
            name: timed
            objective: {function: sphere2}
            search: {algorithm: random, trials: 100, time_budget: 0.4, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """))
        let first = try harness.worker("w1"), second = try harness.worker("w2")
        try first.join()
        #expect(try pump(harness, [first]) { sampler.asksWaiting == 1 })
        sampler.open()
        let held = try #require(try first.assignment())
        try second.join()
        #expect(try pump(harness, [first, second]) { sampler.asksWaiting == 1 })
        Thread.sleep(forTimeInterval: 0.5)
        try first.result(held.trialID, value: 1)
        #expect(try pump(harness, [first, second]) { harness.scheduler.isFinished })
        sampler.open(4)
        #expect(try pump(harness, [first, second], seconds: 0.5) { false } == false)
        #expect(try first.receivesNothing(.assign) && second.receivesNothing(.assign))
        #expect(try harness.trials("timed").count == 1)
        try harness.expectConsistent()
    }

    @Test(arguments: StoreKind.allCases)
    func aRealGaussianProcessStudyRunsToItsBudget(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.study("""
            name: gp
            objective: {function: sphere2}
            search: {algorithm: bayesian, trials: 14, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """))
        let workers = try (0..<3).map { try harness.worker("w\($0)") }
        for worker in workers { try worker.join() }
        #expect(try harness.pump(seconds: 30) {
            for worker in workers { try worker.serveHonestly() }
            return harness.scheduler.isFinished
        })
        let trials = try harness.trials("gp")
        #expect(trials.count == 14 && trials.allSatisfy { $0.state == .complete })
        #expect(Set(trials.map { $0.params.description }).count == 14)
        try harness.expectConsistent()
    }
}

@Suite struct ProposalReproducibilityTests {
    /// With one worker nothing is asked ahead: each trial's parameters are what the sampler
    /// proposes from every earlier result, exactly as when asks ran on the loop's thread.
    @Test func aOneWorkerRunProposesAsTheSamplerDoesFromTheFullHistory() throws {
        let harness = try Harness(backend: .sqlite)
        let study = try harness.study("""
            name: tpe
            objective: {function: sphere2}
            search: {algorithm: tpe, seed: 7, trials: 14, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}
            """)
        try harness.scheduler.add(study)
        let worker = try harness.worker("w1")
        try worker.join()
        #expect(try harness.pump(seconds: 20) {
            try worker.serveHonestly()
            return harness.scheduler.isFinished
        })
        let trials = try harness.trials("tpe")
        #expect(trials.count == 14)
        let sampler = study.search.algorithm.make(seed: study.search.seed)
        var history: [Trial] = []
        for record in trials {
            let params = ParameterCodec.parameters(record.params, space: study.search.space)
            let expected = try sampler.ask(SamplingContext(
                space: study.search.space, direction: study.search.direction, history: history, running: [], trialNumber: record.number))
            #expect(params == expected, "trial \(record.number)")
            history.append(Trial(number: record.number, state: .complete, params: params, value: record.value))
        }
    }
}

/// How far ahead a study's queue is filled: from what the workers took while the last ask ran.
@Suite struct ProposalDemandTests {
    func answer(_ queue: ProposalQueue, points: Int) -> SamplerThread.Answer {
        SamplerThread.Answer(
            study: queue.serial, generation: queue.generation,
            proposals: (0..<points).map { ["x0": .double(Double($0))] }, error: nil, seconds: 0.05)
    }

    @Test func theQueueKeepsTwiceTheRecentAsksDemandAheadAndBatchesGrowToIt() {
        let queue = ProposalQueue(serial: 1)
        #expect(queue.ahead(base: 32) == 32 && queue.batchLimit == ProposalQueue.maximumBatch)
        queue.asking(64)
        _ = queue.receive(answer(queue, points: 64), keep: 1000, now: Date())
        // The workers take 60 while the next ask runs, and 40 more wait when it comes back.
        queue.asking(64)
        for _ in 0..<60 { _ = queue.next() }
        _ = queue.receive(answer(queue, points: 64), keep: 1000, waiting: 40, now: Date())
        #expect(queue.demand == 100)
        #expect(queue.ahead(base: 32) == 200)
        #expect(queue.batchLimit == 125)
        // One worker: nothing ahead, whatever the demand (a one-worker run stays reproducible).
        #expect(queue.ahead(base: 0) == 0)
        // Bounded however many workers wait.
        queue.asking(64)
        _ = queue.receive(answer(queue, points: 0), keep: 1000, waiting: 5000, now: Date())
        #expect(queue.ahead(base: 32) == ProposalQueue.maximumAhead && queue.batchLimit == ProposalQueue.maximumAhead)
        // A lull between two waves of workers does not shrink it: the most of the last few
        // asks' demands counts. A quiet spell as long as that memory brings it back down.
        queue.asking(64)
        _ = queue.receive(answer(queue, points: 64), keep: 1000, now: Date())
        #expect(queue.ahead(base: 32) == ProposalQueue.maximumAhead)
        for _ in 1..<ProposalQueue.demandMemory {
            queue.asking(64)
            _ = queue.receive(answer(queue, points: 64), keep: 1000, now: Date())
        }
        #expect(queue.demand == 0)
        #expect(queue.ahead(base: 32) == 32 && queue.batchLimit == ProposalQueue.maximumBatch)
    }
}
