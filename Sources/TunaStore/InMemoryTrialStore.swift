import Foundation

/// A `TrialStore` that keeps everything in memory: for tests that drive the scheduler without
/// a file, and for runs whose history need not survive the process. It follows the same
/// contract as the SQLite store (the conformance suite runs over both), batches included: a
/// throw out of `batch` puts every study and trial back as they were before it.
public final class InMemoryTrialStore: TrialStore, @unchecked Sendable {
    private struct State {
        var studies: [StudyRecord] = []
        var trials: [TrialRecord] = []
        /// Trial id → fold → value; trial id → step → value.
        var folds: [Int64: [Int: FoldValue]] = [:]
        var intermediate: [Int64: [Int: Double?]] = [:]
        var artifacts: [Int64: [String: Artifact]] = [:]
        var datasets: [String: StoredDataset] = [:]
    }

    private let lock = NSRecursiveLock()
    private var state = State()
    private var batchDepth = 0
    private let now: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        now = clock
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The time as the SQLite store keeps it (seconds as a Double), so records compare alike.
    private func stamp() -> Date {
        Date(timeIntervalSince1970: now().timeIntervalSince1970)
    }

    /// SQLite stores NaN as NULL; so does this store.
    private static func finite(_ value: Double?) -> Double? {
        value.flatMap { $0.isNaN ? nil : $0 }
    }

    private func trialIndex(_ id: Int64) -> Int? {
        // Ids are dense from 1 in creation order.
        let index = Int(truncatingIfNeeded: id) - 1
        return state.trials.indices.contains(index) ? index : nil
    }

    private func transitionError(_ id: Int64, to target: TrialState) -> StoreError {
        guard let index = trialIndex(id) else { return .unknownTrial(id: id) }
        return .invalidTransition(trial: id, from: state.trials[index].state, to: target)
    }

    // MARK: Studies

    public func createStudy(_ study: NewStudy) throws -> StudyRecord {
        try locked {
            _ = try JSONText.encode(study.settings)
            guard !state.studies.contains(where: { $0.name == study.name }) else { throw StoreError.studyExists(name: study.name) }
            let date = stamp()
            let record = StudyRecord(
                id: (state.studies.map(\.id).max() ?? 0) + 1, name: study.name, studyFile: study.studyFile,
                studyHash: study.studyHash, direction: study.direction, metric: study.metric, state: .running,
                trialBudget: study.trialBudget, settings: study.settings, createdAt: date, updatedAt: date)
            state.studies.append(record)
            return record
        }
    }

    public func study(id: Int64) throws -> StudyRecord? {
        locked { state.studies.first { $0.id == id } }
    }

    public func study(named name: String) throws -> StudyRecord? {
        locked { state.studies.first { $0.name == name } }
    }

    public func studies() throws -> [StudyRecord] {
        locked { state.studies }
    }

    public func setStudyState(_ newState: StudyState, study: Int64) throws {
        try locked {
            guard let index = state.studies.firstIndex(where: { $0.id == study }) else { throw StoreError.unknownStudy(id: study) }
            state.studies[index].state = newState
            state.studies[index].updatedAt = stamp()
        }
    }

    public func deleteStudy(_ study: Int64) throws {
        try locked {
            guard state.studies.contains(where: { $0.id == study }) else { throw StoreError.unknownStudy(id: study) }
            state.studies.removeAll { $0.id == study }
            let gone = Set(state.trials.filter { $0.studyID == study }.map(\.id))
            // Trial ids are positions (dense from 1), so rows stay; they leave every study.
            for index in state.trials.indices where gone.contains(state.trials[index].id) { state.trials[index].studyID = -1 }
            for id in gone {
                state.folds[id] = nil
                state.intermediate[id] = nil
                state.artifacts[id] = nil
            }
            let kept = Set(state.studies.compactMap { record -> String? in
                guard case .string(let hash)? = record.settings["dataset"] else { return nil }
                return hash
            })
            state.datasets = state.datasets.filter { kept.contains($0.key) }
        }
    }

    // MARK: Trials

    public func createTrial(study: Int64, params: [String: JSONValue]) throws -> TrialRecord {
        try locked {
            _ = try JSONText.encode(params)
            guard state.studies.contains(where: { $0.id == study }) else { throw StoreError.unknownStudy(id: study) }
            let number = state.trials.lazy.filter { $0.studyID == study }.map(\.number).max().map { $0 + 1 } ?? 0
            let record = TrialRecord(
                id: Int64(state.trials.count + 1), studyID: study, number: number, state: .waiting, params: params,
                value: nil, std: nil, attempts: 0, worker: nil, createdAt: stamp(), startedAt: nil, finishedAt: nil,
                error: nil, duration: nil)
            state.trials.append(record)
            return record
        }
    }

    @discardableResult
    public func markRunning(trial: Int64, worker: String) throws -> TrialRecord {
        try locked {
            guard let index = trialIndex(trial), state.trials[index].state == .waiting else {
                throw transitionError(trial, to: .running)
            }
            state.trials[index].state = .running
            state.trials[index].worker = worker
            state.trials[index].attempts += 1
            state.trials[index].startedAt = stamp()
            state.trials[index].finishedAt = nil
            state.trials[index].duration = nil
            state.trials[index].error = nil
            return state.trials[index]
        }
    }

    private func requireRunning(_ trial: Int64) throws {
        guard let index = trialIndex(trial) else { throw StoreError.unknownTrial(id: trial) }
        let current = state.trials[index].state
        guard current == .running else { throw StoreError.trialNotRunning(id: trial, state: current) }
    }

    public func recordIntermediate(trial: Int64, step: Int, value: Double) throws {
        try locked {
            try requireRunning(trial)
            state.intermediate[trial, default: [:]][step] = Self.finite(value)
        }
    }

