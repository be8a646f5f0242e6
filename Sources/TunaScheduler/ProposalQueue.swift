import Foundation
import TunaSearch

/// A study's proposals asked ahead of the workers, and the one ask in flight for it.
///
/// Lives on the loop's thread only; the sampler thread sees a job's snapshot, never this.
/// Each answer is tagged with the generation it was asked in: a stop (or the study finishing)
/// starts a new generation, so an answer that arrives afterwards is recognised and dropped
/// rather than handed out.
final class ProposalQueue {
    /// The most points one ask proposes (each is one more fake observation for the GP, and a
    /// long batch is stale by the time its last point is handed out).
    static let maximumBatch = 64
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

    init(serial: Int) {
        self.serial = serial
    }

    func canAsk(now: Date) -> Bool {
        inFlight == 0 && !exhausted && (retryAt.map { now >= $0 } ?? true)
    }

    func asking(_ count: Int) {
        inFlight = count
    }

    func next() -> Parameters? {
        queued.isEmpty ? nil : queued.removeFirst()
    }

    func drop() {
        queued.removeAll()
        generation += 1
        inFlight = 0
    }

    /// Queues up to `keep` of the answer's proposals; a problem worth logging comes back.
    func receive(_ answer: SamplerThread.Answer, keep: Int, now: Date) -> String? {
        guard answer.generation == generation else { return nil }
        inFlight = 0
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
