import Foundation
import TunaBase
import TunaProtocol
import TunaSearch
import TunaSpec
import TunaStore
import TunaWire

/// What the scheduler knows of one attached worker.
struct WorkerState {
    var name: String
    var lastSeen: Date
    var ready = false
    var readySince = Date()
    /// The trials it holds, oldest first: the one it runs, then those queued behind it.
    var held: [Int64] = []
    /// How many trials it may hold (its hello's or ready's `slots`, 1 when unsaid).
    var slots = 1
    /// Hashes of the study files this worker has been sent.
    var studiesSent: Set<String> = []
    /// The worker runs command objectives (it said so in its hello).
    var allowsCommands = false
    /// Held trials for which the worker was sent their data set (one transfer per trial held).
    var datasetSentFor: Set<Int64> = []

    /// The worker asked for work and has a free slot.
    var wantsWork: Bool { ready && held.count < slots }

    mutating func release(_ trial: Int64) {
        if let index = held.firstIndex(of: trial) { held.remove(at: index) }
        datasetSentFor.remove(trial)
    }
}

extension Scheduler {
    /// Handles one received message. Nothing a peer sends can stop the loop: a message that
    /// does not parse, or whose handling fails, is logged with its sender and dropped.
    func handle(_ frames: [[UInt8]], user: String? = nil) {
        let identity: [UInt8], envelopes: [Envelope]
        do {
            (identity, envelopes) = try Envelope.routedMessages(frames)
        } catch let mismatch as VersionMismatch {
            if let identity = frames.first {
                log("refused a worker (\(logSafe(identity: identity))): \(logSafe(mismatch.description))")
                if let refusal = try? Envelope(.refuse, RefuseMessage(reason: mismatch.description)) { send(identity, refusal) }
            }
            return
        } catch {
            log("dropped a message from \(frames.first.map { logSafe(identity: $0) } ?? "?"): \(logSafe("\(error)"))")
            return
        }
        // A batch's messages are handled in order, each as if it had come alone; what the
        // handlers send back to this peer goes out together.
        collectingSends(to: identity) {
            for envelope in envelopes { handle(envelope, from: identity, user: user) }
        }
    }

    /// Runs `body` with what it sends to `identity` held back, then sends it as one batch.
    func collectingSends(to identity: [UInt8], _ body: () throws -> Void) rethrows {
        if outgoing?.identity == identity { return try body() }
        let outer = outgoing
        outgoing = (identity, [])
        defer {
            flushOutgoing()
            outgoing = outer
        }
        try body()
    }

    private func handle(_ envelope: Envelope, from identity: [UInt8], user: String?) {
        if let refusal = roleRefusal(envelope.type, user: user) {
            log("refused a '\(envelope.type.rawValue)' message from \(logSafe(identity: identity)): \(refusal)")
            if let answer = try? Envelope(.refuse, RefuseMessage(reason: refusal)) { send(identity, answer) }
            return
        }
        metrics.messageHandled()
        do {
            try dispatch(identity, envelope)
        } catch {
            log("dropped a '\(envelope.type.rawValue)' message from \(logSafe(identity: identity)): \(logSafe("\(error)", limit: 400))")
            if error is MalformedMessage, envelope.type == .result || envelope.type == .failed {
                endUnreadableReport(from: identity, error: error)
            }
        }
    }

    /// A worker said its trial ended but the report does not parse (a number JSON cannot hold
    /// as a Double, a broken body): the trial fails with the reason and the worker is served,
    /// so neither waits for the other forever. A worker runs its trials in the order given, so
    /// the report is taken to be of the oldest it holds.
    func endUnreadableReport(from identity: [UInt8], error: any Error) {
        guard let worker = workers[identity], let trialID = worker.held.first,
              let study = studies.first(where: { $0.running[trialID] != nil }) else { return }
        workers[identity]?.release(trialID)
        do {
            try finish(trialID, .fail(error: "the worker's report did not parse: \(logSafe("\(error)", limit: 300))"), study: study)
        } catch {
            log("could not end trial \(trialID): \(error)")
        }
        becomeReady(identity)
    }

    /// Why a peer may not send this message (nil when it may). Without authentication every
    /// peer may send anything; with it, a worker key may only work and a client key may only
    /// control, so a stolen worker key cannot submit studies and a client cannot take trials.
    func roleRefusal(_ type: MessageType, user: String?) -> String? {
        guard options.security != nil else { return nil }
        guard let user, let peer = Authenticator.Peer(userID: user) else { return "the connection carries no admitted key" }
        let needed: Authenticator.Role
        switch type {
        case .submit, .status, .stopStudy: needed = .client
        default: needed = .worker
        }
        return peer.role == needed ? nil : "the key '\(logSafe(peer.name, limit: 64))' is a \(peer.role.rawValue) key; '\(type.rawValue)' needs a \(needed.rawValue) key"
    }

