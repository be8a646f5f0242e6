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
            return submit(try envelope.decode(SubmitMessage.self), attachment: envelope.attachment)
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
            return ReplyMessage(
                ok: true, message: "\(studies.count) studies, \(workers.count) workers", studies: statuses, workers: workers.count,
                workerList: workerStatuses)
        }
    }

    func submit(_ submit: SubmitMessage, attachment: [UInt8]?) -> ReplyMessage {
        let study: Study
        var dataset: StoredDataset?
        do {
            if let declared = submit.dataset {
                dataset = try Self.receivedDataset(declared, bytes: attachment)
            } else if attachment != nil {
                return ReplyMessage(ok: false, message: "a submission carries data bytes only with a declared data set")
            }
            study = try options.parseStudy(submit.studyText, submit.studyFile, try dataset.map(privateCopy))
        } catch {
            return ReplyMessage(ok: false, message: "\(error)")
        }
        if study.data != nil && dataset == nil {
            return ReplyMessage(ok: false, message: "study \(study.name) needs its data file sent with it (`tuna submit` sends it); the daemon does not read paths named in a submission")
        }
        if let trials = submit.trials, !(1...StudyLimits.maxTrials).contains(trials) {
            return ReplyMessage(ok: false, message: "the trial budget is between 1 and \(StudyLimits.maxTrials), got \(trials)")
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
            let active = try add(study, trialBudget: submit.trials, dataset: dataset)
            log("study \(study.name) accepted: \(active.finishedCount)/\(active.budget) trials done")
            return ReplyMessage(ok: true, message: "study \(study.name) accepted: \(active.finishedCount)/\(active.budget) trials done", studies: statuses, workers: workers.count)
        } catch {
            return ReplyMessage(ok: false, message: "\(error)")
        }
    }
}

extension Scheduler {
    /// The submitted bytes, checked against the hash they were declared with.
    static func receivedDataset(_ declared: DatasetMessage, bytes: [UInt8]?) throws -> StoredDataset {
        guard let bytes else { throw SchedulerError(description: "the submission declares a data set but carries no bytes") }
        let actual = sha256Hex(Data(bytes))
        guard actual == declared.hash else {
            throw SchedulerError(description: "the submitted data hash to \(actual.prefix(12)), not the declared \(logSafe(declared.hash.prefix(12)))")
        }
        guard let fileExtension = declared.safeFileExtension else {
            throw SchedulerError(description: "the data file's extension '\(logSafe(declared.fileExtension, limit: 16))' is not a short alphanumeric one")
        }
        return StoredDataset(hash: actual, fileExtension: fileExtension, bytes: Data(bytes))
    }
}
