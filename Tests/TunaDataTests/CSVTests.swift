import Foundation
import Testing
import TunaTensor
@testable import TunaData

@Suite struct CSVTests {
    @Test func quotedFieldsHoldDelimitersNewlinesAndQuotes() throws {
        let text = "name,note,value\r\n\"Smith, J\",\"said \"\"hi\"\"\nthen left\",1.5\r\nplain,,2\n"
        let table = try CSV.parse(string: text)
        #expect(table.names == ["name", "note", "value"])
        #expect(table.rowCount == 2)
        #expect(table["name"] == .categorical(["Smith, J", "plain"]))
        #expect(table["note"] == .categorical(["said \"hi\"\nthen left", nil]))
        #expect(table["value"] == .numeric([1.5, 2]))
    }

    @Test func missingMarkersBecomeNaNOrNil() throws {
        let table = try CSV.parse(string: "a,b\n1,x\nNA,?\n,NaN\n?,y\nNaN,\n")
        let a = try #require(table["a"]?.numbers)
        #expect(a[0] == 1 && a[1...].allSatisfy(\.isNaN))
        #expect(table["b"] == .categorical(["x", nil, nil, "y", nil]))
    }

    @Test func numbersParseExactly() throws {
        let cells = ["0", "-0.5", "1e3", "2.5E-4", "123456789012345678901234", "0.1", "1.7976931348623157e308", "4.9e-324", "  7 ", "+3"]
        let table = try CSV.parse(string: "x\n" + cells.joined(separator: "\n") + "\n")
        let parsed = try #require(table["x"]?.numbers)
        let expected = cells.map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
        #expect(parsed == expected)
    }

    @Test func inferredAndDeclaredKinds() throws {
        let text = "zip,score\n01234,1\n98765,2\n"
        #expect(try CSV.parse(string: text)["zip"] == .numeric([1234, 98765]))
        let declared = try CSV.parse(string: text, options: CSVOptions(columnTypes: ["zip": .categorical]))
        #expect(declared["zip"] == .categorical(["01234", "98765"]))
        // A column that turns to text after numbers keeps the numbers' original spelling.
        let mixed = try CSV.parse(string: "code\n1.50\n2\nA\nB\nC\n")
        #expect(mixed["code"] == .categorical(["1.50", "2", "A", "B", "C"]))
    }

    @Test func unnamedIndexColumnIsDropped() throws {
        let pandas = try CSV.parse(string: ",a,b\n0,1,x\n1,2,y\n")
        #expect(pandas.names == ["a", "b"])
        let named = try CSV.parse(string: "Unnamed: 0,a\n0,5\n1,6\n")
        #expect(named.names == ["a"])
        let kept = try CSV.parse(string: ",a\n0,5\n", options: CSVOptions(dropIndexColumn: false))
        #expect(kept.names == ["", "a"])
    }

    @Test func byteOrderMarkBlankLinesAndNoFinalNewline() throws {
        let table = try CSV.parse([0xEF, 0xBB, 0xBF] + Array("a,b\n\n1,2\n\n3,4".utf8))
        #expect(table.names == ["a", "b"])
        #expect(table["b"] == .numeric([2, 4]))
    }

