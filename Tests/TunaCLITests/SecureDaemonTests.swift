import Foundation
import Testing
import TunaStore

/// The multi-machine set-up of the README, on loopback: keys made by `tuna keygen`, a daemon
/// that requires them, a network study submitted with its data from another folder, a worker
/// with its key that trains it, and peers with the wrong keys that get nothing.
@Suite(.serialized) struct SecureDaemonTests {
    @Test func keyedDaemonWorkerAndClientRunANetworkStudyAndStrangersGetNothing() throws {
        let workspace = try Workspace()
        for name in ["keys/daemon", "keys/workers/node1", "keys/clients/alice", "elsewhere/mallory"] {
            let (status, output, errors) = try TunaProcess.run(["keygen", name], in: workspace.url)
            #expect(status == 0 && output.contains("wrote"), "\(errors)")
        }
        let (again, _, againErrors) = try TunaProcess.run(["keygen", "keys/daemon"], in: workspace.url)
        #expect(again == 1 && againErrors.contains("exists"), "keygen never overwrites: \(againErrors)")

        // The client's study and data live in a folder the daemon never looks at.
        let iris = try String(contentsOfFile: NetworkStudyTests.irisPath, encoding: .utf8)
        try FileManager.default.createDirectory(at: workspace.url.appendingPathComponent("client"), withIntermediateDirectories: true)
        _ = try workspace.write("client/iris.csv", iris)
        let study = try workspace.write("client/iris.yaml", """
            name: keyed-iris
            data: {path: iris.csv, target: target}
            preprocess: [{scale: standard}]
            model:
              layers: [{dense: {units: 8, activation: relu}}, {dense: {units: 3, activation: softmax}}]
              loss: sparse_categorical_crossentropy
              optimizer: {name: adam, learning_rate: "$lr"}
              epochs: 3
            search: {algorithm: random, metric: accuracy, folds: 3, trials: 3, parameters: {lr: {float: [0.01, 0.05]}}}
            """)
        let endpoint = try DaemonTests.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db, "--keys", "keys"], in: workspace.url)
        defer {
            kill(daemon.process.processIdentifier, SIGTERM)
            daemon.wait()
        }
        #expect(daemon.waitForError(containing: "CURVE keys required") != nil, "\(daemon.errors)")
        let client = ["--key", "keys/clients/alice.key", "--server-key", "keys/daemon.pub"]

        // No key, or a key the daemon never admitted: nothing answers.
        let (plain, _, plainErrors) = try TunaProcess.run(["status", "--to", endpoint], in: workspace.url)
        #expect(plain == 1 && plainErrors.contains("no daemon answered"), "\(plainErrors)")
        let (stranger, _, strangerErrors) = try TunaProcess.run(
            ["status", "--to", endpoint, "--key", "elsewhere/mallory.key", "--server-key", "keys/daemon.pub"], in: workspace.url)
        #expect(stranger == 1 && strangerErrors.contains("no daemon answered"), "\(strangerErrors)")
        // A worker key cannot control.
        let (asWorker, _, asWorkerErrors) = try TunaProcess.run(
            ["status", "--to", endpoint, "--key", "keys/workers/node1.key", "--server-key", "keys/daemon.pub"], in: workspace.url)
        #expect(asWorker == 1 && asWorkerErrors.contains("worker key"), "\(asWorkerErrors)")

        let (submitted, output, errors) = try TunaProcess.run(["submit", study, "--to", endpoint] + client, in: workspace.url)
        #expect(submitted == 0 && output.contains("study keyed-iris accepted"), "\(output) \(errors)")
        let intruder = try TunaProcess(
            ["worker", "--connect", endpoint, "--name", "intruder", "--give-up-after", "5",
             "--key", "elsewhere/mallory.key", "--server-key", "keys/daemon.pub"], in: workspace.url)
        let worker = try TunaProcess(
            ["worker", "--connect", endpoint, "--name", "node1", "--cache", "cache",
             "--key", "keys/workers/node1.key", "--server-key", "keys/daemon.pub"], in: workspace.url)
        let waiter = try SQLiteTrialStoreWaiter(path: workspace.db)
        let done = waiter.waitForTrials(study: "keyed-iris", count: 3, timeout: 60) { $0.state == .complete }
        #expect(done.count == 3 && done.allSatisfy { $0.worker == "node1" }, "\(done.map(\.worker)) \(daemon.errors)")
        #expect(intruder.wait(timeout: 20) != 0, "the intruder gives up: \(intruder.errors)")
        #expect(daemon.errors.contains("is not admitted"))
        kill(worker.process.processIdentifier, SIGTERM)
        worker.wait(timeout: 10)
    }

    @Test func listeningBeyondLoopbackWithoutKeysIsRefusedUnlessInsecure() throws {
        let workspace = try Workspace()
        let (status, _, errors) = try TunaProcess.run(["daemon", "--bind", "tcp://0.0.0.0:0", "--db", workspace.db], in: workspace.url, timeout: 20)
        #expect(status != 0 && errors.contains("--insecure"), "\(errors)")
    }
}
