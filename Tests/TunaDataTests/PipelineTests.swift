import Foundation
import Testing
@testable import TunaData

@Suite struct PipelineTests {
    /// The fixture's train/test matrices as data sets with columns a, b, c.
    func fixtureData() throws -> (Dataset, Dataset, [String: Any]) {
        let fixture = try Fixture.json("preprocessing.json")
        func dataset(_ key: String) throws -> Dataset {
            let rows = try fixture.matrix(key)
            let columns = (0..<3).map { c in Column.numeric(rows.map { $0[c] }) }
            let table = try Table(names: ["a", "b", "c", "y"], columns: columns + [.numeric(rows.map { _ in 0 })])
            return try Dataset(table: table, target: "y", task: .regression)
        }
        return (try dataset("train"), try dataset("test"), fixture)
    }

    func transformed(_ steps: [PreprocessStep]) throws -> [[Double]] {
        let (train, test, _) = try fixtureData()
        let (fitted, _) = try Pipeline(steps).fit(train)
        let table = try fitted.transform(test.features)
        return (0..<table.rowCount).map { r in table.columns.map { $0.numbers?[r] ?? .nan } }
    }

    @Test(arguments: [("standard", Scaling.Method.standard), ("minmax", .minMax), ("robust", .robust)])
    func scalersMatchScikitLearn(name: String, method: Scaling.Method) throws {
        let expected = try fixtureData().2.matrix(name)
        let got = try transformed([.scale(Scaling(method))])
        #expect(zip(got.joined(), expected.joined()).allSatisfy { close($0, $1) }, "\(got) vs \(expected)")
    }

    @Test(arguments: [Imputation.Strategy.mean, .median, .mostFrequent])
    func imputersMatchScikitLearn(strategy: Imputation.Strategy) throws {
        let expected = try fixtureData().2.matrix("impute_\(strategy.rawValue)")
        let got = try transformed([.impute(Imputation(numeric: strategy))])
        #expect(zip(got.joined(), expected.joined()).allSatisfy { close($0, $1) }, "\(got) vs \(expected)")
    }

    @Test func studyFileFormsDecodeAndRoundTrip() throws {
        let json = """
        [{"impute": {"numeric": "median", "categorical": "most_frequent"}}, {"impute": "constant"},
         {"onehot": ["island", "sex"]}, {"onehot": {"columns": ["x"], "unknown": "error"}}, {"onehot": "all"},
         {"ordinal": {"categories": {"size": ["S", "M", "L"]}, "unknown_value": -2}},
         {"scale": "standard"}, {"scale": {"divide": 16}}, {"scale": {"method": "minmax", "range": [-1, 1]}},
         {"scale_target": "robust"}, "drop_duplicates", {"drop": ["year"]}, {"augment": {"flip_horizontal": true, "rotation": 10}}]
        """
        let pipeline = try Pipeline.decode(json: json)
        #expect(pipeline.steps[0] == .impute(Imputation(numeric: .median, categorical: .mostFrequent)))
        #expect(pipeline.steps[1] == .impute(Imputation(numeric: .constant, categorical: .constant)))
        #expect(pipeline.steps[2] == .oneHot(OneHotEncoding(columns: ["island", "sex"])))
        #expect(pipeline.steps[3] == .oneHot(OneHotEncoding(columns: ["x"], unknown: .error)))
        #expect(pipeline.steps[4] == .oneHot(OneHotEncoding()))
        #expect(pipeline.steps[5] == .ordinal(OrdinalEncoding(columns: ["size"], categories: ["size": ["S", "M", "L"]], unknownValue: -2)))
        #expect(pipeline.steps[7] == .scale(Scaling(.divide, divisor: 16)))
        #expect(pipeline.steps[8] == .scale(Scaling(.minMax, range: [-1, 1])))
        #expect(pipeline.steps[9] == .scaleTarget(Scaling(.robust)))
        #expect(pipeline.steps[10] == .dropDuplicates)
        #expect(pipeline.steps[12] == .augment(Augmentation(flipHorizontal: true, rotation: 10)))
        let again = try JSONDecoder().decode(Pipeline.self, from: JSONEncoder().encode(pipeline))
        #expect(again == pipeline)
    }

