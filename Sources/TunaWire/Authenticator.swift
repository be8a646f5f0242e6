import Foundation

/// Who may talk to a CURVE server, and as what: the ZAP handler (RFC 27) of one context.
///
/// libzmq asks `inproc://zeromq.zap.01` about every CURVE handshake; this answers from an
/// allow-list of public keys with a role each, on a thread of its own so that a handshake never
/// waits for the scheduler's loop. An admitted connection's messages carry `role:name` as
/// their user id (`ZMQSocket.receiveWithUser`); anything else is refused during the handshake,
/// so an unknown peer never gets a single message through.
public final class Authenticator: @unchecked Sendable {
    /// What an admitted key may do.
    public enum Role: String, Sendable, CaseIterable {
        /// Attach as a worker: take trials, fetch their data, report results.
        case worker
        /// Control the daemon: submit and stop studies, ask for status.
        case client
    }

    /// An admitted key.
    public struct Peer: Sendable, Equatable {
        public var role: Role
        public var name: String
        public init(role: Role, name: String) {
            self.role = role
            self.name = name
        }

        /// The user id its messages carry.
        public var userID: String { "\(role.rawValue):\(name)" }

        /// The peer a user id names (nil for a malformed one).
        public init?(userID: String) {
            let parts = userID.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let role = Role(rawValue: String(parts[0])) else { return nil }
            self.init(role: role, name: String(parts[1]))
        }
    }

    /// Public keys by role: a folder with `workers/*.pub` and `clients/*.pub` (re-read at most
    /// once a second, so keys can be added or removed while the daemon runs), plus keys given
    /// directly (the ephemeral key of `tuna run`'s own workers).
    public struct AllowList: Sendable {
        public var folder: String?
        public var extra: [String: Peer]

        public init(folder: String? = nil, extra: [String: Peer] = [:]) {
            self.folder = folder
            self.extra = extra
        }

        /// Every admitted key; a `.pub` file that does not read is reported through `problem`.
        public func load(problem: (String) -> Void = { _ in }) -> [String: Peer] {
            var keys = extra
            guard let folder else { return keys }
            for role in Role.allCases {
                let directory = folder + "/" + role.rawValue + "s"
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
                for name in names.sorted() where name.hasSuffix(".pub") {
                    do {
                        keys[try CurveKey.readPublic(directory + "/" + name)] = Peer(role: role, name: String(name.dropLast(4)))
                    } catch {
                        problem("\(error)")
                    }
                }
            }
            return keys
        }
    }

    private let socket: ZMQSocket
    private let allowList: AllowList
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var running = true
    private var thread: Thread?
    private var cache: (keys: [String: Peer], loaded: Date) = ([:], .distantPast)

    /// Starts answering handshakes on `context`; it must exist before a CURVE server binds.
    public init(context: ZMQContext, allowList: AllowList, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        socket = try ZMQSocket(context, .reply)
        try socket.bind("inproc://zeromq.zap.01")
        self.allowList = allowList
        self.log = log
        let thread = Thread { [weak self] in self?.serve() }
        thread.name = "tuna-zap"
        self.thread = thread
        thread.start()
    }

    /// Stops the thread (within a tenth of a second).
    public func stop() {
        lock.withLock { running = false }
    }

    deinit { stop() }

    private var isRunning: Bool { lock.withLock { running } }

    private func serve() {
        while isRunning {
            do {
                guard let request = try socket.receive(timeoutMilliseconds: 100) else { continue }
                _ = try socket.send(answer(request))
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                log("authentication: \(error)")
            }
        }
    }

    /// RFC 27: version, request id, domain, address, identity, mechanism, credentials… in;
    /// version, request id, status code, status text, user id, metadata out.
    func answer(_ request: [[UInt8]]) -> [[UInt8]] {
        func reply(_ code: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), request.count > 1 ? request[1] : [], Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard request.count >= 6, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return reply("500", "malformed ZAP request")
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count >= 7, let key = CurveKey.text(request[6]) else {
            log("refused a \(mechanism.prefix(16)) connection from \(address.prefix(64)): CURVE keys required")
            return reply("400", "CURVE keys required")
        }
        guard let peer = admitted()[key] else {
            log("refused a connection from \(address.prefix(64)): public key \(key) is not admitted")
            return reply("400", "key not admitted")
        }
        return reply("200", "OK", user: peer.userID)
    }

    private func admitted() -> [String: Peer] {
        if Date().timeIntervalSince(cache.loaded) > 1 {
            cache = (allowList.load(problem: log), Date())
        }
        return cache.keys
    }
}
