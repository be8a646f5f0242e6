import Foundation
import TunaBase

extension Scheduler {
    /// Proposals wanted per study beyond the workers waiting now: enough to serve the workers
    /// that finish while the next ask runs. With one worker nothing is asked ahead, so each
    /// ask sees every earlier result and a one-worker run is reproducible trial by trial.
    var proposalsAhead: Int {
        workers.count > 1 ? min(64, max(1, workers.count / 2)) : 0
    }

    /// Starts an ask for every study whose queue is short of the waiting workers plus what it
    /// keeps ahead (`ProposalQueue.ahead`; one ask in flight per study).
    func askAhead() {
        guard let samplerThread else { return }
        let waitingWorkers = self.waitingWorkers
        let base = proposalsAhead
        let now = Date()
        for study in studies {
            let wanted = waitingWorkers + (study.proposals?.ahead(base: base) ?? base)
            guard wanted > 0 else { continue }
            if let job = study.proposalJob(wanted: wanted, now: now) { samplerThread.submit(job) }
        }
    }

    /// Free trial slots of the workers ready for work (a worker holding `slots` trials
    /// waits for that many).
    var waitingWorkers: Int {
        var count = 0
        for worker in workers.values where worker.wantsWork { count += worker.slots - worker.held.count }
        return count
    }

    /// Files the sampler thread's answers with their studies (dropping those of studies that
    /// are gone) and serves the workers waiting for them.
    func takeProposals() {
        guard let samplerThread else { return }
        let answers = samplerThread.takeAnswers()
        guard !answers.isEmpty else { return }
        let waiting = waitingWorkers
        for answer in answers {
            guard let study = studies.first(where: { $0.proposals?.serial == answer.study }) else { continue }
            if let problem = study.receive(answer, waiting: waiting) { log(logSafe(problem, limit: 400)) }
        }
    }
}
