import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tuna serve` on a model exported from a real iris study, spoken to over real HTTP on a free
/// loopback port: the same answers as `tuna predict`, the refusals, and concurrent requests.
@Suite(.serialized) struct ServeTests {
    /// A running server; `stop` sends SIGTERM and waits, killing it after the timeout.
    struct Server {
        let process: TunaProcess
        let base: URL

        init(model: String, in workspace: Workspace, extra: [String] = []) throws {
            process = try TunaProcess(["serve", model, "--port", "0"] + extra, in: workspace.url)
            let line = try #require(process.waitForError(containing: "serving", timeout: 60), "no listening line: \(process.errors)")
            let port = try #require(line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(line)")
            base = try #require(URL(string: "http://127.0.0.1:\(port)"))
        }

        func stop() -> Int32 {
            kill(process.process.processIdentifier, SIGTERM)
            return process.wait(timeout: 30)
        }

        /// One request; (status, JSON body). Bodies are always JSON objects, errors included.
        func call(_ path: String, body: Data? = nil) async throws -> (Int, [String: Any]) {
            try await Self.call(base, path, body: body)
        }

        /// Static, so that concurrent tasks capture only the (Sendable) address.
        static func call(_ base: URL, _ path: String, body: Data? = nil) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 30)
            if let body {
                request.httpMethod = "POST"
                request.httpBody = body
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? -1
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? ["raw": String(decoding: data, as: UTF8.self)]
            return (status, json)
        }

        func predict(_ rows: [[String: Any]]) async throws -> (Int, [String: Any]) {
            try await call("predict", body: try JSONSerialization.data(withJSONObject: ["rows": rows]))
        }
    }

    /// The iris rows as JSON objects of named raw values (the target left in: it is allowed).
    static func irisRows() throws -> [[String: Any]] {
        let lines = try String(contentsOfFile: NetworkStudyTests.irisPath, encoding: .utf8)
            .components(separatedBy: .newlines).filter { !$0.isEmpty }
        let names = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            var row: [String: Any] = [:]
            for (name, cell) in zip(names, line.split(separator: ",")) { row[name] = Double(cell) ?? String(cell) }
            return row
        }
    }

    @Test func servesTheSamePredictionsAsPredictAndRefusesBadRequests() async throws {
        let workspace = try Workspace()
        let study = try workspace.write("iris.yaml", NetworkStudyTests.irisStudy(name: "serve-iris", trials: 2))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "2"], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let model = workspace.url.appendingPathComponent("iris.model").path
        let (se, _, ee) = try TunaProcess.run(["export", "serve-iris", "--db", workspace.db, "--out", model], in: workspace.url, timeout: 120)
        try #require(se == 0, "\(ee)")
        let (sp, predicted, ep) = try TunaProcess.run(["predict", model, NetworkStudyTests.irisPath, "--proba", "--format", "json"], in: workspace.url)
        try #require(sp == 0, "\(ep)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(predicted.utf8)) as? [[String: Any]])

        let server = try Server(model: model, in: workspace, extra: ["--max-body", "65536", "--replicas", "2"])
        defer { #expect(server.stop() == 0, "\(server.process.errors)") }

        let (sh, health) = try await server.call("health")
        #expect(sh == 200 && health["status"] as? String == "ok")
        let (sm, description) = try await server.call("model")
        #expect(sm == 200)
        #expect(description["task"] as? String == "classification")
        #expect(description["class_names"] as? [String] == ["setosa", "versicolor", "virginica"])
        #expect((description["input_columns"] as? [[String: String]])?.first == ["name": "sepal_length_cm", "kind": "numeric"])
        #expect((description["params"] as? [String: Any])?["units"] != nil && description["cv_value"] is Double)

        // The same 150 rows in one request: the same classes and the same probabilities, bit for bit.
        let rows = try Self.irisRows()
        let (status150, answer) = try await server.predict(rows)
        #expect(status150 == 200, "\(answer)")
        let served = try #require(answer["predictions"] as? [[String: Any]])
        #expect(served.count == expected.count && served.count == 150)
        for (s, e) in zip(served, expected) {
            #expect(s["prediction"] as? String == e["prediction"] as? String)
            #expect(s["probabilities"] as? [String: Double] == e["probabilities"] as? [String: Double], "\(s) vs \(e)")
        }

        // Refusals: a 400 with a message naming the problem.
        let (bad, badJSON) = try await server.call("predict", body: Data("{\"rows\": [".utf8))
        #expect(bad == 400 && (badJSON["error"] as? String)?.contains("not valid JSON") == true, "\(badJSON)")
        var lacking = rows[0]
        lacking["petal_length_cm"] = nil
        let (missing, missingJSON) = try await server.predict([rows[1], lacking])
        #expect(missing == 400 && (missingJSON["error"] as? String)?.contains("rows[1] lacks the column 'petal_length_cm'") == true, "\(missingJSON)")
        var extra = rows[0]
        extra["colour"] = "blue"
        let (extraStatus, extraJSON) = try await server.predict([extra])
        #expect(extraStatus == 400 && (extraJSON["error"] as? String)?.contains("'colour'") == true, "\(extraJSON)")
        var wrong = rows[0]
        wrong["sepal_width_cm"] = "wide"
        let (wrongStatus, wrongJSON) = try await server.predict([wrong])
        #expect(wrongStatus == 400 && (wrongJSON["error"] as? String)?.contains("rows[0].sepal_width_cm is a string") == true, "\(wrongJSON)")
        let (emptyStatus, _) = try await server.predict([])
        #expect(emptyStatus == 400)
        let (arrayStatus, _) = try await server.call("predict", body: Data("[1, 2]".utf8))
        #expect(arrayStatus == 400)

        // Past --max-body: a 413, and the server still answers afterwards.
        let big = Data(("{\"rows\": [" + String(repeating: "{\"sepal_length_cm\": 5.1},", count: 4000) + "]}").utf8)
        #expect(big.count > 65536)
        let (tooLarge, tooLargeJSON) = try await server.call("predict", body: big)
        #expect(tooLarge == 413 && tooLargeJSON["error"] is String, "\(tooLargeJSON)")

        // 200 concurrent requests of one to five rows, each checked against predict's answer.
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                let start = (i * 7) % 145, count = 1 + i % 5
                let body = try JSONSerialization.data(withJSONObject: ["rows": Array(rows[start..<(start + count)])])
                let want = expected[start..<(start + count)].map { $0["prediction"] as? String }
                let base = server.base
                group.addTask {
                    let (code, json) = try await Server.call(base, "predict", body: body)
                    let got = (json["predictions"] as? [[String: Any]])?.map { $0["prediction"] as? String }
                    return code == 200 && got == want ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(failures == 0, "\(failures) of 200 concurrent requests failed or disagreed")
        let (after, _) = try await server.call("health")
        #expect(after == 200)
    }

    @Test func aPlainModelFileIsRefusedAtStart() throws {
        let workspace = try Workspace()
        let path = try workspace.write("nothing.model", "not a model")
        let (status, _, errors) = try TunaProcess.run(["serve", path, "--port", "0"], in: workspace.url)
        #expect(status == 1)
        #expect(errors.contains("tuna: "), "\(errors)")
    }
}
