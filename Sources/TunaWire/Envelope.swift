import Foundation

/// The protocol every Tuna message travels in.
///
/// Frames: `[version][type][JSON body]` (plus one raw frame for dataset bytes), with the
/// sender's identity in front as a ROUTER sees it. The version frame comes first so that a
/// peer speaking another version is recognised before its body is read.
public enum WireProtocol {
    /// Bumped whenever a message changes incompatibly.
    public static let version = "tuna/2"
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
        self.init(type: type, body: Array(try JSONEncoder().encode(message)), attachment: attachment)
    }

    /// The body decoded as `Body`; a body that does not fit throws `MalformedMessage`.
    public func decode<Body: Decodable>(_: Body.Type) throws -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(body))
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

    /// Parses frames received on a DEALER (no identity in front).
    public init(frames: [[UInt8]]) throws {
        guard frames.count == 3 || frames.count == 4 else {
            throw MalformedMessage(reason: "expected 3 or 4 frames, got \(frames.count)")
        }
        let version = String(decoding: frames[0], as: UTF8.self)
        guard version == WireProtocol.version else {
            throw VersionMismatch(peerVersion: version)
        }
        let typeName = String(decoding: frames[1], as: UTF8.self)
        guard let type = MessageType(rawValue: typeName) else {
            throw MalformedMessage(reason: "unknown message type '\(typeName.prefix(40))'")
        }
        self.init(type: type, body: frames[2], attachment: frames.count == 4 ? frames[3] : nil)
    }

    /// Splits frames received on a ROUTER into the sender's identity and its envelope.
    public static func routed(_ frames: [[UInt8]]) throws -> (identity: [UInt8], envelope: Envelope) {
        guard let identity = frames.first, !identity.isEmpty else {
            throw MalformedMessage(reason: "no sender identity")
        }
        return (identity, try Envelope(frames: Array(frames.dropFirst())))
    }
}

/// A peer speaks another protocol version: it is refused with a message saying so.
public struct VersionMismatch: Error, CustomStringConvertible, Equatable {
    public let peerVersion: String
    public var description: String {
        "peer speaks protocol '\(peerVersion.prefix(40))', this Tuna speaks '\(WireProtocol.version)'"
    }
}
