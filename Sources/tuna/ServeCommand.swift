import ArgumentParser
import Dispatch
import Foundation
import TunaServe

/// `tuna serve MODEL`: the exported model behind HTTP until SIGINT or SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve an exported model over HTTP (POST /predict, GET /model, GET /health).")

    @Argument(help: "The model file written by `tuna export`.") var model: String
    @Option(help: "The port (0: any free port, printed on stderr).") var port = 8080
    @Option(help: "The address to listen on. Loopback unless given: anything else exposes the model to the network.")
    var host = "127.0.0.1"
    @Option(help: "The largest request body in bytes (larger ones get a 413).") var maxBody = 8 << 20
    @Option(help: "Model copies, i.e. predictions computed at once (default: the cores, at most 4).")
    var replicas = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4)

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
        guard (1...64).contains(replicas) else { throw ValidationError("--replicas must be 1-64") }
    }

    /// The root command is synchronous, so the async server runs in a task while this thread
    /// waits for it; the outcome comes back through a lock-guarded box.
    func run() throws {
        let options = ServeOptions(host: host, port: port, maxBody: maxBody, replicas: replicas)
        let server: ModelServer
        do {
            server = try ModelServer(modelPath: model, options: options)
        } catch {
            FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let info = server.modelInfo
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let (model, host, replicas) = (model, host, server.replicaCount)
        Task {
            do {
                try await server.run { bound in
                    FileHandle.standardError.write(Data(
                        "tuna: serving \(model) (study \(info.study), trial #\(info.trial)) on http://\(host):\(bound) with \(replicas) model cop\(replicas == 1 ? "y" : "ies")\n".utf8))
                }
            } catch {
                outcome.set(error)
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error {
            FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The server task's error, handed to the waiting thread.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    func set(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
}