    func dispatch(_ identity: [UInt8], _ envelope: Envelope) throws {
        switch envelope.type {
        case .hello:
            let hello = try envelope.decode(HelloMessage.self)
            let slots = try TrialSlots.checked(hello.slots) ?? 1
            if let old = workers[identity], !old.held.isEmpty {
                // The same connection said hello again: the worker restarted and lost its
                // trials. They go back to the queue in memory and in the store alike.
                log("worker \(logSafe(old.name)) said hello again while holding trial(s) \(old.held.map(String.init).joined(separator: ", ")); back to the queue")
                for trial in old.held { try requeue(trial, reason: "its worker restarted") }
            }
            workers[identity] = WorkerState(
                name: logSafe(hello.worker, limit: 64), lastSeen: Date(), slots: slots, allowsCommands: hello.allowsCommands ?? false)
            log("worker \(logSafe(hello.worker, limit: 64)) (\(logSafe(hello.host, limit: 64)), pid \(hello.pid)) joined")
            send(identity, try welcome())
            return
        case .submit, .status, .stopStudy:
            send(identity, try Envelope(.reply, control(envelope)))
            return
        default:
            break
        }
        guard var worker = workers[identity] else {
            // Not known: this scheduler restarted, or declared the worker dead. Welcome it
            // afresh; the worker drops whatever trial it held (that trial was requeued) and
            // asks for work.
            let name = logSafe(identity: identity)
            workers[identity] = WorkerState(name: name, lastSeen: Date())
            log("worker \(name) came back")
            send(identity, try welcome())
            return
        }
        worker.lastSeen = Date()
        workers[identity] = worker
        switch envelope.type {
        case .ready:
            // An empty body is a plain ready (older hand-played peers send `{}`).
            let ready = try envelope.decode(ReadyMessage.self)
            if let allows = ready.allowsCommands { workers[identity]?.allowsCommands = allows }
            if let slots = try TrialSlots.checked(ready.slots) { workers[identity]?.slots = slots }
            becomeReady(identity)
        case .heartbeat:
            break
        case .needDataset:
            let request = try envelope.decode(DatasetMessage.self)
            // A worker gets the data of the trial it holds, once per trial: a peer asking again
            // and again must not make the daemon queue copies of a large file.
            let using = worker.held.compactMap { trial -> (trial: Int64, dataset: StoredDataset)? in
                guard let dataset = studies.first(where: { $0.running[trial] != nil })?.dataset, dataset.hash == request.hash else { return nil }
                return (trial, dataset)
            }
            guard let dataset = using.first?.dataset else {
                log("\(worker.name) asked for a data set \(logSafe(request.hash.prefix(16))) that its trials do not use")
                return
            }
            guard let trial = using.first(where: { !worker.datasetSentFor.contains($0.trial) })?.trial else {
                log("\(worker.name) asked again for the data set \(dataset.hash.prefix(12)); not sent twice for one trial")
                return
            }
            workers[identity]?.datasetSentFor.insert(trial)
            log("sending the data set \(dataset.hash.prefix(12)) (\(dataset.bytes.count) bytes) to \(worker.name)")
            send(identity, try Envelope(
                .dataset, DatasetMessage(hash: dataset.hash, fileExtension: dataset.fileExtension), attachment: Array(dataset.bytes)))
        case .progress:
            let progress = try envelope.decode(ProgressMessage.self)
            guard let study = study(owning: progress.trialID, worker: worker, what: "a progress report") else { return }
            guard progress.value.isFinite, progress.step >= 0 else {
                log("ignored a progress report of trial \(progress.trialID) at step \(progress.step) with value \(progress.value)")
                send(identity, try Envelope(.decision, DecisionMessage(trialID: progress.trialID, prune: false)))
                return
            }
            if let fold = progress.fold {
                guard fold >= 0 else { return }
                let seconds = progress.seconds.flatMap { $0.isFinite ? $0 : nil }
                try store.recordFoldValue(trial: progress.trialID, FoldValue(fold: fold, value: progress.value, seconds: seconds))
                return
            }
            try store.recordIntermediate(trial: progress.trialID, step: progress.step, value: progress.value)
            let prune = study.report(trial: progress.trialID, step: progress.step, value: progress.value)
            send(identity, try Envelope(.decision, DecisionMessage(trialID: progress.trialID, prune: prune)))
        case .result:
            let result = try envelope.decode(ResultMessage.self)
            // A result is also a request for the next trial: one message fewer per trial. The
            // worker is served whatever became of the trial, so it never sits idle.
            defer { becomeReady(identity) }
            guard let study = study(owning: result.trialID, worker: worker, what: "a result") else { return }
            workers[identity]?.release(result.trialID)
            guard result.value.isFinite else {
                try finish(result.trialID, .fail(error: FailedMessage.divergedPrefix + "the objective's value is not a finite number (\(result.value))"), study: study)
                return
            }
            let folds = zip(result.foldValues.indices, result.foldValues).map { index, value in
                FoldValue(fold: index, value: value.isFinite ? value : nil,
                          seconds: index < result.foldSeconds.count && result.foldSeconds[index].isFinite ? result.foldSeconds[index] : nil,
                          epochs: result.foldEpochs.flatMap { index < $0.count && (1...StudyLimits.maxEpochs).contains($0[index]) ? $0[index] : nil })
            }
            let std = result.std.flatMap { $0.isFinite ? $0 : nil }
            let values: [Double]
            switch result.objectiveValues(metrics: study.study.search.objectives.map(\.name)) {
            case .success(let checked): values = checked
            case .failure(let problem):
                try finish(result.trialID, .fail(error: (problem.diverged ? FailedMessage.divergedPrefix : "") + problem.description), study: study)
                return
            }
            // A pruned trial keeps the last value it reported, at the step it was stopped: the mean
            // of the folds it finished would rank a trial stopped early beside complete ones.
            // A multi-objective trial's `value` is its first metric's, as single-objective readers expect.
            let outcome: TrialOutcome = result.pruned
                ? .pruned(value: study.lastReported(result.trialID) ?? result.value)
                : .complete(value: values.first ?? result.value, std: std, values: values.count > 1 ? values : nil)
            try finish(result.trialID, outcome, folds: folds, study: study)
        case .failed:
            let failure = try envelope.decode(FailedMessage.self)
            guard let study = study(owning: failure.trialID, worker: worker, what: "a failure") else { return }
            workers[identity]?.release(failure.trialID)
            var reason = String(failure.error.prefix(4000))
            // A diverged configuration is marked in the stored error, so the sampler hears it
            // (now and after a restart) as the worst outcome: see ActiveStudy.trial(from:).
            if failure.diverged == true, !FailedMessage.isDiverged(error: reason) {
                reason = FailedMessage.divergedPrefix + reason
            }
            if failure.retryable == true {
                try retryOrFail(failure.trialID, study: study, error: reason)
            } else {
                try finish(failure.trialID, .fail(error: reason), study: study)
            }
        default:
            log("ignored a '\(envelope.type.rawValue)' message from \(worker.name)")
        }
    }

