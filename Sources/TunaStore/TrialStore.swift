import Foundation

/// Where studies and trials live: a small storage protocol after Optuna's `BaseStorage`.
///
/// The scheduler is the only writer. Every method that changes a trial does so in one
/// transaction, so a reader never sees half of a change (a COMPLETE trial without its value,
/// a trial without its parameters). Trial states follow Optuna:
///
///     WAITING ──markRunning──► RUNNING ──finishTrial──► COMPLETE | PRUNED | FAIL
///        ▲                        │
///        └──────requeueTrial──────┘   (worker died; `attempts` keeps counting)
///
/// A WAITING trial may also be finished directly (e.g. failed after too many attempts).
/// Conformance: `Tests/TunaStoreTests/TrialStoreConformance.swift` runs over every backend.
public protocol TrialStore: Sendable {
    // MARK: Studies

    /// Stores a new study in state `running`; throws `StoreError.studyExists` for a taken name.
    func createStudy(_ study: NewStudy) throws -> StudyRecord
    func study(id: Int64) throws -> StudyRecord?
    func study(named name: String) throws -> StudyRecord?
    /// All studies, oldest first.
    func studies() throws -> [StudyRecord]
    /// Studies the scheduler resumes on start-up (running or paused), oldest first.
    func unfinishedStudies() throws -> [StudyRecord]
    func setStudyState(_ state: StudyState, study: Int64) throws
    /// Removes a study with its trials, values and artifacts, and the data sets no remaining
    /// study uses.
    func deleteStudy(_ study: Int64) throws

    // MARK: Trials

    /// Creates a WAITING trial with the next free number of the study (dense, from 0).
    func createTrial(study: Int64, params: [String: JSONValue]) throws -> TrialRecord
    /// Hands a WAITING trial to `worker`: state RUNNING, `attempts` + 1, `startedAt` now.
    @discardableResult
    func markRunning(trial: Int64, worker: String) throws -> TrialRecord
    /// `createTrial` and `markRunning` in one step: the trial is stored RUNNING on `worker`
    /// (attempts 1, started now). Why: the scheduler starts every new trial at once, and the
    /// WAITING row it used to insert first cost a second statement per trial.
    func createRunningTrial(study: Int64, params: [String: JSONValue], worker: String) throws -> TrialRecord
    /// Records (or replaces) the value reported at `step` of a RUNNING trial; the pruner reads
    /// these. A late report for a trial that is no longer RUNNING throws `.trialNotRunning`.
    func recordIntermediate(trial: Int64, step: Int, value: Double) throws
    /// Records (or replaces) one cross-validation fold's result of a RUNNING trial.
    func recordFoldValue(trial: Int64, _ fold: FoldValue) throws
    /// Ends a WAITING or RUNNING trial: state, value/std or error, `finishedAt`, `duration`,
    /// together with the final per-fold results, in one transaction (a reader sees a COMPLETE
    /// trial with its value and folds, or a RUNNING one, nothing in between).
    @discardableResult
    func finishTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> TrialRecord
    /// `finishTrial` without the record: returns the trial's duration (nil if it never ran).
    /// Why: the scheduler already knows the rest, and reading the row back (its parameters'
    /// JSON among it) was a good part of a trivial trial's cost.
    func endTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> Double?
    /// Puts a RUNNING trial back to WAITING (its worker went silent). Progress rows of the
    /// lost attempt are dropped so the retry starts clean; `attempts` is kept.
    @discardableResult
    func requeueTrial(_ trial: Int64) throws -> TrialRecord
    /// Requeues every RUNNING trial of a study: on start-up, those belong to a dead scheduler.
    /// Returns how many were requeued.
    @discardableResult
    func requeueRunningTrials(study: Int64) throws -> Int

