import Foundation
import Testing

@testable import TunaStore

@Suite("JSON values")
struct JSONValueTests {
    @Test func flatObjectsRoundTripThroughTheHandWrittenEncoder() throws {
        let object: [String: JSONValue] = [
            "b": true, "a": 3, "c": "x\u{01}y\t\"z\"", "d": nil, "e": 0.1, "f": -2.5e-8, "g": 1e20,
        ]
        let text = try JSONText.encode(object)
        #expect(text.hasPrefix(#"{"a":3,"b":true,"c":"x\u0001y\t\"z\"","d":null,"e":0.1,"#))
        #expect(try JSONText.decode(text, column: "test") == object)
        #expect(try JSONText.encode([:]) == "{}")
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: StoreError.nonFiniteParameter(.infinity)) { try JSONText.encode(["x": .number(.infinity)]) }
        #expect(throws: (any Error).self) { try JSONValue.number(.nan).jsonText() }
    }

    @Test func codableKeepsBoolsApartFromNumbers() throws {
        let values: [JSONValue] = [true, 1, "1", nil, 2.5]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([JSONValue].self, from: data) == values)
        #expect(throws: StoreError.self) { try JSONText.decode("[1, 2]", column: "trials.params") }
    }

    @Test func theParserReadsEscapesAndRefusesWhatTheStoreNeverWrites() throws {
        let parsed = FlatJSONParser.parse(#" { "a\u00e9" : "\ud83d\ude00\n\/" , "n": -1.5E+3, "t": true, "z": null } "#)
        #expect(parsed == ["aé": "😀\n/", "n": -1500, "t": true, "z": nil])
        #expect(FlatJSONParser.parse("{}") == [:])
        for bad in [
            "", "[]", "{", #"{"a": [1]}"#, #"{"a": {"b": 1}}"#, #"{"a": 1} x"#, #"{"a": tru}"#,
            #"{"a": "\ud83d"}"#, "{\"a\": \"line\nbreak\"}", #"{"a": 1,}"#, #"{"a": NaN}"#, #"{a: 1}"#,
        ] {
            #expect(FlatJSONParser.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func encoderAndParserAgreeOnAwkwardStrings() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\u{01}", "\u{1F}", "é", "😀", "/", " ", "\t", "\u{7F}"]
        for _ in 0..<200 {
            var object: [String: JSONValue] = [:]
            for key in 0..<Int.random(in: 0...4, using: &rng) {
                let text = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? "a" })
                object["k\(key)\(text)"] = Bool.random(using: &rng) ? .string(text) : .number(Double.random(in: -1e6...1e6, using: &rng))
            }
            #expect(FlatJSONParser.parse(try JSONText.encode(object)) == object)
        }
    }
}