    func welcome() throws -> Envelope {
        try Envelope(.welcome, WelcomeMessage(heartbeatMilliseconds: Int(options.heartbeat * 1000), liveness: options.liveness))
    }

    /// The worker has room for a trial: it gets one now if any study has one to give.
    func becomeReady(_ identity: [UInt8]) {
        guard let worker = workers[identity], worker.held.count < worker.slots else { return }
        workers[identity]?.ready = true
        workers[identity]?.readySince = Date()
        do {
            try assignWork(to: identity)
        } catch {
            log("could not hand a trial to \(workers[identity]?.name ?? "?"): \(logSafe("\(error)", limit: 400))")
        }
    }

    /// The study of a trial the worker really holds. A report for a trial it does not hold (a
    /// late message for a trial already given to another worker) is logged and discarded.
    func study(owning trialID: Int64, worker: WorkerState, what: String) -> ActiveStudy? {
        guard worker.held.contains(trialID) else {
            log("discarded \(what) for trial \(trialID) from \(worker.name), which \(worker.held.isEmpty ? "holds no trial" : "holds trial(s) \(worker.held.prefix(8).map(String.init).joined(separator: ", "))")")
            return nil
        }
        guard let study = studies.first(where: { $0.running[trialID] != nil }) else {
            log("discarded \(what) for trial \(trialID) from \(worker.name): no study is running it")
            return nil
        }
        return study
    }

    /// Puts a running trial back in its study's queue and the store's, as one transition.
    func requeue(_ trialID: Int64, reason: String) throws {
        guard let study = studies.first(where: { $0.running[trialID] != nil }) else { return }
        try retryOrFail(trialID, study: study, error: reason)
    }

