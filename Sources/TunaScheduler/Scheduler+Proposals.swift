import Foundation
import TunaBase

extension Scheduler {
    /// Proposals wanted per study beyond the workers waiting now, before the asks have measured
    /// the demand: one per trial slot (as if every worker finished while the next ask runs),
    /// at most `maximumBase`. With one worker nothing is asked ahead, so each ask sees every
    /// earlier result and a one-worker run is reproducible trial by trial.
    var proposalsAhead: Int {
        guard workers.count > 1 else { return 0 }
        return min(Self.maximumBase, workers.values.reduce(0) { $0 + $1.slots })
    }

    /// A quarter of `ProposalQueue.maximumAhead`: enough for the wave of a thousand workers
    /// joining at once while the sampler's first fits run (they carry up to 256 lies), few
    /// enough that the queue is not stale when the workers keep pace.
    static let maximumBase = 128

    /// Starts an ask for every study whose queue is short of the free trial slots plus what it
    /// keeps ahead (`ProposalQueue.ahead`; one ask in flight per study).
    func askAhead() {
        guard let samplerThread else { return }
        let free = freeSlots
        let base = proposalsAhead
        let now = Date()
        for study in studies {
            let wanted = free + (study.proposals?.ahead(base: base) ?? base)
            guard wanted > 0 else { continue }
            // At least what the workers take while one ask runs (a smaller ask costs nearly as
            // much, and asks smaller than the demand can never catch up with it), and every
            // free slot now: a thousand joining at once are served by one ask, not by a string
            // of asks each paying for its own fit.
            let minimum = max(base, study.proposals?.demand ?? 0, min(free, ProposalQueue.maximumAhead))
            if let job = study.proposalJob(wanted: wanted, minimum: minimum, now: now) { samplerThread.submit(job) }
        }
    }

    /// Free trial slots of the workers ready for work (a worker holding `slots` trials
    /// waits for that many).
    var waitingWorkers: Int {
        var count = 0
        for worker in workers.values where worker.wantsWork { count += worker.slots - worker.held.count }
        return count
    }

    /// Free trial slots of every worker, ready or not yet: one just welcomed asks for work
    /// within a round trip, so a wave of joining workers is asked for as it joins rather than
    /// a round trip behind it.
    var freeSlots: Int {
        var count = 0
        for worker in workers.values { count += max(0, worker.slots - worker.held.count) }
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