    public func recordFoldValue(trial: Int64, _ fold: FoldValue) throws {
        try locked {
            try requireRunning(trial)
            state.folds[trial, default: [:]][fold.fold] = FoldValue(
                fold: fold.fold, value: Self.finite(fold.value), seconds: Self.finite(fold.seconds), epochs: fold.epochs)
        }
    }

    @discardableResult
    public func finishTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> TrialRecord {
        try locked {
            guard let index = trialIndex(trial), !state.trials[index].state.isFinished else {
                throw transitionError(trial, to: outcome.state)
            }
            let date = stamp()
            var record = state.trials[index]
            record.state = outcome.state
            switch outcome {
            case .complete(let value, let std, let values):
                (record.value, record.std) = (Self.finite(value), Self.finite(std))
                record.values = ObjectiveValuesText.encode(values) == nil ? nil : values
            case .pruned(let value): record.value = Self.finite(value)
            case .fail(let message): record.error = message
            }
            record.finishedAt = date
            record.duration = record.startedAt.map { date.timeIntervalSince1970 - $0.timeIntervalSince1970 }
            state.trials[index] = record
            for fold in folds {
                state.folds[trial, default: [:]][fold.fold] = FoldValue(
                    fold: fold.fold, value: Self.finite(fold.value), seconds: Self.finite(fold.seconds), epochs: fold.epochs)
            }
            return record
        }
    }

    @discardableResult
    public func requeueTrial(_ trial: Int64) throws -> TrialRecord {
        try locked {
            guard let index = trialIndex(trial), state.trials[index].state == .running else {
                throw transitionError(trial, to: .waiting)
            }
            backToWaiting(index)
            return state.trials[index]
        }
    }

    private func backToWaiting(_ index: Int) {
        let id = state.trials[index].id
        state.trials[index].state = .waiting
        state.trials[index].worker = nil
        state.trials[index].startedAt = nil
        state.folds[id] = nil
        state.intermediate[id] = nil
    }

    @discardableResult
    public func requeueRunningTrials(study: Int64) throws -> Int {
        locked {
            var count = 0
            for index in state.trials.indices where state.trials[index].studyID == study && state.trials[index].state == .running {
                backToWaiting(index)
                count += 1
            }
            return count
        }
    }

    public func trial(id: Int64) throws -> TrialRecord? {
        locked { trialIndex(id).map { state.trials[$0] }.flatMap { $0.studyID < 0 ? nil : $0 } }
    }

    public func trial(study: Int64, number: Int) throws -> TrialRecord? {
        locked { state.trials.first { $0.studyID == study && $0.number == number } }
    }

    public func trials(study: Int64, states: Set<TrialState>?) throws -> [TrialRecord] {
        locked {
            state.trials.filter { $0.studyID == study && (states?.contains($0.state) ?? true) }.sorted { $0.number < $1.number }
        }
    }

    public func ranking(study: Int64, limit: Int) throws -> [TrialRecord] {
        locked {
            guard limit > 0, let direction = state.studies.first(where: { $0.id == study })?.direction else { return [] }
            let sign = direction == .maximize ? -1.0 : 1.0
            let ranked = state.trials.filter { $0.studyID == study && $0.state == .complete && $0.value != nil }
                .sorted { a, b in
                    let (x, y) = ((a.value ?? 0) * sign, (b.value ?? 0) * sign)
                    return x != y ? x < y : a.number < b.number
                }
            return Array(ranked.prefix(limit))
        }
    }

    public func stateCounts(study: Int64) throws -> [TrialState: Int] {
        locked {
            var counts = Dictionary(uniqueKeysWithValues: TrialState.allCases.map { ($0, 0) })
            for trial in state.trials where trial.studyID == study { counts[trial.state, default: 0] += 1 }
            return counts
        }
    }

    public func foldValues(trial: Int64) throws -> [FoldValue] {
        locked { (state.folds[trial] ?? [:]).values.sorted { $0.fold < $1.fold } }
    }

    public func intermediateValues(trial: Int64) throws -> [IntermediateValue] {
        locked {
            (state.intermediate[trial] ?? [:]).map { IntermediateValue(step: $0.key, value: $0.value) }.sorted { $0.step < $1.step }
        }
    }

    public func intermediateValues(study: Int64, step: Int, states: Set<TrialState>) throws -> [Double] {
        locked {
            state.trials
                .filter { $0.studyID == study && states.contains($0.state) }
                .sorted { $0.number < $1.number }
                .compactMap { state.intermediate[$0.id]?[step] ?? nil }
        }
    }

    // MARK: Batches

    public func batch<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let saved = batchDepth == 0 ? state : nil
        batchDepth += 1
        defer { batchDepth -= 1 }
        do {
            return try body()
        } catch {
            if let saved { state = saved }
            throw error
        }
    }

    // MARK: Data sets

    public func putDataset(_ dataset: StoredDataset) throws {
        locked {
            if state.datasets[dataset.hash] == nil { state.datasets[dataset.hash] = dataset }
        }
    }

    public func dataset(hash: String) throws -> StoredDataset? {
        locked { state.datasets[hash] }
    }

    // MARK: Artifacts

    public func putArtifact(trial: Int64, kind: String, data: Data) throws {
        try locked {
            guard trialIndex(trial) != nil else { throw StoreError.unknownTrial(id: trial) }
            state.artifacts[trial, default: [:]][kind] = Artifact(trialID: trial, kind: kind, data: data, createdAt: stamp())
        }
    }

    public func artifact(trial: Int64, kind: String) throws -> Artifact? {
        locked { state.artifacts[trial]?[kind] }
    }
}
