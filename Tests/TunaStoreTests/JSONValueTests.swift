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
}
