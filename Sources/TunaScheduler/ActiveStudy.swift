import Foundation
import TunaSearch
import TunaProtocol
import TunaSpec
import TunaStore

/// A study being tuned: its sampler, pruner and the in-memory picture of its trials that the
/// sampler and pruner work from (the store holds the same facts durably).
public final class ActiveStudy {
    public let study: Study
    public let record: StudyRecord
    public internal(set) var budget: Int
    let sampler: any Sampler
    /// A study with several metrics is asked through this sampler instead, with the
    /// metrics' directions; nil for one metric.
    let multiObjective: (sampler: any MultiObjectiveSampler, directions: [Direction])?
    /// The value per metric of each finished trial of a multi-objective study, by trial number
    /// (`history` holds the first as the trial's value).
    private var objectiveValues: [Int: [Double]] = [:]
    let pruner: any Pruner
    /// Finished trials, as samplers and pruners see them; empty when neither reads it (random
    /// or Sobol search without a pruner), so a long study's memory stays flat.
    private(set) var history: [Trial] = []
    private let keepsHistory: Bool
    /// Finished trials count against the budget; the study is done when they fill it.
    public private(set) var finishedCount = 0
    /// The best finished value so far (complete trials with a finite value).
    public private(set) var bestValue: Double?
    /// Trials handed out and not finished, by store id.
    private(set) var running: [Int64: Trial] = [:]
    /// Trials waiting for a worker (requeued after a lost worker), oldest first.
    private(set) var waiting: [Int64] = []
    /// Stopped by `tuna stop`: no new trials are handed out, and proposals made before the
    /// stop are dropped (a resumed study asks afresh, knowing what finished meanwhile).
    public internal(set) var stopped = false {
        didSet { if stopped { dropProposals() } }
    }
    /// Proposals asked off the loop's thread (see `SamplerThread`), waiting for workers.
    let proposals: ProposalQueue?
    /// The data file, sent to workers that do not have it cached.
    let dataset: StoredDataset?

    init(study: Study, record: StudyRecord, budget: Int, store: any TrialStore, dataset: StoredDataset?,
         sampler: (any Sampler)? = nil, serial: Int = 0, asksOffThread: Bool = true) throws {
        self.study = study
        self.record = record
        self.budget = budget
        self.dataset = dataset
        let sampler = sampler ?? study.search.algorithm.make(seed: study.search.seed)
        self.sampler = sampler
        pruner = (study.search.pruner ?? .none).pruner
        if let search = study.search.multiObjective {
            // Pruners are refused at load: pruning compares one metric over epochs.
            let multi = search.make(seed: study.search.seed, budget: budget)
            multiObjective = (multi, study.search.objectives.map(\.direction))
            proposals = asksOffThread && ProposalQueue.asksOffThread(multi) ? ProposalQueue(serial: serial) : nil
            keepsHistory = (multi as? SingleObjectiveAdapter).map { $0.base.needsHistory } ?? true
        } else {
            multiObjective = nil
            proposals = asksOffThread && ProposalQueue.asksOffThread(sampler) ? ProposalQueue(serial: serial) : nil
            keepsHistory = sampler.needsHistory || !(pruner is NopPruner)
        }
        for trial in try store.trials(study: record.id, states: nil) {
            let params = ParameterCodec.parameters(trial.params, space: study.search.space)
            switch trial.state {
            case .complete, .pruned, .fail:
                var steps: [Int: Double] = [:]
                if keepsHistory {
                    for point in try store.intermediateValues(trial: trial.id) { steps[point.step] = point.value }
                }
                remember(Trial(
                    number: trial.number, state: Self.state(trial.state), params: params, value: trial.value,
                    intermediateValues: steps, diverged: trial.state == .fail && FailedMessage.isDiverged(error: trial.error)),
                    values: trial.values)
            case .waiting:
                waiting.append(trial.id)
            case .running:
                // The scheduler requeues these before loading; one left here is waiting too.
                waiting.append(trial.id)
            }
        }
    }

    static func state(_ state: TunaStore.TrialState) -> TunaSearch.TrialState {
        switch state {
        case .waiting: .waiting
        case .running: .running
        case .complete: .complete
        case .pruned: .pruned
        case .fail: .fail
        }
    }

    public var runningCount: Int { running.count }
    public var isDone: Bool { (finishedCount >= budget || (isOutOfTime && waiting.isEmpty)) && running.isEmpty }

    /// When this scheduler took the study up: `search.time_budget` counts from here, like
    /// Optuna's `timeout` counts from the `optimize` call (a resumed study gets the budget again).
    let startedAt = Date()