    func trial(id: Int64) throws -> TrialRecord?
    func trial(study: Int64, number: Int) throws -> TrialRecord?
    /// Trials of a study in the given states (all states when nil), by number.
    func trials(study: Int64, states: Set<TrialState>?) throws -> [TrialRecord]
    /// The best `limit` COMPLETE trials with a value, best first; ties go to the lower number.
    func ranking(study: Int64, limit: Int) throws -> [TrialRecord]
    /// Number of trials in each state (every state present, zero when none).
    func stateCounts(study: Int64) throws -> [TrialState: Int]
    func foldValues(trial: Int64) throws -> [FoldValue]
    func intermediateValues(trial: Int64) throws -> [IntermediateValue]
    /// Values reported at `step` by the study's trials in `states`: what a median pruner needs.
    func intermediateValues(study: Int64, step: Int, states: Set<TrialState>) throws -> [Double]

    // MARK: Batches

    /// Runs `body` as one transaction: every call it makes on this store, from this thread,
    /// joins it, and a throw out of `body` rolls all of them back.
    ///
    /// Why: a commit costs far more than the rows it writes (WAL pages, locks), so the
    /// scheduler applies everything one poll of its sockets brought (results, hand-outs, new
    /// trials) in one batch. Readers still see each trial whole: before the batch or after it.
    /// A call that throws inside the batch has written nothing (its checks precede its
    /// writes). Calls from other threads wait until the batch ends: do not wait for them in it.
    func batch<T>(_ body: () throws -> T) throws -> T

    /// Makes the store whole in its main file (SQLite: a WAL checkpoint), so that copying the
    /// file copies everything.
    func checkpoint() throws

    // MARK: Data sets

    /// Keeps a data file by its hash; storing a hash again changes nothing (same content).
    func putDataset(_ dataset: StoredDataset) throws
    func dataset(hash: String) throws -> StoredDataset?

    // MARK: Artifacts

    /// Stores (or replaces) the blob of `kind` for a trial.
    func putArtifact(trial: Int64, kind: String, data: Data) throws
    func artifact(trial: Int64, kind: String) throws -> Artifact?
}

extension TrialStore {
    public func createRunningTrial(study: Int64, params: [String: JSONValue], worker: String) throws -> TrialRecord {
        try batch { try markRunning(trial: try createTrial(study: study, params: params).id, worker: worker) }
    }

    public func endTrial(_ trial: Int64, _ outcome: TrialOutcome, folds: [FoldValue]) throws -> Double? {
        try finishTrial(trial, outcome, folds: folds).duration
    }

    /// Nothing to do for stores without a log.
    public func checkpoint() throws {}

    /// For backends without transactions: each call is still atomic on its own.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        try body()
    }

    /// Filters `studies()`; SQLite answers it from the `studies_by_state` index instead.
    public func unfinishedStudies() throws -> [StudyRecord] {
        try studies().filter { StudyState.unfinished.contains($0.state) }
    }

    /// The best COMPLETE trial, or nil when none has a value yet.
    public func bestTrial(study: Int64) throws -> TrialRecord? {
        try ranking(study: study, limit: 1).first
    }

    public func trials(study: Int64) throws -> [TrialRecord] {
        try trials(study: study, states: nil)
    }

    public func trials(study: Int64, state: TrialState) throws -> [TrialRecord] {
        try trials(study: study, states: [state])
    }

    @discardableResult
    public func finishTrial(_ trial: Int64, _ outcome: TrialOutcome) throws -> TrialRecord {
        try finishTrial(trial, outcome, folds: [])
    }

    @discardableResult
    public func complete(_ trial: Int64, value: Double, std: Double? = nil) throws -> TrialRecord {
        try finishTrial(trial, .complete(value: value, std: std))
    }

    @discardableResult
    public func prune(_ trial: Int64, value: Double? = nil) throws -> TrialRecord {
        try finishTrial(trial, .pruned(value: value))
    }

    @discardableResult
    public func fail(_ trial: Int64, error: String) throws -> TrialRecord {
        try finishTrial(trial, .fail(error: error))
    }

    /// Trials that have not finished: what the scheduler still owes the study.
    public func pendingCount(study: Int64) throws -> Int {
        let counts = try stateCounts(study: study)
        return (counts[.waiting] ?? 0) + (counts[.running] ?? 0)
    }
}
