import Foundation
import TunaBase
import TunaProtocol
import TunaSpec
import TunaStore
import TunaWire

extension Scheduler {
    /// Answers a control client (`tuna submit`, `tuna status`, `tuna stop`).
    func control(_ envelope: Envelope) throws -> ReplyMessage {
        if envelope.type != .status && !options.acceptsSubmissions {
            return ReplyMessage(ok: false, message: "this scheduler runs the studies it was started with and takes no submissions; use `tuna daemon`")
        }
        switch envelope.type {
        case .submit:
            return submit(try envelope.decode(SubmitMessage.self))
        case .stopStudy:
            let request = try envelope.decode(StopStudyMessage.self)
            guard let active = studies.first(where: { $0.study.name == request.study }) else {
                return ReplyMessage(ok: false, message: "no study '\(logSafe(request.study, limit: 100))' in this daemon; studies: \(studies.map(\.study.name).joined(separator: ", "))")
            }
            active.stopped = true
            try store.setStudyState(.stopped, study: active.record.id)
            log("study \(active.study.name) stopped (\(active.runningCount) running trials finish)")
            return ReplyMessage(ok: true, message: "study \(request.study) stopped: no new trials (\(active.runningCount) running finish)", studies: statuses, workers: workers.count)
        default:
            return ReplyMessage(ok: true, message: "\(studies.count) studies, \(workers.count) workers", studies: statuses, workers: workers.count)
        }
    }

    func submit(_ submit: SubmitMessage) -> ReplyMessage {
        let study: Study
        do {
            study = try options.parseStudy(submit.studyText, submit.studyFile)
        } catch {
            return ReplyMessage(ok: false, message: "\(error)")
        }
        if let trials = submit.trials, trials < 1 {
            return ReplyMessage(ok: false, message: "the trial budget must be at least 1, got \(trials)")
        }
        if let active = studies.first(where: { $0.study.name == study.name }) {
            guard active.study.hash == study.hash else {
                return ReplyMessage(ok: false, message: "study \(study.name) exists in this daemon with a different study file; rename the study")
            }
            if !active.isDone && !active.stopped {
                return ReplyMessage(ok: false, message: "study \(study.name) is already running")
            }
            // A stopped study resumes in place: its running trials are still held by workers
            // whose results must find them, and its queue already agrees with the store.
            if !active.isDone {
                do {
                    try store.setStudyState(.running, study: active.record.id)
                } catch {
                    return ReplyMessage(ok: false, message: "\(error)")
                }
                active.stopped = false
                if let trials = submit.trials { active.budget = trials }
                log("study \(study.name) resumed")
                return ReplyMessage(ok: true, message: "study \(study.name) resumed: \(active.finishedCount)/\(active.budget) trials done", studies: statuses, workers: workers.count)
            }
            // A finished study with a larger budget is picked up from the store afresh.
            studies.removeAll { $0 === active }
        }
        do {
            let active = try add(study, trialBudget: submit.trials)
            log("study \(study.name) accepted: \(active.finishedCount)/\(active.budget) trials done")
            return ReplyMessage(ok: true, message: "study \(study.name) accepted: \(active.finishedCount)/\(active.budget) trials done", studies: statuses, workers: workers.count)
        } catch {
            return ReplyMessage(ok: false, message: "\(error)")
        }
    }
}
