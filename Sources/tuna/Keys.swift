import ArgumentParser
import Foundation
import TunaScheduler
import TunaWire

/// `tuna keygen PATH`: a CurveZMQ key pair as PATH.key (secret, mode 0600) and PATH.pub.
struct KeyGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a key pair for the daemon, a worker or a client (PATH.key and PATH.pub).",
        discussion: """
            A daemon started with --keys DIR uses DIR/daemon.key and admits the public keys in \
            DIR/workers/*.pub as workers and DIR/clients/*.pub as clients (re-read while it runs):

              tuna keygen keys/daemon
              tuna keygen keys/workers/node1      # copy node1.key and daemon.pub to node1
              tuna keygen keys/clients/alice      # copy alice.key and daemon.pub to alice
            """)

    @Argument(help: "Where to write the pair, without extension (keys/workers/node1).")
    var path: String

    func run() throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try CurveKey.write(try CurveKeyPair.generate(), to: path)
        } catch {
            FileHandle.standardError.write(Data("tuna keygen: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("wrote \(path).key (secret) and \(path).pub")
    }
}

/// The keys a worker or a control client shows a daemon that requires them.
struct ClientKeyOptions: ParsableArguments {
    @Option(help: "This peer's key pair (a .key file from `tuna keygen`), for a daemon started with --keys.")
    var key: String?

    @Option(help: "The daemon's public key (its daemon.pub).")
    var serverKey: String?

    func validate() throws {
        guard (key == nil) == (serverKey == nil) else {
            throw ValidationError("--key and --server-key go together: this peer's pair and the daemon's public key")
        }
    }

    /// The pair and the daemon's key, or nil when none were given.
    func load() throws -> (keyPair: CurveKeyPair, serverKey: String)? {
        guard let key, let serverKey else { return nil }
        do {
            return (try CurveKey.readPair(key), try CurveKey.readPublic(serverKey))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The same flags, for a child process.
    var arguments: [String] {
        guard let key, let serverKey else { return [] }
        return ["--key", key, "--server-key", serverKey]
    }
}

/// How a scheduler's socket is protected, from `--keys` and `--insecure`.
struct ServerKeyOptions: ParsableArguments {
    @Option(help: "A key folder: daemon.key, workers/*.pub and clients/*.pub (see `tuna keygen`).")
    var keys: String?

    @Flag(help: "Listen on a non-loopback address without keys: anyone who reaches the port can run studies and take data.")
    var insecure = false

    /// The security to run with; refuses an open non-loopback endpoint unless `--insecure`.
    func security(bind: String) throws -> Scheduler.Security? {
        guard let keys else {
            if !Self.isLoopback(bind) && !insecure {
                throw ValidationError("""
                    \(bind) is reachable from other machines: start with --keys DIR (see `tuna keygen --help`), \
                    or say --insecure to let anyone who reaches it submit studies, run trials and read data
                    """)
            }
            return nil
        }
        do {
            return Scheduler.Security(
                keyPair: try CurveKey.readPair(keys + "/daemon.key"), allowList: .init(folder: keys))
        } catch {
            throw ValidationError("\(error) (make one with `tuna keygen \(keys)/daemon`)")
        }
    }

    /// Endpoints only this machine can reach: loopback TCP and local IPC.
    static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = String(endpoint.dropFirst(6))
        if host.hasPrefix("[") {
            host = String(host.dropFirst().prefix { $0 != "]" })
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
