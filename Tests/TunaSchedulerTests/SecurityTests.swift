import Foundation
import Testing
import TunaProtocol
import TunaSpec
import TunaStore
import TunaWire

@testable import TunaScheduler

/// CURVE authentication and roles on a real socket over loopback: a peer without an admitted
/// key gets nothing at all, a worker key may only work, a client key may only control, and
/// command objectives reach only workers that opted in.
@Suite struct SecurityTests {
    /// A daemon key, one admitted worker and one admitted client in a key folder.
    struct Keys {
        let folder: URL
        let daemon: CurveKeyPair, worker: CurveKeyPair, client: CurveKeyPair, stranger: CurveKeyPair

        init(in folder: URL) throws {
            self.folder = folder.appendingPathComponent("keys")
            for sub in ["workers", "clients"] {
                try FileManager.default.createDirectory(at: self.folder.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            (daemon, worker, client, stranger) = (try .generate(), try .generate(), try .generate(), try .generate())
            try CurveKey.write(daemon, to: self.folder.appendingPathComponent("daemon").path)
            try CurveKey.write(worker, to: self.folder.appendingPathComponent("workers/node1").path)
            try CurveKey.write(client, to: self.folder.appendingPathComponent("clients/alice").path)
        }

        var security: Scheduler.Security {
            Scheduler.Security(keyPair: daemon, allowList: .init(folder: folder.path))
        }
    }

    static func securedHarness() throws -> (Harness, Keys) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-keys-\(UUID().uuidString)")
        let keys = try Keys(in: folder)
        let harness = try Harness(backend: .memory, security: keys.security)
        harness.cleanup.append(folder)
        return (harness, keys)
    }

    @Test func keyFilesRoundTripAndSecretsMustBePrivate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-keyfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pair = try CurveKeyPair.generate()
        let base = folder.appendingPathComponent("node").path
        try CurveKey.write(pair, to: base)
        #expect(try CurveKey.readPair(base + ".key") == pair)
        // Read through a link, as Kubernetes mounts secrets: the file's own mode counts.
        try FileManager.default.createSymbolicLink(atPath: base + "-link.key", withDestinationPath: base + ".key")
        #expect(try CurveKey.readPair(base + "-link.key") == pair)
        #expect(try CurveKey.readPublic(base + ".pub") == pair.publicKey)
        #expect(throws: CurveKeyError.self) { try CurveKey.write(pair, to: base) }  // never overwritten
        #expect(throws: CurveKeyError.self) { try CurveKey.readPair(base + ".pub") }  // no secret in a .pub
        chmod(base + ".key", 0o644)
        #expect(throws: CurveKeyError.self) { try CurveKey.readPair(base + ".key") }
        #expect(throws: CurveKeyError.self) { try CurveKeyPair(publicKey: try CurveKeyPair.generate().publicKey, secretKey: pair.secretKey) }
    }

    @Test func anAdmittedWorkerWorksAndPeersWithoutAnAdmittedKeyGetNothing() throws {
        let (harness, keys) = try Self.securedHarness()
        try harness.scheduler.add(try harness.sphere(trials: 1))
        let stranger = try harness.worker("stranger", curve: (keys.stranger, keys.daemon.publicKey))
        let plain = try harness.worker("plain")
        for peer in [stranger, plain] {
            try peer.send(.hello, HelloMessage(worker: peer.name, host: "h", pid: 1))
            try peer.send(Envelope(type: .ready))
            try peer.send(Envelope(type: .status))
            try peer.send(.needDataset, DatasetMessage(hash: String(repeating: "0", count: 64), fileExtension: ""))
        }
        #expect(try stranger.receivesNothing(.welcome, seconds: 0.5) && stranger.inbox.isEmpty, "\(stranger.inbox.map(\.type))")
        #expect(try plain.receivesNothing(.welcome, seconds: 0.2) && plain.inbox.isEmpty, "\(plain.inbox.map(\.type))")
        #expect(harness.log.contains { $0.contains("is not admitted") }, "\(harness.log)")

        let worker = try harness.worker("node1", curve: (keys.worker, keys.daemon.publicKey))
        try worker.join()
        let assignment = try #require(try worker.assignment())
        try worker.result(assignment.trialID, value: 0.25)
        #expect(try harness.pump { harness.scheduler.isFinished })
        #expect(try harness.trials("sphere").map(\.value) == [0.25])
        #expect(stranger.inbox.isEmpty && plain.inbox.isEmpty)
    }

    @Test func aWorkerKeyCannotControlAndAClientKeyCannotWork() throws {
        let (harness, keys) = try Self.securedHarness()
        let study = try harness.sphere(trials: 1)
        try harness.scheduler.add(study)
        let worker = try harness.worker("node1", curve: (keys.worker, keys.daemon.publicKey))
        try worker.send(.stopStudy, StopStudyMessage(study: "sphere"))
        let refusal = try #require(try worker.expect(.refuse)?.decode(RefuseMessage.self))
        #expect(refusal.reason.contains("worker key"), "\(refusal.reason)")

        let client = try harness.worker("alice", curve: (keys.client, keys.daemon.publicKey))
        try client.send(.hello, HelloMessage(worker: "alice", host: "h", pid: 1))
        #expect(try client.expect(.refuse)?.decode(RefuseMessage.self).reason.contains("client key") == true)
        #expect(try client.receivesNothing(.assign))
        try client.send(Envelope(type: .status))
        let status = try #require(try client.expect(.reply)?.decode(ReplyMessage.self))
        #expect(status.ok && status.studies.map(\.name) == ["sphere"])
        try client.send(.stopStudy, StopStudyMessage(study: "sphere"))
        #expect(try client.expect(.reply)?.decode(ReplyMessage.self).ok == true)
    }

    @Test(arguments: StoreKind.allCases)
    func commandStudiesGoOnlyToWorkersThatAllowCommands(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        try harness.scheduler.add(try harness.study("""
            name: cmd
            objective: {command: [echo, "loss={x}"]}
            search: {algorithm: random, trials: 1, parameters: {x: {float: [0, 1]}}}
            """, file: "cmd.yaml"))
        let careful = try harness.worker("careful")
        try careful.join()
        #expect(try careful.receivesNothing(.assign, seconds: 0.5), "a worker without --allow-commands gets no command trial")
        let willing = try harness.worker("willing")
        try willing.join(allowsCommands: true)
        let assignment = try #require(try willing.assignment())
        try willing.result(assignment.trialID, value: 0.5)
        #expect(try harness.pump { harness.scheduler.isFinished })
        try harness.expectConsistent()
    }
}