    /// The study's `time_budget` has run out: no new trials; running and requeued ones finish.
    public var isOutOfTime: Bool {
        guard let seconds = study.search.timeBudget else { return false }
        return Date().timeIntervalSince(startedAt) >= seconds
    }
    /// Nothing more will happen: done, or stopped with nothing running.
    public var isSettled: Bool { isDone || (stopped && running.isEmpty) }

    /// Counts a finished trial, keeps the best value, and keeps the trial when it is needed.
    private func remember(_ trial: Trial, values: [Double]?) {
        finishedCount += 1
        if multiObjective != nil, keepsHistory, let values { objectiveValues[trial.number] = values }
        if trial.isUsable, let value = trial.value, bestValue.map({ study.search.direction.isBetter(value, than: $0) }) ?? true {
            bestValue = value
        }
        if keepsHistory { history.append(trial) }
    }

    /// The next trial to hand out: a waiting one first, else a new one from the sampler while
    /// the budget allows; nil when nothing is left to start.
    func nextTrial(worker: String, store: any TrialStore, includeText: Bool) throws -> AssignMessage? {
        let record: TrialRecord
        if !waiting.isEmpty {
            record = try store.markRunning(trial: waiting.removeFirst(), worker: worker)
        } else {
            guard finishedCount + running.count < budget, !isOutOfTime else { return nil }
            let params: Parameters
            if let proposals {
                guard let next = proposals.next() else { return nil }
                params = next
            } else {
                do {
                    if let multiObjective {
                        params = try multiObjective.sampler.ask(multiObjectiveContext(directions: multiObjective.directions))
                    } else {
                        params = try sampler.ask(samplingContext())
                    }
                } catch SamplerError.exhausted {
                    return nil
                }
            }
            record = try store.createRunningTrial(study: self.record.id, params: ParameterCodec.json(params), worker: worker)
            running[record.id] = Trial(number: record.number, state: .running, params: params)
            return assignment(record, params: params, includeText: includeText)
        }
        let params = ParameterCodec.parameters(record.params, space: study.search.space)
        running[record.id] = Trial(number: record.number, state: .running, params: params)
        return assignment(record, params: params, includeText: includeText)
    }

    private func assignment(_ record: TrialRecord, params: Parameters, includeText: Bool) -> AssignMessage {
        return AssignMessage(
            trialID: record.id, study: study.name, number: record.number, attempt: record.attempts, params: params,
            studyText: includeText ? study.text : nil, studyFile: study.file, studyHash: study.hash,
            datasetHash: dataset?.hash)
    }

    /// What the sampler is told: finished trials, and as running both the trials workers hold
    /// and the proposals queued for them (so a new proposal keeps away from those too); the
    /// trial number is the one the next new trial gets when the queue is served in order.
    func samplingContext() -> SamplingContext {
        let queued = proposals?.queued ?? []
        var pending = Array(running.values.map(\.params))
        pending += queued
        return SamplingContext(
            space: study.search.space, direction: study.search.direction, history: history,
            running: pending, trialNumber: finishedCount + running.count + waiting.count + queued.count)
    }

    /// The same snapshot for a multi-objective sampler: each finished trial with its values.
    func multiObjectiveContext(directions: [Direction]) -> MultiObjectiveContext {
        let context = samplingContext()
        return MultiObjectiveContext(
            space: context.space, directions: directions,
            history: history.map {
                MultiObjectiveTrial(number: $0.number, state: $0.state, params: $0.params, values: objectiveValues[$0.number])
            },
            running: context.running, trialNumber: context.trialNumber)
    }

    /// The values per metric of the study's finished trials (multi-objective studies only).
    public var finishedValues: [Int: [Double]] { objectiveValues }

    /// New trials the budget still allows beyond those running, waiting and queued.
    var unaskedBudget: Int {
        budget - finishedCount - running.count - waiting.count - (proposals?.queued.count ?? 0)
    }

    /// A job for the sampler thread when the queue is short of `wanted` proposals and no ask is
    /// in flight (one at a time per study, so no two asks propose from the same snapshot).
    /// An ask proposes at least `minimum` points: most of its cost is the model's fit and first
    /// point, whatever follows, and with workers finishing in waves an ask sized to the few
    /// missing at its start took as long as a full one and left the next wave waiting.
    func proposalJob(wanted: Int, minimum: Int = 1, now: Date = Date()) -> SamplerThread.Job? {
        guard let proposals, !stopped, !isDone, !isOutOfTime, proposals.canAsk(now: now) else { return nil }
        let missing = wanted - proposals.queued.count
        guard missing > 0 else { return nil }
        let count = min(max(missing, minimum), unaskedBudget, max(proposals.batchLimit, minimum))
        guard count > 0 else { return nil }
        proposals.asking(count)
        let ask: () throws -> [Parameters]
        if let multiObjective {
            let sampler = multiObjective.sampler, context = multiObjectiveContext(directions: multiObjective.directions)
            ask = { try sampler.askSequence(context, count: count) }
        } else {
            let sampler = sampler, context = samplingContext()
            ask = { try sampler.askSequence(context, count: count) }
        }
        return SamplerThread.Job(study: proposals.serial, generation: proposals.generation, ask: ask)
    }

