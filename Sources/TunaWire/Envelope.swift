import Foundation

/// The protocol every Tuna message travels in.
///
/// Frames: `[version][type][JSON body]` (plus one raw frame for dataset bytes), with the
/// sender's identity in front as a ROUTER sees it. The version frame comes first so that a
/// peer speaking another version is recognised before its body is read.
public enum WireProtocol {
    /// Bumped whenever a message changes incompatibly.
    public static let version = "tuna/3"
}

/// Every kind of message, scheduler to worker and back.
public enum MessageType: String, Sendable, CaseIterable, Codable {
    // worker -> scheduler
    case hello, ready, progress, result, failed
    case needDataset = "need_dataset"
    // scheduler -> worker
    case welcome, refuse, assign, decision, dataset, shutdown
    // both ways; any message also counts as a heartbeat
    case heartbeat
    // control clients (tuna submit / status / stop) -> daemon, and its answer
    case submit, status
    case stopStudy = "stop_study"
    case reply
    /// Several of the messages above in one ZeroMQ message (see `Envelope.batch`).
    case batch
}

/// Why a received message was dropped (logged, never fatal).
public struct MalformedMessage: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public var description: String { "malformed message: \(reason)" }
}

/// A message as it travels: a type, a JSON body and an optional binary attachment.
public struct Envelope: Sendable, Equatable {
    public var type: MessageType
    public var body: [UInt8]
    public var attachment: [UInt8]?

    public init(type: MessageType, body: [UInt8] = Array("{}".utf8), attachment: [UInt8]? = nil) {
        self.type = type
        self.body = body
        self.attachment = attachment
    }

    /// An envelope holding `message` encoded as JSON.
    public init<Body: Encodable>(_ type: MessageType, _ message: Body, attachment: [UInt8]? = nil) throws {
        self.init(type: type, body: Array(try Self.encoder.encode(message)), attachment: attachment)
    }

    /// One coder each for every message: making one per message was a tenth of a trivial
    /// trial's cost. Both are safe to share between threads.
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    /// The body decoded as `Body`; a body that does not fit throws `MalformedMessage`.
    public func decode<Body: Decodable>(_: Body.Type) throws -> Body {
        do {
            return try Self.decoder.decode(Body.self, from: Data(body))
        } catch {
            throw MalformedMessage(reason: "\(type.rawValue) body does not parse as \(Body.self): \(error)")
        }
    }

    /// The frames to send (without a routing identity).
    public var frames: [[UInt8]] {
        var frames = [Array(WireProtocol.version.utf8), Array(type.rawValue.utf8), body]
        if let attachment { frames.append(attachment) }
        return frames
    }

    /// The most messages one batch may carry: a worker holds at most 64 trials, and a peer must
    /// not make the receiver loop over an unbounded list.
    public static let batchLimit = 256

    /// The frames of several messages sent as one: `[version][batch]` then each message's
    /// `[type][body]`. Why: with trials of a millisecond, the results a worker has ready and
    /// the trials the scheduler hands a worker with free slots travel in one ZeroMQ message,
    /// so each side wakes, polls and receives once for all of them. A single message goes as
    /// itself; a message with an attachment never travels in a batch.
    public static func batch(_ envelopes: [Envelope]) -> [[UInt8]] {
        precondition(!envelopes.isEmpty, "a batch of nothing")
        guard envelopes.count > 1 else { return envelopes[0].frames }
        var frames: [[UInt8]] = [Array(WireProtocol.version.utf8), batchTypeFrame]
        frames.reserveCapacity(2 + 2 * envelopes.count)
        for envelope in envelopes {
            precondition(envelope.attachment == nil && envelope.type != .batch, "a batch carries plain messages only")
            frames.append(Array(envelope.type.rawValue.utf8))
            frames.append(envelope.body)
        }
        return frames
    }

    private static let batchTypeFrame = Array(MessageType.batch.rawValue.utf8)

    /// The messages in frames received on a DEALER: one, or each of a batch in order.
    public static func messages(frames: [[UInt8]]) throws -> [Envelope] {
        guard frames.count > 1, frames[1] == batchTypeFrame else { return [try Envelope(frames: frames)] }
        try checkVersion(frames[0])
        let count = (frames.count - 2) / 2
        guard frames.count % 2 == 0, (1...batchLimit).contains(count) else {
            throw MalformedMessage(reason: "a batch holds 1 to \(batchLimit) [type][body] pairs, got \(frames.count - 2) frames")
        }
        return try (0..<count).map { index in
            let type = try messageType(frames[2 + 2 * index])
            guard type != .batch else { throw MalformedMessage(reason: "a batch inside a batch") }
            return Envelope(type: type, body: frames[3 + 2 * index])
        }
    }

    /// The version frame comes first so that a peer speaking another version is told so
    /// before anything else of its message is read.
    private static func checkVersion(_ frame: [UInt8]) throws {
        let version = String(decoding: frame, as: UTF8.self)
        guard version == WireProtocol.version else { throw VersionMismatch(peerVersion: version) }
    }

    private static func messageType(_ frame: [UInt8]) throws -> MessageType {
        let typeName = String(decoding: frame, as: UTF8.self)
        guard let type = MessageType(rawValue: typeName) else {
            throw MalformedMessage(reason: "unknown message type '\(typeName.prefix(40))'")
        }
        return type
    }

    /// Parses frames received on a DEALER (no identity in front) holding one message.
    public init(frames: [[UInt8]]) throws {
        guard frames.count == 3 || frames.count == 4 else {
            throw MalformedMessage(reason: "expected 3 or 4 frames, got \(frames.count)")
        }
        try Self.checkVersion(frames[0])
        let type = try Self.messageType(frames[1])
        guard type != .batch else { throw MalformedMessage(reason: "a batch where one message was expected") }
        self.init(type: type, body: frames[2], attachment: frames.count == 4 ? frames[3] : nil)
    }

    /// Splits frames received on a ROUTER into the sender's identity and its envelope.
    public static func routed(_ frames: [[UInt8]]) throws -> (identity: [UInt8], envelope: Envelope) {
        guard let identity = frames.first, !identity.isEmpty else {
            throw MalformedMessage(reason: "no sender identity")
        }
        return (identity, try Envelope(frames: Array(frames.dropFirst())))
    }

    /// Splits frames received on a ROUTER into the sender's identity and its messages.
    public static func routedMessages(_ frames: [[UInt8]]) throws -> (identity: [UInt8], envelopes: [Envelope]) {
        guard let identity = frames.first, !identity.isEmpty else {
            throw MalformedMessage(reason: "no sender identity")
        }
        return (identity, try messages(frames: Array(frames.dropFirst())))
    }
}

/// A peer speaks another protocol version: it is refused with a message saying so.
public struct VersionMismatch: Error, CustomStringConvertible, Equatable {
    public let peerVersion: String
    public var description: String {
        "peer speaks protocol '\(peerVersion.prefix(40))', this Tuna speaks '\(WireProtocol.version)'"
    }
}