    /// A lost attempt: back to the queue while attempts remain, else failed with the reason.
    func retryOrFail(_ trialID: Int64, study: ActiveStudy, error: String) throws {
        let attempts = try store.trial(id: trialID)?.attempts ?? study.study.search.maxAttempts
        if attempts < study.study.search.maxAttempts {
            // Numbered as the study numbers its trials (what the leaderboard shows), id as the wire has it.
            let number = study.running[trialID].map { "\($0.number)" } ?? "?"
            log("\(study.study.name): trial \(number) (id \(trialID)) lost its attempt \(attempts): \(logSafe(error, limit: 400)); queued again")
            try store.requeueTrial(trialID)
            study.requeued(trialID)
        } else {
            try finish(trialID, .fail(error: error), study: study)
        }
    }

    func finish(_ trialID: Int64, _ outcome: TrialOutcome, folds: [FoldValue] = [], study: ActiveStudy) throws {
        let duration = try store.endTrial(trialID, outcome, folds: folds)
        let trial = study.finished(trialID, outcome)
        metrics.trialFinished(study: study.study.name, state: outcome.state.rawValue.lowercased(), duration: duration)
        if study.isDone { try store.setStudyState(.finished, study: study.record.id) }
        onTrialFinished?(study, trial)
    }

    /// Fills the worker's free slots with trials of studies with budget left, taking the
    /// studies in turn so that one with a large budget does not starve those submitted after it.
    func assignWork(to identity: [UInt8]) throws {
        guard var worker = workers[identity], worker.wantsWork, !studies.isEmpty else { return }
        defer { workers[identity] = worker }
        try collectingSends(to: identity) {
            while worker.held.count < worker.slots {
                guard let assignment = try nextAssignment(for: worker) else { return }
                if worker.held.isEmpty { dispatchLatencies?.record(Date().timeIntervalSince(worker.readySince)) }
                worker.held.append(assignment.trialID)
                worker.studiesSent.insert(assignment.studyHash)
                send(identity, try Envelope(.assign, assignment))
            }
            // Full: the next result or ready asks again.
            worker.ready = false
        }
    }

    /// The next trial of the studies in turn that this worker may run, if any has one.
    private func nextAssignment(for worker: WorkerState) throws -> AssignMessage? {
        let start = nextStudy % studies.count
        nextStudy = start + 1
        for index in 0..<studies.count {
            let study = studies[(start + index) % studies.count]
            if study.isDone || study.stopped { continue }
            if case .command = study.study.objective, !worker.allowsCommands { continue }
            let knowsStudy = worker.studiesSent.contains(study.study.hash)
            if let assignment = try study.nextTrial(worker: worker.name, store: store, includeText: !knowsStudy) { return assignment }
        }
        return nil
    }

    /// Heartbeats out, dead workers reaped, idle workers served.
    func housekeeping() throws {
        let now = Date()
        if now.timeIntervalSince(lastHeartbeat) >= options.heartbeat {
            lastHeartbeat = now
            for identity in workers.keys { send(identity, Envelope(type: .heartbeat)) }
        }
        let limit = options.heartbeat * Double(options.liveness)
        for (identity, worker) in workers where now.timeIntervalSince(worker.lastSeen) > limit {
            workers[identity] = nil
            log("worker \(worker.name) went silent; dropped")
            // Every trial it held counts an attempt, run or only queued: the scheduler cannot tell.
            for trial in worker.held { try requeue(trial, reason: "worker \(worker.name) went silent") }
        }
        for (identity, worker) in workers where worker.wantsWork { try assignWork(to: identity) }
        askAhead()
    }

    /// Sends a message to a peer, or holds it while a received message from that peer is being
    /// handled, so that everything in answer leaves in one batch.
    func send(_ identity: [UInt8], _ envelope: Envelope) {
        if outgoing?.identity == identity, envelope.attachment == nil {
            outgoing?.envelopes.append(envelope)
            if (outgoing?.envelopes.count ?? 0) >= Envelope.batchLimit { flushOutgoing() }
            return
        }
        // What was held for this peer goes first: messages arrive in the order sent.
        if outgoing?.identity == identity { flushOutgoing() }
        sendNow(identity, envelope.frames)
    }

    /// Sends what was held for the peer being answered, in one message.
    func flushOutgoing() {
        guard let (identity, envelopes) = outgoing else { return }
        outgoing = (identity, [])
        if !envelopes.isEmpty { sendNow(identity, Envelope.batch(envelopes)) }
    }

    private func sendNow(_ identity: [UInt8], _ frames: [[UInt8]]) {
        do {
            if try !socket.send([identity] + frames, dontWait: true) {
                log("could not reach \(logSafe(identity: identity)); it will be dropped if it stays silent")
            }
        } catch {
            log("send to \(logSafe(identity: identity)) failed: \(error)")
        }
    }
}
