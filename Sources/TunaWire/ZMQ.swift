import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A failed ZeroMQ call, with libzmq's own message and what Tuna was doing.
public struct ZMQError: Error, CustomStringConvertible, Equatable {
    public let code: Int32
    public let operation: String

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }

    /// The call timed out or would have blocked (not a failure of the connection).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// The context is shutting down.
    public var isTerminated: Bool { code == ETERM_ZMQ }

    static func last(_ operation: String) -> ZMQError { ZMQError(code: zmq_errno(), operation: operation) }
}

/// libzmq's ETERM (defined relative to its private error base).
let ETERM_ZMQ: Int32 = 156_384_712 + 53

/// A ZeroMQ context: one per process, shared by its sockets.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return `ETERM` (used to stop
    /// threads that are waiting in `receive`).
    public func shutdown() { zmq_ctx_shutdown(handle) }

    deinit { zmq_ctx_term(handle) }
}

/// The socket kinds Tuna uses.
public enum SocketKind: Int32, Sendable {
    case pair = 0, publisher = 1, subscriber = 2, request = 3, reply = 4, dealer = 5, router = 6
}

/// A ZeroMQ socket. Like libzmq's, it must be used from one thread at a time; the scheduler
/// and each worker own theirs. Closed with linger 0 on deinit unless closed before.
public final class ZMQSocket: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?
    public let kind: SocketKind
    /// Keeps the context alive while the socket is open (a context waits for its sockets).
    private let context: ZMQContext

    public init(_ context: ZMQContext, _ kind: SocketKind) throws {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        self.kind = kind
        self.context = context
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit { close() }

    /// Closes the socket; pending outgoing messages are dropped (linger 0).
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    func socket(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: "\(operation) on a closed socket") }
        return handle
    }

    /// Binds to an endpoint (`tcp://127.0.0.1:5555`, `tcp://*:0` for any free port).
    public func bind(_ endpoint: String) throws {
        if zmq_bind(try socket("bind"), endpoint) != 0 { throw ZMQError.last("bind \(endpoint)") }
    }

    /// Connects to an endpoint. ZeroMQ connects in the background and retries, so an
    /// unreachable peer shows up as silence, not as an error here.
    public func connect(_ endpoint: String) throws {
        if zmq_connect(try socket("connect"), endpoint) != 0 { throw ZMQError.last("connect \(endpoint)") }
    }

    /// The endpoint actually bound (with the port chosen when binding to port 0 or `*`).
    public var lastEndpoint: String? {
        guard let handle else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return String(nulTerminated: buffer)
    }

    /// Sets an integer option (`ZMQ_LINGER`, `ZMQ_SNDHWM`, `ZMQ_ROUTER_MANDATORY`, ...).
    public func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        if zmq_setsockopt(try socket("setsockopt"), option, &v, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.last("setsockopt \(option)")
        }
    }

    /// Sets a bytes option (`ZMQ_ROUTING_ID`, `ZMQ_SUBSCRIBE`).
    public func setOption(_ option: Int32, _ bytes: [UInt8]) throws {
        let handle = try socket("setsockopt")
        let status = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, bytes.count) }
        if status != 0 { throw ZMQError.last("setsockopt \(option)") }
    }

    /// This socket's routing identity, as a ROUTER peer sees it.
    public func setIdentity(_ identity: [UInt8]) throws { try setOption(ZMQ_ROUTING_ID, identity) }

    /// Sends a multipart message. Returns false when `dontWait` and the message could not be
    /// queued (high-water mark, or no route on a ROUTER with mandatory routing).
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        let handle = try socket("send")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
            if sent < 0 {
                let error = ZMQError.last("send")
                if (error.isWouldBlock || error.code == EHOSTUNREACH) && index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives a whole multipart message; nil when nothing arrives within `timeoutMilliseconds`
    /// (-1 waits for ever, 0 returns at once).
    public func receive(timeoutMilliseconds: Int32 = -1) throws -> [[UInt8]]? {
        try receiveWithUser(timeoutMilliseconds: timeoutMilliseconds)?.frames
    }

    /// `receive`, with the user id that the ZAP handler gave the sender's connection (nil on a
    /// socket without authentication): who sent it, as the daemon admitted them.
    public func receiveWithUser(timeoutMilliseconds: Int32 = -1) throws -> (frames: [[UInt8]], user: String?)? {
        let handle = try socket("receive")
        // Zero needs no poll: a non-blocking receive says as much, one call cheaper.
        if timeoutMilliseconds > 0 {
            guard try poll([self], timeoutMilliseconds: timeoutMilliseconds).first == true else { return nil }
        }
        var frames: [[UInt8]] = []
        var user: String?
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        repeat {
            if zmq_msg_recv(&message, handle, frames.isEmpty && timeoutMilliseconds >= 0 ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError.last("receive")
                if error.isWouldBlock && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            if let data = zmq_msg_data(&message), size > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            // A ROUTER makes the identity frame itself; the frames the peer sent carry the
            // connection's metadata.
            if user == nil, let text = zmq_msg_gets(&message, "User-Id") { user = String(cString: text) }
        } while zmq_msg_more(&message) != 0
        return (frames, user)
    }

    var rawHandle: UnsafeMutableRawPointer? { handle }
}

/// Waits until one of `sockets` (or one of the plain file descriptors `fds`, such as the read
/// end of a pipe another thread writes to) has something to read, or the timeout passes;
/// returns which, sockets first. An interrupted wait (a signal arrived) returns all false, so
/// the caller can check its flags.
public func poll(_ sockets: [ZMQSocket], fds: [Int32] = [], timeoutMilliseconds: Int32) throws -> [Bool] {
    var items = sockets.map { zmq_pollitem_t(socket: $0.rawHandle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        + fds.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
    let count = zmq_poll(&items, Int32(items.count), Int(timeoutMilliseconds))
    if count < 0 {
        let error = ZMQError.last("poll")
        if error.code == EINTR { return Array(repeating: false, count: items.count) }
        throw error
    }
    return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
}


/// Integer socket options by name, so that callers need not import libzmq's header.
public enum SocketOption {
    /// A ROUTER reports unroutable messages instead of dropping them silently.
    public static let routerMandatory = ZMQ_ROUTER_MANDATORY
    public static let linger = ZMQ_LINGER
    public static let sendHighWaterMark = ZMQ_SNDHWM
    public static let receiveHighWaterMark = ZMQ_RCVHWM
    /// Queue messages only to completed connections.
    public static let immediate = ZMQ_IMMEDIATE
    public static let reconnectInterval = ZMQ_RECONNECT_IVL
    /// Connections the kernel queues for a listening socket before it drops their SYNs (the
    /// peer retries a second later, then two); ZeroMQ's default is 100.
    public static let backlog = ZMQ_BACKLOG
}

extension String {
    /// The text before the first NUL of a C buffer.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
