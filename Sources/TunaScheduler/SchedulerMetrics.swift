import Foundation
import TunaProtocol

/// The scheduler's figures for Prometheus (`/metrics` on `tuna daemon --metrics`): written by
/// the scheduler's thread, read by the HTTP server's, so every access takes the lock. Rendered
/// in the text exposition format (version 0.0.4) without a client library: a few counters,
/// gauges and one histogram.
public final class SchedulerMetrics: @unchecked Sendable {
    struct StudyFigures {
        var finished: [String: Int] = [:]
        var running = 0
        var waiting = 0
        var budget = 0
        /// Cumulative counts per upper bound (seconds), then the sum and the count.
        var durationBuckets = [Int](repeating: 0, count: SchedulerMetrics.durationBounds.count)
        var durationSum = 0.0
        var durationCount = 0
    }

    static let durationBounds: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

    private let lock = NSLock()
    private var studies: [String: StudyFigures] = [:]
    private var workers = 0
    private var workerStatuses: [WorkerStatus] = []
    private var messages = 0
    private let started = Date()

    public init() {}

    func trialFinished(study: String, state: String, duration: Double?) {
        lock.withLock {
            var figures = studies[study] ?? StudyFigures()
            figures.finished[state, default: 0] += 1
            if let duration, duration.isFinite, duration >= 0 {
                for (index, bound) in Self.durationBounds.enumerated() where duration <= bound { figures.durationBuckets[index] += 1 }
                figures.durationSum += duration
                figures.durationCount += 1
            }
            studies[study] = figures
        }
    }

    func refresh(studies active: [ActiveStudy], workers: Int, workerList: [WorkerStatus] = []) {
        lock.withLock {
            self.workerStatuses = workerList
            for study in active {
                var figures = studies[study.study.name] ?? StudyFigures()
                figures.running = study.runningCount
                figures.waiting = study.waiting.count
                figures.budget = study.budget
                studies[study.study.name] = figures
            }
            self.workers = workers
        }
    }

    /// The workers as the loop last saw them (refreshed every half second), for the dashboard.
    public func workerList() -> [WorkerStatus] { lock.withLock { workerStatuses } }

    func messageHandled() { lock.withLock { messages += 1 } }

    /// The figures in Prometheus's text format.
    public func render() -> String {
        lock.withLock {
            var out = ""
            func family(_ name: String, _ type: String, _ help: String) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            }
            func label(_ text: String) -> String {
                text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\n", with: "\\n")
            }
            let names = studies.keys.sorted()
            family("tuna_trials_finished_total", "counter", "Trials finished by this scheduler, by study and final state.")
            for name in names {
                for (state, count) in studies[name]?.finished.sorted(by: { $0.key < $1.key }) ?? [] {
                    out += "tuna_trials_finished_total{study=\"\(label(name))\",state=\"\(state)\"} \(count)\n"
                }
            }
            family("tuna_trials_running", "gauge", "Trials held by workers now.")
            for name in names { out += "tuna_trials_running{study=\"\(label(name))\"} \(studies[name]?.running ?? 0)\n" }
            family("tuna_trials_waiting", "gauge", "Trials queued for a worker (requeued after a lost worker).")
            for name in names { out += "tuna_trials_waiting{study=\"\(label(name))\"} \(studies[name]?.waiting ?? 0)\n" }
            family("tuna_study_budget", "gauge", "The study's trial budget.")
            for name in names { out += "tuna_study_budget{study=\"\(label(name))\"} \(studies[name]?.budget ?? 0)\n" }
            family("tuna_trial_duration_seconds", "histogram", "Seconds from a trial's start to its end.")
            for name in names {
                guard let figures = studies[name] else { continue }
                for (bound, count) in zip(Self.durationBounds, figures.durationBuckets) {
                    out += "tuna_trial_duration_seconds_bucket{study=\"\(label(name))\",le=\"\(bound)\"} \(count)\n"
                }
                out += "tuna_trial_duration_seconds_bucket{study=\"\(label(name))\",le=\"+Inf\"} \(figures.durationCount)\n"
                out += "tuna_trial_duration_seconds_sum{study=\"\(label(name))\"} \(figures.durationSum)\n"
                out += "tuna_trial_duration_seconds_count{study=\"\(label(name))\"} \(figures.durationCount)\n"
            }
            family("tuna_workers", "gauge", "Workers attached now.")
            out += "tuna_workers \(workers)\n"
            family("tuna_messages_total", "counter", "Messages the scheduler has handled.")
            out += "tuna_messages_total \(messages)\n"
            family("tuna_uptime_seconds", "gauge", "Seconds since the scheduler started.")
            out += "tuna_uptime_seconds \(Date().timeIntervalSince(started))\n"
            return out
        }
    }
}
