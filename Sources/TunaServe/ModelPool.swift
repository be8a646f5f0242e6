import TunaExport

/// One decoded copy of the model, lent to one request at a time.
///
/// `@unchecked Sendable` because `Sequential` is a class whose layers keep their output buffers
/// between calls: two inferences on one copy at once would overwrite each other's activations.
/// The pool is what makes the hand-over safe: a copy is in exactly one place, idle in the pool
/// or with the one request that took it.
final class Replica: @unchecked Sendable {
    let bundle: ModelBundle

    init(bundle: ModelBundle) { self.bundle = bundle }
}

/// A small pool of model copies, so that concurrent requests run inference side by side (one
/// copy each) instead of queueing on one lock, while memory stays bounded by the pool's size.
/// A request that finds no idle copy waits, in arrival order, for the next one given back.
actor ModelPool {
    private var idle: [Replica]
    private var waiting: [CheckedContinuation<Replica, Never>] = []
    nonisolated let size: Int

    init(_ replicas: [Replica]) {
        idle = replicas
        size = replicas.count
    }

    func take() async -> Replica {
        if let replica = idle.popLast() { return replica }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func giveBack(_ replica: Replica) {
        if waiting.isEmpty {
            idle.append(replica)
        } else {
            waiting.removeFirst().resume(returning: replica)
        }
    }

    /// Runs `body` with a copy of its own, given back whatever `body` does.
    nonisolated func withReplica<T: Sendable>(_ body: (ModelBundle) throws -> T) async throws -> T {
        let replica = await take()
        let result = Result { try body(replica.bundle) }
        await giveBack(replica)
        return try result.get()
    }
}
