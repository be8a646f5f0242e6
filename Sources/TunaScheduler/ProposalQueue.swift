import Foundation
import TunaSearch

/// A study's proposals asked ahead of the workers, and the one ask in flight for it.
///
/// Lives on the loop's thread only; the sampler thread sees a job's snapshot, never this.
/// Each answer is tagged with the generation it was asked in: a stop (or the study finishing)
/// starts a new generation, so an answer that arrives afterwards is recognised and dropped
/// rather than handed out.
final class ProposalQueue {
    /// The most points one ask proposes while the workers keep up with it (each is one more
    /// fake observation for the GP, and a long batch is stale by the time its last point is
    /// handed out).
    static let maximumBatch = 64
    /// The most points one study keeps asked ahead, and one ask's ceiling when the workers
    /// take more than `maximumBatch` while an ask runs (`demand`).
    static let maximumAhead = 512
    /// After a sampler error other than exhaustion, the next ask waits this long (a broken
    /// study must not spin the sampler thread or flood the log).
    static let retryDelay = 1.0

    /// Samplers whose `ask` reads the history go to the sampler thread; random and Sobol' are
    /// cheaper to ask than to queue, and the grid's exhaustion is answered at once.
    static func asksOffThread(_ sampler: any Sampler) -> Bool {
        sampler.needsHistory && !(sampler is GridSampler)
    }

    /// NSGA-II and MOTPE read the history; random and Sobol' behind the adapter do not.
    static func asksOffThread(_ sampler: any MultiObjectiveSampler) -> Bool {
        (sampler as? SingleObjectiveAdapter).map { asksOffThread($0.base) } ?? true
    }

    let serial: Int
    private(set) var queued: [Parameters] = []
    private(set) var generation = 0
    /// Points asked for and not answered yet (0: no ask in flight).
    private(set) var inFlight = 0
    /// The sampler said it has nothing more to propose.
    private(set) var exhausted = false
    private var retryAt: Date?
    /// Asks answered and how long they took on the sampler thread (for the log and benchmarks).
    private(set) var answered = 0
    private(set) var askSeconds = 0.0
    /// Proposals handed out so far, and that count when the ask in flight started.
    private var handedOut = 0
    private var handedOutAtAsk = 0
    /// What the workers wanted while an ask ran: the proposals they took plus those still
    /// waiting when it came back, the most over the last few asks. An ask started now will take
    /// about as long, so this is what the queue must hold when it starts for no worker to wait.
    /// The most, not the last: workers whose trials take alike finish in waves, and an ask
    /// sized to the lull between two waves left the next one waiting.
    var demand: Int { recentDemands.max() ?? 0 }
    private var recentDemands: [Int] = []
    static let demandMemory = 4

    init(serial: Int) {
        self.serial = serial
    }

    func canAsk(now: Date) -> Bool {
        inFlight == 0 && !exhausted && (retryAt.map { now >= $0 } ?? true)
    }

    func asking(_ count: Int) {
        inFlight = count
        handedOutAtAsk = handedOut
    }

    /// Proposals to keep beyond the workers waiting: `base`, or (never with `base` 0, which
    /// keeps a one-worker run reproducible) twice the last ask's demand: an ask starts when the
    /// queue falls below this, the workers take `demand` meanwhile, and the answer refills it.
    func ahead(base: Int) -> Int {
        base == 0 ? 0 : min(max(base, 2 * demand), Self.maximumAhead)
    }

    /// The most points the next ask may propose: `maximumBatch`, or the last ask's demand when
    /// that was more (a smaller batch than the workers take while it runs falls behind for good:
    /// each ask costs a fit and a first point however few points follow).
    var batchLimit: Int {
        min(max(Self.maximumBatch, demand + demand / 4), Self.maximumAhead)
    }

    func next() -> Parameters? {
        guard !queued.isEmpty else { return nil }
        handedOut += 1
        return queued.removeFirst()
    }

    func drop() {
        queued.removeAll()
        generation += 1
        inFlight = 0
    }

    /// Queues up to `keep` of the answer's proposals; a problem worth logging comes back.
    /// `waiting`: workers that found nothing to start while the ask ran and wait now.
    func receive(_ answer: SamplerThread.Answer, keep: Int, waiting: Int = 0, now: Date) -> String? {
        guard answer.generation == generation else { return nil }
        inFlight = 0
        recentDemands.append(handedOut - handedOutAtAsk + max(waiting, 0))
        if recentDemands.count > Self.demandMemory { recentDemands.removeFirst() }
        answered += 1
        askSeconds += answer.seconds
        queued += answer.proposals.prefix(max(0, keep))
        switch answer.error {
        case nil:
            return nil
        case SamplerError.exhausted?:
            exhausted = true
            return nil
        case let error?:
            retryAt = now.addingTimeInterval(Self.retryDelay)
            return "the sampler failed: \(error); asking again in \(Self.retryDelay) s"
        }
    }
}
