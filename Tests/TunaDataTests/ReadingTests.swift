import Foundation
import Testing
@testable import TunaData

/// The study-file reading options (`data.drop`, `index_col`, `na_values`, `columns`) and
/// per-series normalisation, on the loaded data: what they change and what they refuse.
@Suite struct ReadingTests {
    static let people = """
    id,name,age,city,score,label
    1,ann,34,oslo,0.5,a
    2,bob,?,rome,-999,b
    3,cy,51,oslo,-,a
    4,dan,28,lima,0.2,
    5,eve,-,rome,0.9,b
    """

    func load(_ reading: TableReading) throws -> Dataset {
        let path = try Fixture.temporary("people.csv", Self.people)
        return try Dataset.load(path: path, target: "label", task: .classification, reading: reading)
    }

    @Test func droppedAndIndexColumnsAreGoneFromTheFeatures() throws {
        let data = try load(TableReading(naValues: ["-", "-999"], columnTypes: [:], drop: ["name"], indexColumn: "id"))
        #expect(data.features.names == ["age", "city", "score"])
        // Row 4 has no label: dropped, and its row label with it.
        #expect(data.rowCount == 4 && data.rowsWithoutTarget == 1)
        #expect(data.rowLabels == ["1", "2", "3", "5"])
    }

    @Test func naValuesBecomeMissingAndImputationFillsThem() throws {
        let data = try load(TableReading(naValues: ["-", "-999"], columnTypes: [:], drop: ["name"], indexColumn: "id"))
        let age = try #require(data.features["age"]?.numbers)
        let score = try #require(data.features["score"]?.numbers)
        // "?" is a default marker, "-" a declared text one, -999 a declared number.
        #expect(age[0] == 34 && age[1].isNaN && age[2] == 51 && age[3].isNaN)
        #expect(score[0] == 0.5 && score[1].isNaN && score[2].isNaN && score[3] == 0.9)
        let (fitted, transformed) = try Pipeline([.impute(Imputation(numeric: .mean)), .oneHot(OneHotEncoding())]).fit(data)
        let filled = try #require(transformed.features["age"]?.numbers)
        #expect(filled == [34, 42.5, 51, 42.5])
        #expect(fitted.outputColumns == ["age", "city=oslo", "city=rome", "score"])
    }

    @Test func withoutNaValuesTheMarkersAreText() throws {
        let data = try load(TableReading(naValues: [], columnTypes: [:], drop: ["name"], indexColumn: nil))
        // "-" is text, so the column is read as categories (what `validate` then refuses).
        #expect(data.features["age"]?.kind == .categorical)
        #expect(data.features.names.contains("id"))
    }

    @Test func declaredTypesOverrideInference() throws {
        let data = try load(TableReading(naValues: ["-", "-999"], columnTypes: ["id": .categorical], drop: [], indexColumn: nil))
        #expect(data.features["id"]?.kind == .categorical)
        let wrong = message { _ = try load(TableReading(naValues: [], columnTypes: ["city": .numeric], drop: [], indexColumn: nil)) }
        // The file, the line and the field of the first cell that contradicts the declaration.
        #expect(wrong?.hasSuffix("people.csv:2:4: text 'oslo' in numeric column 'city'") == true, "\(wrong ?? "")")
    }

    @Test func namedColumnsMissingFromTheFileAreRefusedByName() throws {
        let dropped = message { _ = try load(TableReading(drop: ["nmae"])) }
        #expect(dropped?.contains("people.csv: column 'nmae' (named by data.drop) is not in the file (did you mean 'name'?)") == true, "\(dropped ?? "")")
        let index = message { _ = try load(TableReading(indexColumn: "ident")) }
        #expect(index?.contains("column 'ident' (named by data.index_col) is not in the file") == true, "\(index ?? "")")
    }

    @Test func perSeriesNormalisationGivesEachRowMeanZeroAndDeviationOne() throws {
        let rows: [[Double]] = [[1, 2, 3, 4], [10, 10, 10, 10], [-5, 0, .nan, 5], [100, 300, 200, 400]]
        let columns = (0..<4).map { c in Column.numeric(rows.map { $0[c] }) }
        let table = try Table(names: ["t0", "t1", "t2", "t3", "y"], columns: columns + [.categorical(["a", "b", "a", "b"])])
        let data = try Dataset(table: table, target: "y", task: .classification)
        let pipeline = try Pipeline.decode(json: #"[{"normalize": "per_series"}]"#)
        #expect(pipeline.steps == [.normalize(RowNormalization(.perSeries))])
        let (fitted, _) = try pipeline.fit(data)
        let out = try fitted.transform(data.features)
        for r in [0, 3] {
            let values = out.columns.map { $0.numbers?[r] ?? .nan }
            let mean = values.reduce(0, +) / 4
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
            #expect(abs(mean) < 1e-12 && abs(deviation - 1) < 1e-12, "row \(r): \(values)")
        }
        // A constant row becomes zeros (no NaN); a missing cell stays missing and is skipped.
        #expect(out.columns.map { $0.numbers?[1] } == [0, 0, 0, 0])
        let third = out.columns.map { $0.numbers?[2] ?? 0 }
        let spread = (50.0 / 3).squareRoot()
        #expect(close(third[0], -5 / spread) && third[1] == 0 && third[2].isNaN && close(third[3], 5 / spread))
        // Nothing is learnt: new rows are normalised by their own values.
        let fresh = try Table(names: ["t0", "t1", "t2", "t3"], columns: [[2.0], [4], [6], [8]].map { Column.numeric($0) })
        let again = try fitted.transform(fresh)
        #expect(close(again.columns[0].numbers?[0] ?? 0, -3 / 5.0.squareRoot()))
    }

    @Test func normaliseNamesAreCheckedWithASuggestion() {
        let wrong = message { _ = try Pipeline.decode(json: #"[{"normalize": "per_serie"}]"#) }
        #expect(wrong?.contains("normalize is per_series (z-normalises each row), not 'per_serie' (did you mean 'per_series'?)") == true, "\(wrong ?? "")")
        let key = message { _ = try Pipeline.decode(json: #"[{"normalize": {"metod": "per_series"}}]"#) }
        #expect(key?.contains("unknown key 'metod' in normalize") == true, "\(key ?? "")")
    }

    @Test func normalisingACategoricalColumnIsRefused() throws {
        let table = try Table(names: ["a", "b", "y"], columns: [.numeric([1, 2]), .categorical(["x", "z"]), .numeric([0, 1])])
        let data = try Dataset(table: table, target: "y", task: .regression)
        let wrong = message { _ = try Pipeline([.normalize(RowNormalization(columns: ["a", "b"]))]).fit(data) }
        #expect(wrong?.contains("column 'b' holds categories and cannot be normalised per series") == true, "\(wrong ?? "")")
    }
}