    @Test func badStepDescriptionsSayWhatIsAllowed() {
        #expect(message { _ = try Pipeline.decode(json: #"[{"scale": "zscore"}]"#) }
            == "preprocess: [0].scale: scaling is standard, minmax, robust or {divide: n}, not 'zscore'")
        #expect(message { _ = try Pipeline.decode(json: #"[{"standardize": true}]"#) }?
            .contains("unknown preprocessing step 'standardize'") == true)
        #expect(message { _ = try Pipeline.decode(json: #"[{"onehott": ["a"]}]"#) }?
            .contains("unknown preprocessing step 'onehott' (did you mean 'onehot'?)") == true)
    }

    @Test func unseenCategoriesAreHandled() throws {
        let train = try Dataset(
            table: Table(names: ["color", "size", "y"], columns: [
                .categorical(["red", "blue", "red", nil]), .categorical(["S", "L", "M", "S"]), .numeric([1, 2, 3, 4]),
            ]), target: "y", task: .regression)
        let test = try Table(names: ["color", "size"], columns: [.categorical(["green", "blue"]), .categorical(["XL", "M"])])
        let pipeline = Pipeline([.oneHot(OneHotEncoding(columns: ["color"])),
                                 .ordinal(OrdinalEncoding(columns: ["size"], categories: ["size": ["S", "M", "L"]]))])
        let (fitted, _) = try pipeline.fit(train)
        #expect(fitted.outputColumns == ["color=blue", "color=red", "size"])
        let out = try fitted.transform(test)
        #expect(out["color=blue"] == .numeric([0, 1]) && out["color=red"] == .numeric([0, 0]))  // unseen: all zeros
        #expect(out["size"] == .numeric([-1, 1]))  // unseen: the declared unknown value
        let strict = Pipeline([.oneHot(OneHotEncoding(columns: ["color"], unknown: .error))])
        let (strictFit, _) = try strict.fit(train)
        #expect(message { _ = try strictFit.transform(test) }?
            .contains("category 'green' of column 'color' (row 1) was not in the training data") == true)
    }

    @Test func duplicatesAreRemovedFromTrainingOnly() throws {
        let table = try Table(names: ["x", "y"], columns: [.numeric([1, 1, 2, 1, 2]), .categorical(["a", "a", "b", "b", "b"])])
        let dataset = try Dataset(table: table, target: "y", task: .classification)
        let (fitted, train) = try Pipeline([.dropDuplicates]).fit(dataset)
        #expect(train.features["x"] == .numeric([1, 2, 1]) && train.targets.labels == [0, 1, 1])
        #expect(try fitted.transform(dataset.features).rowCount == 5)
    }

    @Test func targetScalingInverts() throws {
        let table = try Table(names: ["x", "y"], columns: [.numeric([1, 2, 3, 4]), .numeric([10, 20, 30, 40])])
        let dataset = try Dataset(table: table, target: "y", task: .regression)
        let (fitted, train) = try Pipeline([.scaleTarget(Scaling(.standard))]).fit(dataset)
        let scaled = train.targets.numbers
        #expect(close(Statistics.mean(scaled) ?? 1, 0) && close(Statistics.standardDeviation(scaled) ?? 0, 1))
        #expect(zip(fitted.inverseTargets(scaled), [10.0, 20, 30, 40]).allSatisfy { close($0, $1) })
    }

    @Test func labelEncodingRemembersClassNames() throws {
        let encoder = try LabelEncoder(fitting: .categorical(["10", "2", "1", "2"]))
        #expect(encoder.classes == ["1", "2", "10"])
        #expect(try encoder.encode(.categorical(["10", "1"])) == [2, 0])
        #expect(message { _ = try encoder.encode(.categorical(["3"]), source: "t.csv") }
            == "t.csv: unknown class '3' in data row 1 (classes: 1, 2, 10)")
        #expect(try LabelEncoder(fitting: .numeric([2, 1, 1])).classes == ["1", "2"])
    }

    @Test func penguinsGoThroughThePipeline() throws {
        let dataset = try Dataset.load(path: Fixture.dataset("penguins.csv"), target: "species", task: .classification)
        #expect(dataset.targets.classNames == ["Adelie", "Chinstrap", "Gentoo"])
        let pipeline = try Pipeline.decode(json: """
            [{"impute": {"numeric": "median", "categorical": "most_frequent"}}, {"onehot": ["island", "sex"]}, {"scale": "standard"}]
            """)
        let (fitted, train) = try pipeline.fit(dataset)
        let x = try FittedPipeline.tensor(from: train.features, inputShape: nil)
        // 5 numeric columns + 3 islands + 2 sexes.
        #expect(x.shape == [344, 10] && x.isFinite)
        #expect(fitted.outputColumns == [
            "island=Biscoe", "island=Dream", "island=Torgersen", "bill_length_mm", "bill_depth_mm",
            "flipper_length_mm", "body_mass_g", "sex=female", "sex=male", "year",
        ])
        // One-hot indicators stay 0/1; numeric columns are standardised.
        #expect(train.features["sex=male"]?.numbers?.allSatisfy { $0 == 0 || $0 == 1 } == true)
        #expect(close(Statistics.mean(train.features["bill_length_mm"]?.numbers ?? []) ?? 1, 0, 1e-12))
        // The fitted pipeline is Codable and behaves the same after a round trip.
        let restored = try JSONDecoder().decode(FittedPipeline.self, from: JSONEncoder().encode(fitted))
        #expect(try restored.features(dataset.features) == fitted.features(dataset.features))
        // Without imputation the missing values are reported, not passed on as NaN.
        let (unimputed, _) = try Pipeline([.oneHot(OneHotEncoding())]).fit(dataset)
        #expect(message { _ = try unimputed.features(dataset.features) }?
            .contains("column 'bill_length_mm' still has a missing value after preprocessing (row 4)") == true)
    }

    @Test func wideCSVReshapesToImages() throws {
        let dataset = try Dataset.load(path: Fixture.dataset("digits.csv"), target: "target", task: .classification, inputShape: [8, 8, 1])
        let (fitted, _) = try Pipeline([.scale(Scaling(.divide, divisor: 16))]).fit(dataset)
        let x = try fitted.features(dataset.features)
        #expect(x.shape == [1797, 8, 8, 1])
        #expect(x[0, 0, 2, 0] == 5.0 / 16)  // p2 of the first image
        // The shape is checked against the preprocessed features (one-hot columns widen a
        // table), when they become the network's input.
        let narrow = try Dataset.load(path: Fixture.dataset("digits.csv"), target: "target", task: .classification, inputShape: [8, 7])
        let (unscaled, _) = try Pipeline().fit(narrow)
        #expect(message { _ = try unscaled.features(narrow.features) }?
            .contains("input shape [8, 7] holds 56 values per example, the features have 64 columns") == true)
    }
}
