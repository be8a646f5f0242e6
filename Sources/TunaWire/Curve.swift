import CZeroMQ
import Foundation

/// A CurveZMQ key pair (Curve25519), each key as its 40-character Z85 text.
///
/// Why CURVE: it is libzmq's own authenticated encryption, so the scheduler, the workers and
/// the control clients need nothing beside the socket library, and every message is encrypted
/// and tied to a key the daemon admitted (see `Authenticator`).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// A fresh pair from libzmq's generator.
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return try CurveKeyPair(publicKey: String(nulTerminated: publicKey), secretKey: String(nulTerminated: secretKey))
    }

    /// A pair read back from its two texts; the public key must be the secret key's.
    public init(publicKey: String, secretKey: String) throws {
        guard CurveKey.isValid(publicKey), CurveKey.isValid(secretKey) else {
            throw CurveKeyError("a key is 40 characters of Z85 text")
        }
        var derived = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&derived, secretKey) == 0, String(nulTerminated: derived) == publicKey else {
            throw CurveKeyError("the public key does not belong to the secret key")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// Why a key or key file was refused.
public struct CurveKeyError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Z85 key text, and the files keys live in.
///
/// Files: `NAME.pub` holds `public-key = "…"`, `NAME.key` holds the same plus
/// `secret-key = "…"` (the layout of CZMQ's certificates, so keys made by `zcert` tools read
/// the same); lines starting with `#` are comments. Secret files are written mode 0600.
public enum CurveKey {
    /// 40 characters of the Z85 alphabet that decode to 32 bytes.
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 40 else { return false }
        var bytes = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&bytes, text) != nil
    }

    /// The 32 raw bytes of a key as Z85 text (how the ZAP handler receives client keys).
    public static func text(_ raw: [UInt8]) -> String? {
        guard raw.count == 32 else { return nil }
        var out = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&out, raw, 32) != nil else { return nil }
        return String(nulTerminated: out)
    }

    /// The `key = "value"` settings of a key file.
    static func fields(of path: String) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CurveKeyError("cannot read the key file \(path): \(error.localizedDescription)")
        }
        var fields: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasSuffix(":") { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw CurveKeyError("\(path):\(number + 1): expected `name = \"value\"`") }
            fields[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return fields
    }

    /// The public key in a `.pub` or `.key` file.
    public static func readPublic(_ path: String) throws -> String {
        guard let key = try fields(of: path)["public-key"], isValid(key) else {
            throw CurveKeyError("\(path) holds no valid public-key")
        }
        return key
    }

    /// The key pair in a `.key` file; refused when others may read it.
    public static func readPair(_ path: String) throws -> CurveKeyPair {
        // The file itself, not a link to it (Kubernetes mounts secrets as links).
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let attributes = try? FileManager.default.attributesOfItem(atPath: target),
           let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw CurveKeyError("\(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        let fields = try fields(of: path)
        guard let publicKey = fields["public-key"], let secretKey = fields["secret-key"] else {
            throw CurveKeyError("\(path) holds no public-key and secret-key (is it a .pub file?)")
        }
        do {
            return try CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
        } catch let error as CurveKeyError {
            throw CurveKeyError("\(path): \(error.description)")
        }
    }

    /// Writes `base.key` (0600) and `base.pub`; refuses to overwrite either.
    public static func write(_ pair: CurveKeyPair, to base: String) throws {
        let secretPath = base + ".key", publicPath = base + ".pub"
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw CurveKeyError("\(path) exists; remove it first or choose another name")
        }
        let name = (base as NSString).lastPathComponent
        let publicText = "# Tuna public key '\(name)': give it to the daemon (workers/ or clients/)\ncurve:\n    public-key = \"\(pair.publicKey)\"\n"
        let secretText = "# Tuna key pair '\(name)': keep this file secret\ncurve:\n    public-key = \"\(pair.publicKey)\"\n    secret-key = \"\(pair.secretKey)\"\n"
        guard FileManager.default.createFile(atPath: secretPath, contents: Data(secretText.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CurveKeyError("cannot write \(secretPath)")
        }
        guard FileManager.default.createFile(atPath: publicPath, contents: Data(publicText.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw CurveKeyError("cannot write \(publicPath)")
        }
    }
}

extension ZMQSocket {
    /// Makes this (bound) socket a CURVE server with the daemon's key: only peers that complete
    /// the handshake, and that the context's ZAP handler admits, can talk to it.
    public func makeCurveServer(_ pair: CurveKeyPair) throws {
        try setOption(ZMQ_CURVE_SERVER, 1)
        try setOption(ZMQ_CURVE_SECRETKEY, Array(pair.secretKey.utf8))
        try setOption(ZMQ_ZAP_DOMAIN, Array("tuna".utf8))
    }

    /// Makes this (connecting) socket a CURVE client of the server with `serverKey`.
    public func makeCurveClient(_ pair: CurveKeyPair, serverKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, Array(serverKey.utf8))
        try setOption(ZMQ_CURVE_PUBLICKEY, Array(pair.publicKey.utf8))
        try setOption(ZMQ_CURVE_SECRETKEY, Array(pair.secretKey.utf8))
    }

    /// Refuses (drops the connection of) a peer that sends a frame larger than `bytes`.
    public func setMaximumMessageSize(_ bytes: Int64) throws {
        var value = bytes
        let handle = try socket("setsockopt")
        if zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("setsockopt ZMQ_MAXMSGSIZE")
        }
    }
}
