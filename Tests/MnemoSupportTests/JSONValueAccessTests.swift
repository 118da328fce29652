// JSONValueAccessTests.swift — the typed accessors readers use (`json["model"]?["vocab"]?.object`, `.int`, …)
// and whole files (byte-order mark, UTF-8, empty, line and column of a syntax error).
import Testing
@testable import MnemoSupport

@Suite("JSON value access")
struct JSONValueAccessTests {
    func parse(_ text: String, _ options: JSONParser.Options = .python) throws -> JSONValue {
        try JSONParser.parse(text, options: options)
    }

    @Test("a key gives its value (the last of duplicates, as Python and Foundation keep); a non-object gives nil")
    func subscripts() throws {
        let json = try parse(#"{"a": 1, "b": {"c": "x"}, "a": 2, "n": null}"#)
        #expect(json["a"]?.int == 2)
        #expect(json["b"]?["c"]?.string == "x")
        #expect(json["missing"] == nil && json["b"]?["missing"] == nil)
        #expect(json["a"]?["c"] == nil)  // not an object
        #expect(json["n"]?.isNull == true && json["a"]?.isNull == false)
        #expect(json.object?.map(\.key) == ["a", "b", "a", "n"])
        #expect(try parse("[1, 2]")["a"] == nil)
    }

    @Test("each accessor answers only for its own kind")
    func kinds() throws {
        let json = try parse(#"{"s": "5", "t": true, "i": 7, "f": 1.5, "l": [1, "x"], "o": {}}"#)
        #expect(json["s"]?.string == "5" && json["s"]?.int == nil && json["s"]?.bool == nil)
        #expect(json["t"]?.bool == true && json["t"]?.int == nil && json["t"]?.double == nil)
        #expect(json["i"]?.int == 7 && json["i"]?.double == 7 && json["i"]?.bool == nil && json["i"]?.string == nil)
        #expect(json["l"]?.array?.count == 2 && json["l"]?.object == nil)
        #expect(json["o"]?.object?.isEmpty == true && json["o"]?.array == nil)
        #expect(json["f"]?.double == 1.5 && json["f"]?.int == nil)
    }

    @Test("int: exact integers, and whole numbers in other syntax below 2^53; never a fraction, NaN or a huge number")
    func wholeNumbers() throws {
        let cases: [(String, Int?)] = [
            ("768", 768), ("-3", -3), ("9223372036854775807", Int.max), ("768.0", 768), ("1e3", 1000), ("-0.0", 0),
            ("9007199254740991.0", 9_007_199_254_740_991), ("9007199254740992.0", nil), ("9223372036854775808", nil),
            ("1.5", nil), ("1e-6", nil), ("NaN", nil), ("Infinity", nil), ("-Infinity", nil),
        ]
        for (text, want) in cases {
            #expect(try parse(text).int == want, "\(text)")
        }
    }

    @Test("a file: byte-order mark skipped, UTF-8 checked, empty named, errors at line and column, a cut file said so")
    func files() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try JSONParser.parseFile(bom + Array(#"{"a": 1}"#.utf8), options: .strict)["a"]?.int == 1)

        let notUTF8 = try #require(throws: JSONFileError.self) {
            try JSONParser.parseFile(Array("{\n  \"a\": \"".utf8) + [0xFF] + Array("\"}".utf8), options: .strict)
        }
        #expect(notUTF8.message == "is not UTF-8 text (byte 0xff at line 2, column 9)")
        #expect(notUTF8.syntax == nil && notUTF8.line == 2 && notUTF8.column == 9)

        let empty = try #require(throws: JSONFileError.self) { try JSONParser.parseFile(Array(" \n\t".utf8), options: .strict) }
        #expect(empty.message == "is empty (no JSON value in it)" && empty.line == nil)

        let wrong = try #require(throws: JSONFileError.self) {
            try JSONParser.parseFile(bom + Array("{\n  \"a\": 1,\n  \"b\": }".utf8), options: .strict)
        }
        #expect(wrong.message == "is not valid JSON at line 3, column 8: unexpected '}', expected a value")
        #expect(wrong.line == 3 && wrong.column == 8 && wrong.syntax?.atEnd == false)

        let cut = try #require(throws: JSONFileError.self) { try JSONParser.parseFile(Array("{\"a\": [1, 2".utf8), options: .strict) }
        #expect(cut.message.hasPrefix("is not valid JSON at line 1, column 12: "), "\(cut)")
        #expect(cut.message.hasSuffix("(the text stops in the middle of a value: was the file cut short?)"), "\(cut)")

        let duplicate = try #require(throws: JSONFileError.self) {
            try JSONParser.parseFile(Array("{\"a\": 1,\n \"a\": 2}".utf8), options: .strict)
        }
        #expect(duplicate.message == "is not valid JSON at line 2, column 2: duplicate key \"a\"")
        #expect(try JSONParser.parseFile(Array("{\"a\": 1,\n \"a\": NaN}".utf8), options: .python)["a"]?.double?.isNaN == true)
    }
}
