import Foundation
import Testing

/// The winner leaves the tuner: a real iris study is run, its best trial exported twice,
/// predicted and evaluated with the `tuna` binary.
@Suite(.serialized) struct ExportTests {
    /// The weights of a safetensors file: the bytes after the header.
    static func weights(_ path: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return data.subdata(in: (8 + length)..<data.count)
    }

    @Test func theBestTrialExportsPredictsAndEvaluates() throws {
        let workspace = try Workspace()
        let study = try workspace.write("iris.yaml", NetworkStudyTests.irisStudy(name: "export-iris", trials: 3))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "2"], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")

        let first = workspace.url.appendingPathComponent("first.model").path
        let second = workspace.url.appendingPathComponent("second.model").path
        let (s1, out1, e1) = try TunaProcess.run(["export", "export-iris", "--db", workspace.db, "--out", first], in: workspace.url, timeout: 120)
        #expect(s1 == 0, "\(e1)")
        #expect(out1.contains("30 epochs (configured)"), "\(out1)")
        let (s2, _, e2) = try TunaProcess.run(["export", "export-iris", "--db", workspace.db, "--out", second], in: workspace.url, timeout: 120)
        #expect(s2 == 0, "\(e2)")
        let weights = try Self.weights(first)
        let again = try Self.weights(second)
        #expect(weights.count > 100 && weights == again, "the same trial gives the same weights bit for bit")

        let (sp, predicted, ep) = try TunaProcess.run(["predict", first, NetworkStudyTests.irisPath, "--proba"], in: workspace.url)
        #expect(sp == 0, "\(ep)")
        let lines = predicted.split(separator: "\n").map(String.init)
        #expect(lines.first == "prediction,p_setosa,p_versicolor,p_virginica")
        let truth = try String(contentsOfFile: NetworkStudyTests.irisPath, encoding: .utf8)
            .components(separatedBy: .newlines).filter { !$0.isEmpty }.dropFirst()
            .map { String($0.split(separator: ",").last ?? "") }
        let rows = lines.dropFirst().map { String($0.split(separator: ",").first ?? "") }
        #expect(rows.count == 150)
        let accuracy = Double(zip(rows, truth).filter { $0 == $1 }.count) / Double(truth.count)
        #expect(accuracy > 0.8, "training accuracy \(accuracy)")

        let (se, report, ee) = try TunaProcess.run(["evaluate", first, NetworkStudyTests.irisPath, "--format", "json"], in: workspace.url)
        #expect(se == 0, "\(ee)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: Double])
        #expect(abs((metrics["accuracy"] ?? -1) - accuracy) < 1e-12, "evaluate agrees with predict: \(metrics)")
        #expect((json["confusion_matrix"] as? [[Int]])?.count == 3)

        let lacking = try workspace.write("lacking.csv", "sepal_length_cm,sepal_width_cm,petal_width_cm\n5.1,3.5,0.2\n")
        let (sm, _, em) = try TunaProcess.run(["predict", first, lacking], in: workspace.url)
        #expect(sm == 1)
        #expect(em.contains("'petal_length_cm'"), "\(em)")
    }

    @Test func aFunctionStudyHasNothingToExport() throws {
        let workspace = try Workspace()
        let study = try workspace.write("branin.yaml", """
            name: export-branin
            objective: {function: branin}
            search: {algorithm: random, trials: 4, parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}}
            """)
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db], in: workspace.url)
        try #require(status == 0, "\(errors)")
        let out = workspace.url.appendingPathComponent("branin.model").path
        let (s, _, e) = try TunaProcess.run(["export", "export-branin", "--db", workspace.db, "--out", out], in: workspace.url)
        #expect(s == 1)
        #expect(e.contains("scores the function 'branin': it has no network to export"), "\(e)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Several metrics have no best trial: export asks for one of the front instead of
    /// retraining the first metric's best, and exports the trial it is given.
    @Test func aMultiObjectiveStudyExportsTheTrialItIsGiven() throws {
        let workspace = try Workspace()
        let text = NetworkStudyTests.irisStudy(name: "export-pareto", trials: 3)
            .replacingOccurrences(of: "  metric: accuracy", with: "  metrics: [accuracy, parameters]")
        let study = try workspace.write("pareto.yaml", text)
        let (status, _, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "2"], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let out = workspace.url.appendingPathComponent("pareto.model").path
        let (s, _, e) = try TunaProcess.run(["export", "export-pareto", "--db", workspace.db, "--out", out], in: workspace.url, timeout: 120)
        #expect(s == 1)
        #expect(e.contains("several metrics (maximize accuracy, minimize parameters)") && e.contains("--trial N"), "\(e)")
        #expect(!FileManager.default.fileExists(atPath: out))

        let (sb, best, eb) = try TunaProcess.run(["best", "export-pareto", "--db", workspace.db, "--format", "json"], in: workspace.url)
        try #require(sb == 0, "\(eb)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(best.utf8)) as? [String: Any])
        let front = try #require(json["front"] as? [[String: Any]])
        let number = try #require(front.first?["number"] as? Int, "\(best)")
        let (st, exported, et) = try TunaProcess.run(
            ["export", "export-pareto", "--db", workspace.db, "--out", out, "--trial", String(number)], in: workspace.url, timeout: 120)
        #expect(st == 0, "\(et)")
        #expect(exported.contains("trial #\(number) of export-pareto"), "\(exported)")
        #expect(FileManager.default.fileExists(atPath: out))
    }
}
