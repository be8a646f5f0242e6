import Foundation
import Hummingbird
import HummingbirdCore
import TunaPlots
import TunaStore

/// The JSON endpoints. Every input is checked before it reaches the store: the study name
/// (percent-decoded, at most 200 characters), and the table's paging, sort and state filter.
struct API {
    let dashboard: Dashboard
    var store: any TrialStore { dashboard.store }

    static let sortKeys = ["number", "value", "state", "duration", "worker"]

    struct StudySummary: Encodable {
        var name: String
        var direction: String
        var metric: String
        var state: String
        var trials: Int
        var counts: [String: Int]
        var best: Double?
        var bestTrial: Int?
        var version: String
        /// Values reported so far by the running trials: moves with every epoch.
        var progress: Int
    }

    struct TrialRow: Encodable {
        var number: Int
        var state: String
        var value: Double?
        var std: Double?
        var duration: Double?
        var worker: String?
        var attempts: Int
        var error: String?
        var params: [String: JSONValue]
    }

    struct TrialPage: Encodable {
        var total: Int
        var offset: Int
        var limit: Int
        var sort: String
        var order: String
        var trials: [TrialRow]
    }

    struct WorkerRow: Encodable {
        var name: String
        /// Trials of this study it ran (by the store's record of the latest attempt).
        var trials: Int
        var running: [Int]
        var study: String?
        var trial: Int?
        var silentFor: Double?
        var live: Bool
    }

    struct WorkersBody: Encodable {
        var live: Bool
        var workers: [WorkerRow]
    }