    @Test func penguinsLoadWithMissingValuesAndCategories() throws {
        let table = try CSV.load(path: Fixture.dataset("penguins.csv"))
        #expect(table.rowCount == 344)
        #expect(table.names == ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"])
        for name in ["species", "island", "sex"] { #expect(table[name]?.kind == .categorical) }
        #expect(table["bill_length_mm"]?.missingCount == 2)
        #expect(table["sex"]?.missingCount == 11)
        #expect(table["species"]?.missingCount == 0)
        #expect(Set(table["island"]?.categories?.compactMap { $0 } ?? []) == ["Biscoe", "Dream", "Torgersen"])
    }

    @Test func everyProjectCSVLoads() throws {
        let shapes = ["iris.csv": (150, 5), "digits.csv": (1797, 65), "gunpoint_train.csv": (50, 151), "airline.csv": (144, 2)]
        for (name, shape) in shapes {
            let table = try CSV.load(path: Fixture.dataset(name))
            #expect(table.rowCount == shape.0 && table.columnCount == shape.1, "\(name)")
        }
    }

    // MARK: bad input

    @Test func raggedRowsNameLineAndColumn() throws {
        let long = try Fixture.temporary("long.csv", "a,b,c\n1,2,3\n4,5,6,7\n")
        #expect(message { _ = try CSV.load(path: long) } == "\(long):3:4: this row has more fields than the header's 3")
        let short = try Fixture.temporary("short.csv", "a,b,c\n1,2,3\n\"x\ny\",5\n")
        #expect(message { _ = try CSV.load(path: short) } == "\(short):3:3: this row has 2 fields, the header has 3")
    }

    @Test func textInANumericColumnIsLocated() throws {
        let rows = (1...40).map { "\($0),\($0 * 2)" }.joined(separator: "\n")
        let path = try Fixture.temporary("typo.csv", "id,mass\n" + rows + "\n41,4l0\n")
        #expect(message { _ = try CSV.load(path: path) }
            == "\(path):42:2: text '4l0' in numeric column 'mass' (40 of 41 values are numbers; declare the column categorical if it is one)")
        let declared = try Fixture.temporary("declared.csv", "id,mass\n1,3\n2,heavy\n")
        #expect(message { _ = try CSV.load(path: declared, options: CSVOptions(columnTypes: ["mass": .numeric])) }
            == "\(declared):3:2: text 'heavy' in numeric column 'mass'")
    }

    @Test func emptyAndHeaderOnlyFiles() throws {
        let empty = try Fixture.temporary("empty.csv", "")
        #expect(message { _ = try CSV.load(path: empty) } == "\(empty): empty file: expected a header line naming the columns")
        let blank = try Fixture.temporary("blank.csv", "\n\n")
        #expect(message { _ = try CSV.load(path: blank) } == "\(blank): empty file: expected a header line naming the columns")
        let header = try Fixture.temporary("header.csv", "a,b\n")
        #expect(message { _ = try CSV.load(path: header) } == "\(header):2: the file has a header but no data rows")
        #expect(message { _ = try CSV.load(path: "/nonexistent/x.csv") }?.hasPrefix("/nonexistent/x.csv: cannot read the file") == true)
    }

    @Test func quotingMistakesAndDuplicateNames() throws {
        #expect(message { _ = try CSV.parse(string: "a,b\n1,\"open\n2,3\n", source: "q.csv") }
            == "q.csv:2:2: quoted field never closed (it opens here)")
        #expect(message { _ = try CSV.parse(string: "a,b\n\"x\"y,2\n", source: "q.csv") }
            == "q.csv:2:1: unexpected 'y' after a closing quote")
        #expect(message { _ = try CSV.parse(string: "a,b,a\n1,2,3\n", source: "d.csv") }
            == "d.csv:1:3: column name 'a' appears twice in the header")
    }

    @Test func unknownTargetColumn() throws {
        let table = try CSV.parse(string: "x,species\n1,a\n", source: "p.csv")
        #expect(message { _ = try Dataset(table: table, target: "spcies", task: .classification) }
            == "p.csv: no column named 'spcies' (columns: x, species)")
    }

    @Test func syntheticBenchmarkFileRoundTrips() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bench-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CSVBenchmark.writeSyntheticCSV(path: path, bytes: 200_000, columns: 5, seed: 1)
        let result = try CSVBenchmark.run(path: path, repetitions: 1)
        #expect(result.columns == 6 && result.rows > 1000)
        let table = try CSV.load(path: path)
        #expect(table.columns.allSatisfy { $0.kind == .numeric })
    }

    /// The 100 MB comparison with pandas; run with TUNA_CSV_BENCH=/path/to/file.csv.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TUNA_CSV_BENCH"] != nil))
    func benchmark() throws {
        let path = ProcessInfo.processInfo.environment["TUNA_CSV_BENCH"] ?? ""
        if !FileManager.default.fileExists(atPath: path) { try CSVBenchmark.writeSyntheticCSV(path: path) }
        print(try CSVBenchmark.run(path: path))
    }
}

@Suite struct CSVRobustnessTests {
    /// Thousands of damaged variants of a real file (bytes dropped, duplicated, replaced by
    /// quotes, commas and newlines): each either parses or throws a DataError, never traps.
    @Test func damagedFilesNeverCrash() throws {
        let file = Array(try Data(contentsOf: URL(fileURLWithPath: Fixture.dataset("penguins.csv"))).prefix(3000))
        let original = Array(file[...(file.lastIndex(of: 10) ?? 0)])  // whole rows only
        var rng = SeededGenerator(seed: 42)
        let specials: [UInt8] = Array("\",\n\r?NA-.e0".utf8) + [0, 0xFF]
        var parsed = 0
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<(1 + rng.nextInt(below: 6)) {
                let i = rng.nextInt(below: bytes.count)
                switch rng.nextInt(below: 3) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(specials[rng.nextInt(below: specials.count)], at: i)
                default: bytes[i] = specials[rng.nextInt(below: specials.count)]
                }
            }
            do {
                let table = try CSV.parse(bytes, source: "fuzz.csv")
                #expect(table.columns.allSatisfy { $0.count == table.rowCount })
                parsed += 1
            } catch let error as DataError {
                #expect(error.file == "fuzz.csv")
                rejected += 1
            }
        }
        #expect(parsed > 0 && rejected > 0)
    }
}
