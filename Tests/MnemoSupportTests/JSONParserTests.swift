// JSONParserTests.swift — the one JSON reader: exact integers, number text, member order, quoting round trips and
// error offsets (the safetensors header's needs), and the Python dialect of run records beside the strict one.
import Testing
@testable import MnemoSupport

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0) }
    }

    @Test("integers stay exact up to Int.max; larger or fractional numbers keep their text")
    func numbers() throws {
        guard case .array(let values) = try parse("[0, -0, 9007199254740993, 9223372036854775807, 9223372036854775808, 1.0, 1e3, -5]")
        else { Issue.record("not an array"); return }
        let described = values.map { value -> String in
            switch value {
            case .integer(let n): "int \(n)"
            case .number(let text): "num \(text)"
            default: "other"
            }
        }
        #expect(described == ["int 0", "int 0", "int 9007199254740993", "int 9223372036854775807",
                              "num 9223372036854775808", "num 1.0", "num 1e3", "int -5"])
    }

    @Test("members keep file order")
    func order() throws {
        guard case .object(let members) = try parse("{\"b\":1,\"a\":2,\"c\":3}") else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "c"])
    }

    @Test("quoting round-trips through the parser")
    func quoting() throws {
        for text in ["", "plain", "q\"b\\s/", "\n\r\t\u{08}\u{0C}\u{00}\u{1F}\u{7F}", "naïve ✓ 😀"] {
            guard case .string(let parsed) = try parse(jsonQuoted(text)) else { Issue.record("not a string"); continue }
            #expect(parsed == text)
        }
    }

    @Test("errors carry the byte offset")
    func offsets() {
        do {
            _ = try parse("{\"a\": tru}")
            Issue.record("parsed")
        } catch let error as JSONSyntaxError {
            #expect(error.offset == 6)
        } catch {
            Issue.record(error)
        }
    }

    @Test("strict refuses what the Python dialect accepts: NaN and ±Infinity, duplicate keys, deep nesting")
    func dialects() throws {
        for text in ["[NaN]", "[Infinity]", "[-Infinity]", "{\"a\": 1, \"a\": 2}",
                     String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            #expect(throws: JSONSyntaxError.self, "\(text.prefix(20))") { try JSONParser.parse(text, options: .strict) }
            #expect(throws: Never.self, "\(text.prefix(20))") { try JSONParser.parse(text, options: .python) }
        }
        guard case .array(let values) = try JSONParser.parse("[NaN, Infinity, -Infinity, 3e-4, 7]", options: .python)
        else { Issue.record("not an array"); return }
        #expect(values[0].double!.isNaN && values[1].double == .infinity && values[2].double == -.infinity)
        guard case .number("3e-4") = values[3], case .integer(7) = values[4] else { Issue.record("\(values)"); return }
        guard case .object(let members) = try JSONParser.parse("{\"a\": 1, \"a\": 2}", options: .python)
        else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["a", "a"])
        #expect(throws: JSONSyntaxError.self) {
            try JSONParser.parse(String(repeating: "[", count: 257) + String(repeating: "]", count: 257), options: .python)
        }
    }

    @Test("a text cut short is told apart from a wrong one")
    func truncation() throws {
        let whole = #"{"a": [1, -2.5e-3, true, null, "x\u00e9\ud83d\ude00", NaN]}"#
        for cut in 1..<whole.utf8.count {
            let error = try #require(throws: JSONSyntaxError.self) {
                try JSONParser.parse(Array(whole.utf8.prefix(cut)), options: .python)
            }
            #expect(error.atEnd, "cut at \(cut): \(error)")
        }
        for wrong in [#"{"a": tru}"#, #"{"a" 1}"#, #"[1,]"#, #"{"a": 01}"#, #"["\x"]"#] {
            let error = try #require(throws: JSONSyntaxError.self) { try JSONParser.parse(wrong, options: .python) }
            #expect(!error.atEnd, "\(wrong)")
        }
        let bytes = Array("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8)
        let error = try #require(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes) }
        #expect(error.location(in: bytes) == (line: 3, column: 7))
    }
}
