// A small JSON reader for run records (metrics lines and config.json), in pure Swift.
//
// Why not JSONSerialization: it loses a number's source text (a config's `3e-4` would come back as
// `0.00030000000000000003`-style noise or an NSNumber of unclear kind), cannot tell a value truncated by a
// killed writer from a wrong one, and reports errors without a column. This reader keeps numbers as their
// source text, keeps object keys in file order, and says where the problem is and whether the text simply
// stopped early (`RunJSONError.atEnd`), which is how a truncated metrics line is recognised.
//
// It accepts standard JSON (RFC 8259) plus the three non-finite words Python's `json.dumps` writes by default
// (`NaN`, `Infinity`, `-Infinity`). It refuses nesting deeper than 256 levels.

/// One parsed JSON value. Numbers stay as their (validated) source text; objects keep their key order.
enum RunJSON {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([RunJSON])
    case object([(key: String, value: RunJSON)])

    /// The value of a number (NaN and ±infinity included), or nil for anything else.
    var double: Double? {
        guard case .number(let text) = self else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }

    /// Parses one complete JSON text; only whitespace may follow the value.
    static func parse(_ text: String) throws(RunJSONError) -> RunJSON {
        try parse(Array(text.utf8))
    }

    static func parse(_ bytes: [UInt8]) throws(RunJSONError) -> RunJSON {
        var reader = RunJSONReader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        if reader.position < bytes.count {
            throw reader.failure("unexpected text after the JSON value")
        }
        return value
    }
}

/// Where and why a JSON text failed to parse. `offset` counts bytes from 0; `atEnd` says the text ended in the
/// middle of a value (a truncated write) rather than containing something wrong.
struct RunJSONError: Error, CustomStringConvertible {
    var offset: Int
    var message: String
    var atEnd: Bool

    var description: String { message }

    /// 1-based line and column (in bytes) of `offset` within `bytes`.
    func location(in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }
}

private struct RunJSONReader {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    static let maxDepth = 256

    func failure(_ message: String) -> RunJSONError {
        RunJSONError(offset: position, message: message, atEnd: false)
    }

    func endFailure(_ what: String) -> RunJSONError {
        RunJSONError(offset: position, message: "the text ends inside \(what)", atEnd: true)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    mutating func value(depth: Int) throws(RunJSONError) -> RunJSON {
        guard let byte = current else { throw endFailure("a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        case UInt8(ascii: "N"): try word("NaN"); return .number("NaN")
        case UInt8(ascii: "I"): try word("Infinity"); return .number("Infinity")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character \(shown(byte)) where a value should start")
        }
    }

    mutating func object(depth: Int) throws(RunJSONError) -> RunJSON {
        if depth > Self.maxDepth { throw failure("nesting deeper than \(Self.maxDepth) levels") }
        position += 1  // {
        var members: [(key: String, value: RunJSON)] = []
        skipSpace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard let byte = current else { throw endFailure("an object") }
            guard byte == UInt8(ascii: "\"") else {
                throw failure("expected a quoted key, found \(shown(byte))")
            }
            let key = try string()
            skipSpace()
            guard let colon = current else { throw endFailure("an object") }
            guard colon == UInt8(ascii: ":") else { throw failure("expected ':' after the key \"\(key)\"") }
            position += 1
            skipSpace()
            members.append((key, try value(depth: depth)))
            skipSpace()
            guard let next = current else { throw endFailure("an object") }
            position += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            if next != UInt8(ascii: ",") {
                position -= 1
                throw failure("expected ',' or '}' after the value of \"\(key)\", found \(shown(next))")
            }
        }
    }

    mutating func array(depth: Int) throws(RunJSONError) -> RunJSON {
        if depth > Self.maxDepth { throw failure("nesting deeper than \(Self.maxDepth) levels") }
        position += 1  // [
        var elements: [RunJSON] = []
        skipSpace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipSpace()
            elements.append(try value(depth: depth))
            skipSpace()
            guard let next = current else { throw endFailure("an array") }
            position += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            if next != UInt8(ascii: ",") {
                position -= 1
                throw failure("expected ',' or ']' in an array, found \(shown(next))")
            }
        }
    }

    mutating func word(_ expected: String) throws(RunJSONError) {
        for byte in expected.utf8 {
            guard let actual = current else { throw endFailure("the word \(expected)") }
            guard actual == byte else { throw failure("unexpected character \(shown(actual)) (expected \(expected))") }
            position += 1
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?  — or -Infinity.
    mutating func number() throws(RunJSONError) -> String {
        let start = position
        if current == UInt8(ascii: "-") {
            position += 1
            if current == UInt8(ascii: "I") {
                try word("Infinity")
                return "-Infinity"
            }
        }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        guard let first = current else { throw endFailure("a number") }
        guard isDigit(first) else { throw failure("expected a digit, found \(shown(first))") }
        position += 1
        if first != UInt8(ascii: "0") {
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard current != nil else { throw endFailure("a number") }
            guard isDigit(current) else { throw failure("expected a digit after the decimal point") }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard current != nil else { throw endFailure("a number") }
            guard isDigit(current) else { throw failure("expected a digit in the exponent") }
            while isDigit(current) { position += 1 }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func string() throws(RunJSONError) -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard let byte = current else { throw endFailure("a string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw endFailure("a string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by \u and a low surrogate.
                        guard position + 1 < bytes.count else { throw endFailure("a string") }
                        guard bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("a \\u high surrogate is not followed by a low surrogate")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw failure("a \\u high surrogate is not followed by a low surrogate")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw failure("a lone \\u low surrogate")
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
                default:
                    position -= 1
                    throw failure("unknown escape \\\(shown(escape, quoted: false)) in a string")
                }
            default:
                if byte < 0x20 {
                    position -= 1
                    throw failure("a control character (\(shown(byte))) inside a string; it must be escaped")
                }
                out.append(byte)
            }
        }
    }

    mutating func hex4() throws(RunJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw endFailure("a string") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw failure("expected 4 hex digits after \\u")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    /// A byte as it should appear in a message: 'x' for printable ASCII, 0xNN otherwise.
    func shown(_ byte: UInt8, quoted: Bool = true) -> String {
        if byte >= 0x21 && byte < 0x7F {
            let character = String(UnicodeScalar(byte))
            return quoted ? "'\(character)'" : character
        }
        return "0x" + String(byte, radix: 16, uppercase: true)
    }
}