    /// Takes the sampler thread's answer; stale answers (asked before a stop, or for a study
    /// with nothing left to start) are dropped. Returns a line to log, if any.
    func receive(_ answer: SamplerThread.Answer, waiting: Int = 0, now: Date = Date()) -> String? {
        guard let proposals else { return nil }
        let usable = stopped || isDone || isOutOfTime ? 0 : max(0, unaskedBudget)
        return proposals.receive(answer, keep: usable, waiting: waiting, now: now).map { "study \(study.name): \($0)" }
    }

    /// Forgets queued proposals and any answer still in flight.
    func dropProposals() {
        proposals?.drop()
    }

    /// The value a running trial reported at its latest step, if any.
    func lastReported(_ id: Int64) -> Double? {
        guard let steps = running[id]?.intermediateValues, let last = steps.keys.max() else { return nil }
        return steps[last]
    }

    /// Records an intermediate value; true when the pruner says to stop the trial.
    func report(trial id: Int64, step: Int, value: Double) -> Bool {
        guard var trial = running[id] else { return false }
        trial.intermediateValues[step] = value
        running[id] = trial
        return pruner.shouldPrune(trial, step: step, history: history, direction: study.search.direction)
    }

    /// Moves a running trial (or a waiting one failed for good) to the history, from what the
    /// study holds in memory: reading the stored row back cost more than the rest of it.
    func finished(_ id: Int64, _ outcome: TrialOutcome) -> FinishedTrial {
        let trial = running.removeValue(forKey: id)
        if trial == nil, let index = waiting.firstIndex(of: id) { waiting.remove(at: index) }
        var value: Double?, values: [Double]?, error: String?
        switch outcome {
        case .complete(let v, _, let vs): value = v; values = vs
        case .pruned(let v): value = v
        case .fail(let message): error = message
        }
        let state = Self.state(outcome.state)
        if let trial {
            remember(Trial(
                number: trial.number, state: state, params: trial.params, value: value,
                intermediateValues: trial.intermediateValues, diverged: state == .fail && FailedMessage.isDiverged(error: error)),
                values: values)
        } else {
            finishedCount += 1
        }
        if isDone { dropProposals() }
        return FinishedTrial(id: id, number: trial?.number, state: outcome.state, value: value)
    }

    func requeued(_ id: Int64) {
        running[id] = nil
        waiting.append(id)
    }
}

/// A trial the scheduler just ended, for progress lines.
public struct FinishedTrial: Sendable {
    public var id: Int64
    /// Nil for a trial that ended without running here (failed after its last attempt).
    public var number: Int?
    public var state: TunaStore.TrialState
    public var value: Double?
}

/// Parameter values between the search's types and the store's JSON.
enum ParameterCodec {
    static func json(_ params: Parameters) -> [String: JSONValue] {
        params.mapValues { value in
            switch value {
            case .int(let i): .number(Double(i))
            case .double(let d): .number(d)
            case .string(let s): .string(s)
            case .bool(let b): .bool(b)
            }
        }
    }

    /// Typed by the space: an int parameter's `3.0` comes back as `3`, a categorical's value
    /// as the declared one.
    static func parameters(_ json: [String: JSONValue], space: SearchSpace) -> Parameters {
        var params = Parameters()
        for (name, value) in json {
            let plain: ParameterValue
            switch value {
            case .number(let d): plain = .double(d)
            case .string(let s): plain = .string(s)
            case .bool(let b): plain = .bool(b)
            case .null: continue
            }
            switch space[name]?.domain {
            case .int?: params[name] = plain.integer.map(ParameterValue.int) ?? plain
            case .categorical(let values)?: params[name] = values.first { $0.matches(plain) } ?? plain
            case .fixed(let fixed)?: params[name] = fixed.matches(plain) ? fixed : plain
            default: params[name] = plain
            }
        }
        return params
    }
}

extension ActiveStudy {
    /// Asks answered on the sampler thread and their total time (zero for samplers asked on
    /// the loop's thread).
    public var samplerAsks: (count: Int, seconds: Double) {
        (proposals?.answered ?? 0, proposals?.askSeconds ?? 0)
    }
}