    /// The named study, or a 404 that lists none of the host's details.
    func study(_ context: BasicRequestContext) throws -> StudyRecord {
        guard let raw = context.parameters.get("name"), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw RequestError(400, "the study name is not valid percent-encoded text")
        }
        guard name.count <= 200 else { throw RequestError(400, "a study name has at most 200 characters") }
        guard let record = try store.study(named: name) else {
            throw RequestError(404, "no study '\(name)'")
        }
        return record
    }

    /// Changes whenever a trial is created or changes state, or the study's state changes.
    func version(of study: StudyRecord) throws -> String {
        let counts = try store.stateCounts(study: study.id)
        return "\(study.id)-\(study.state.rawValue)-" + TrialState.allCases.map { String(counts[$0] ?? 0) }.joined(separator: ".")
    }

    /// Reports of the running trials (a few: one per busy worker), so the curves move while
    /// trials train; part of the plots' cache key, apart from `version` so the page can redraw
    /// the plots for progress less often than for finished trials.
    func progress(of study: StudyRecord, running: Int) throws -> Int {
        guard running > 0 else { return 0 }
        return try store.trials(study: study.id, states: [.running]).reduce(0) { $0 + (try store.intermediateValues(trial: $1.id).count) }
    }

    func version() throws -> Response {
        let versions = try store.studies().map { try version(of: $0) }
        return Dashboard.json(["version": versions.joined(separator: "_")])
    }

    func summaryBody(_ study: StudyRecord) throws -> StudySummary {
        let counts = try store.stateCounts(study: study.id)
        let best = try store.bestTrial(study: study.id)
        return StudySummary(
            name: study.name, direction: study.direction.rawValue, metric: study.metric, state: study.state.rawValue,
            trials: counts.values.reduce(0, +), counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            best: best?.value, bestTrial: best?.number, version: try version(of: study),
            progress: try progress(of: study, running: counts[.running] ?? 0))
    }

    func studies() throws -> Response {
        Dashboard.json(try store.studies().map(summaryBody))
    }

    func summary(_ study: StudyRecord) throws -> Response {
        Dashboard.json(try summaryBody(study))
    }

    func plots(_ study: StudyRecord) async throws -> Response {
        let running = try store.stateCounts(study: study.id)[.running] ?? 0
        let version = try version(of: study) + "+\(try progress(of: study, running: running))"
        let (store, limits) = (store, dashboard.options.limits)
        let body = try await dashboard.cache.body(study: study.id, version: version) {
            PlotsBody(version: version, plots: StudyPlots.render(try StudySnapshot.load(store: store, study: study, limits: limits)))
        }
        return Dashboard.json(body)
    }

    /// One page of the trial table: `state` (comma-separated states), `sort`, `order`,
    /// `offset`, `limit` (1–500).
    func trials(_ study: StudyRecord, query: FlatDictionary<Substring, Substring>) throws -> Response {
        let known = Set(query.map { String($0.key) })
        let unknown = known.subtracting(["state", "sort", "order", "offset", "limit"])
        if let first = unknown.sorted().first {
            throw RequestError(400, "unknown query parameter '\(first.prefix(50))'; known: state, sort, order, offset, limit")
        }
        var states: Set<TrialState>?
        if let text = query["state"].map(String.init), !text.isEmpty, text.lowercased() != "all" {
            var picked = Set<TrialState>()
            for part in text.split(separator: ",") {
                guard let state = TrialState(rawValue: part.uppercased()) else {
                    throw RequestError(400, "unknown state '\(part.prefix(50))'; states: \(TrialState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                picked.insert(state)
            }
            states = picked
        }
        let sort = query["sort"].map(String.init) ?? "number"
        guard Self.sortKeys.contains(sort) else {
            throw RequestError(400, "cannot sort by '\(sort.prefix(50))'; sort by one of \(Self.sortKeys.joined(separator: ", "))")
        }
        let order = query["order"].map(String.init) ?? "asc"
        guard order == "asc" || order == "desc" else { throw RequestError(400, "order is asc or desc, not '\(order.prefix(50))'") }
        let offset = try Self.integer(query["offset"], name: "offset", default: 0, range: 0...1_000_000_000)
        let limit = try Self.integer(query["limit"], name: "limit", default: 50, range: 1...500)

        var trials = try store.trials(study: study.id, states: states)
        let ascending = order == "asc"
        // Missing values sort last in both orders, as spreadsheets do.
        func compare<T: Comparable>(_ a: T?, _ b: T?, _ na: Int, _ nb: Int) -> Bool {
            switch (a, b) {
            case let (x?, y?): return x == y ? na < nb : (ascending ? x < y : x > y)
            case (nil, nil): return na < nb
            case (nil, _): return false
            case (_, nil): return true
            }
        }
        switch sort {
        case "value": trials.sort { compare($0.value, $1.value, $0.number, $1.number) }
        case "duration": trials.sort { compare($0.duration, $1.duration, $0.number, $1.number) }
        case "state": trials.sort { compare($0.state.rawValue, $1.state.rawValue, $0.number, $1.number) }
        case "worker": trials.sort { compare($0.worker, $1.worker, $0.number, $1.number) }
        default: if !ascending { trials.reverse() }
        }
        let page = trials.dropFirst(min(offset, trials.count)).prefix(limit).map { trial in
            TrialRow(number: trial.number, state: trial.state.rawValue, value: trial.value, std: trial.std, duration: trial.duration,
                     worker: trial.worker, attempts: trial.attempts, error: trial.error, params: trial.params)
        }
        return Dashboard.json(TrialPage(total: trials.count, offset: offset, limit: limit, sort: sort, order: order, trials: Array(page)))
    }

    /// Workers by the trials they ran in this study; with a daemon, also what each does now.
    func workers(_ study: StudyRecord) throws -> Response {
        var rows: [String: WorkerRow] = [:]
        for trial in try store.trials(study: study.id) {
            guard let name = trial.worker else { continue }
            var row = rows[name] ?? WorkerRow(name: name, trials: 0, running: [], live: false)
            row.trials += 1
            if trial.state == .running { row.running.append(trial.number) }
            rows[name] = row
        }
        if let live = dashboard.liveWorkers?() {
            for worker in live {
                var row = rows[worker.name] ?? WorkerRow(name: worker.name, trials: 0, running: [], live: true)
                row.live = true
                row.study = worker.study
                row.trial = worker.trial
                row.silentFor = worker.silentFor
                rows[worker.name] = row
            }
        }
        let sorted = rows.values.sorted { ($0.live ? 0 : 1, $0.name) < ($1.live ? 0 : 1, $1.name) }
        return Dashboard.json(WorkersBody(live: dashboard.liveWorkers != nil, workers: sorted))
    }

    static func integer(_ text: Substring?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw RequestError(400, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(50))'")
        }
        return number
    }
}
