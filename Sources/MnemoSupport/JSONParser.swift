// JSONParser.swift — the one hand-written JSON reader, for files Mnemo must read exactly: safetensors headers (from
// untrusted files) and run records (metrics.jsonl lines, a run's config.json).
//
// Why not JSONSerialization: Foundation turns integers above 2^53 into doubles (silently wrong offsets), keeps the
// last of two duplicate keys, loses key order, bridges numbers through NSNumber differently on Linux and macOS
// (a config's `3e-4` comes back as binary noise), reports errors without a position, and cannot tell a text cut
// short by a killed writer from a wrong one. This reader keeps every integer exact (or reports it as a non-integer
// when it does not fit in Int) and every other number as its source text, keeps members in file order, says at
// which byte a problem is and whether the text simply stopped early (`JSONSyntaxError.atEnd`), and caps nesting
// so that a hostile `[[[[…` cannot overflow the stack.
//
// One grammar, two dialects (`JSONParser.Options`): `.strict` (RFC 8259, duplicate keys refused, 64 levels) for
// safetensors headers, and `.python` for run records — also Python's `json.dumps` words `NaN`, `Infinity` and
// `-Infinity`, duplicate keys kept in order as Python keeps the last, 256 levels. The input must be UTF-8 (a
// safetensors header is checked first; other bytes decode with replacement characters).

public enum JSONValue: Sendable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// A number in integer syntax that fits in Int.
    case integer(Int)
    /// Any other number, as its source text ("1.5e-4", "1e3", "9223372036854775808", and "NaN", "Infinity",
    /// "-Infinity" where the dialect allows them).
    case number(String)
    case bool(Bool)
    case null

    /// "an object", "an array", "a string", … for messages.
    public var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The value of a number (NaN and ±infinity included), or nil for anything else.
    public var double: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .number("NaN"): return .nan
        case .number("Infinity"): return .infinity
        case .number("-Infinity"): return -.infinity
        case .number(let text): return Double(text)
        default: return nil
        }
    }

    /// Compact JSON text of the value, cut after about `limit` characters, for messages.
    public func text(limit: Int = 60) -> String {
        var out = ""
        render(into: &out, limit: limit)
        return out.count > limit ? String(out.prefix(limit)) + "…" : out
    }

    private func render(into out: inout String, limit: Int) {
        if out.count > limit { return }
        switch self {
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if out.count > limit { return }
                if i > 0 { out += "," }
                out += jsonQuoted(member.key) + ":"
                member.value.render(into: &out, limit: limit)
            }
            out += "}"
        case .array(let values):
            out += "["
            for (i, value) in values.enumerated() {
                if out.count > limit { return }
                if i > 0 { out += "," }
                value.render(into: &out, limit: limit)
            }
            out += "]"
        case .string(let s): out += jsonQuoted(s)
        case .integer(let n): out += String(n)
        case .number(let text): out += text
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }
}

/// One `"key": value` of an object, in file order.
public struct JSONMember: Sendable {
    public let key: String
    public let value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON syntax error: what, at which byte of the parsed text (from 0), and whether the text ended in the middle
/// of a value (`atEnd`: a truncated write) rather than containing something wrong.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public let atEnd: Bool

    public init(message: String, offset: Int, atEnd: Bool = false) {
        self.message = message
        self.offset = offset
        self.atEnd = atEnd
    }

    public var description: String { message }

    /// 1-based line and column (in bytes) of `offset` within `bytes`.
    public func location(in bytes: [UInt8]) -> (line: Int, column: Int) {
        bytes.withUnsafeBytes { lineAndColumn(of: offset, in: $0) }
    }
}

/// 1-based line and column (in bytes) of `offset` within `bytes`.
public func lineAndColumn(of offset: Int, in bytes: UnsafeRawBufferPointer) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    for i in 0..<min(offset, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
        line += 1
        lineStart = i + 1
    }
    return (line, offset - lineStart + 1)
}

/// Parses one JSON document from UTF-8 bytes. Surrounding whitespace is allowed; anything else after the value
/// is an error.
public struct JSONParser {
    /// What the text may contain beyond RFC 8259's strict grammar.
    public struct Options: Sendable {
        /// Deeper nesting is refused.
        public var maxDepth: Int
        /// Two members of one object with the same key: kept in order (true) or an error (false).
        public var allowsDuplicateKeys: Bool
        /// The words NaN, Infinity and -Infinity as numbers (Python's json.dumps writes them by default).
        public var allowsNonFiniteNumbers: Bool

        public init(maxDepth: Int, allowsDuplicateKeys: Bool, allowsNonFiniteNumbers: Bool) {
            self.maxDepth = maxDepth
            self.allowsDuplicateKeys = allowsDuplicateKeys
            self.allowsNonFiniteNumbers = allowsNonFiniteNumbers
        }

        /// Untrusted files (safetensors headers, which need 3 levels): RFC 8259, no duplicate keys, 64 levels.
        public static let strict = Options(maxDepth: 64, allowsDuplicateKeys: false, allowsNonFiniteNumbers: false)
        /// What Python's json module writes and reads: NaN and ±Infinity, duplicate keys, 256 levels.
        public static let python = Options(maxDepth: 256, allowsDuplicateKeys: true, allowsNonFiniteNumbers: true)
    }

    private let bytes: UnsafeRawBufferPointer
    private let options: Options
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer, options: Options) {
        self.bytes = bytes
        self.options = options
    }

    public static func parse(_ bytes: [UInt8], options: Options = .strict) throws(JSONSyntaxError) -> JSONValue {
        var result: Result<JSONValue, JSONSyntaxError> = .failure(JSONSyntaxError(message: "", offset: 0))
        bytes.withUnsafeBytes { raw in
            do throws(JSONSyntaxError) { result = .success(try parse(raw, options: options)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, options: Options = .strict) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8), options: options)
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = .strict) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes, options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index != bytes.count {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the end of the JSON value")
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard let byte = peek() else { throw failure("unexpected end of text, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "N") where options.allowsNonFiniteNumbers: try expectLiteral("NaN"); return .number("NaN")
        case UInt8(ascii: "I") where options.allowsNonFiniteNumbers:
            try expectLiteral("Infinity")
            return .number("Infinity")
        default: throw failure("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // {
        var members: [JSONMember] = []
        var seen = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                throw failure("unexpected \(describeCurrent()), expected a string key")
            }
            let keyOffset = index
            let key = try parseString()
            guard seen.insert(key).inserted || options.allowsDuplicateKeys else {
                throw JSONSyntaxError(message: "duplicate key \(jsonQuoted(key))", offset: keyOffset)
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("unexpected \(describeCurrent()), expected ':'") }
            index += 1
            skipWhitespace()
            members.append(JSONMember(key: key, value: try parseValue()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw failure("unexpected \(describeCurrent()), expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // [
        var values: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return .array(values) }
        while true {
            skipWhitespace()
            values.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(values)
            default: throw failure("unexpected \(describeCurrent()), expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1  // opening quote
        // Fast path: no escape before the closing quote (nearly every name in a real header).
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
            index = end + 1
            return text
        }
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw JSONSyntaxError(message: "unterminated string", offset: start, atEnd: true)
            }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw failure("control character 0x\(String(byte, radix: 16)) inside a string (JSON needs it escaped)")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    /// After a backslash: one escape, appended as UTF-8.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        guard let byte = peek() else { throw failure("unterminated escape sequence") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = index - 2
            let unit = try parseHex4()
            var value = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                if peek() == nil || (peek() == UInt8(ascii: "\\") && peek(1) == nil) {
                    throw JSONSyntaxError(message: "unterminated string after \\u\(hex(unit))", offset: index, atEnd: true)
                }
                guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(message: "lone UTF-16 surrogate \\u\(hex(unit))", offset: escapeStart)
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(message: "lone UTF-16 surrogate \\u\(hex(unit))", offset: escapeStart)
                }
                value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw JSONSyntaxError(message: "lone UTF-16 surrogate \\u\(hex(unit))", offset: escapeStart)
            }
            // Surrogates were handled above, so the value is a valid scalar.
            guard let scalar = Unicode.Scalar(value) else {
                throw JSONSyntaxError(message: "invalid \\u escape", offset: escapeStart)
            }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            index -= 1
            throw failure("invalid escape \\\(describeCurrent())")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw failure("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("unexpected \(describeCurrent()) in a \\u escape, expected a hex digit")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") {
            index += 1
            if options.allowsNonFiniteNumbers && peek() == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .number("-Infinity")
            }
        }
        guard let first = peek(), isDigit(first) else { throw failure("expected a digit after '-'") }
        index += 1
        if first == UInt8(ascii: "0") {
            if let next = peek(), isDigit(next) { throw failure("leading zeros are not allowed in JSON numbers") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let digit = peek(), isDigit(digit) else { throw failure("expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw failure("expected a digit in the exponent") }
            skipDigits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        return .number(text)
    }

    // MARK: - Bytes

    private func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        for i in 0..<count {
            guard let byte = peek(i) else {
                throw JSONSyntaxError(message: "unexpected end of text inside \(literal)", offset: start, atEnd: true)
            }
            guard byte == literal.utf8Start[i] else {
                throw JSONSyntaxError(message: "unexpected \(describeCurrent()), expected a value", offset: start)
            }
        }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > options.maxDepth {
            throw failure("nesting deeper than \(options.maxDepth) levels")
        }
    }

    /// An error at the cursor; at the end of the text it is a truncation (`atEnd`).
    private func failure(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: index, atEnd: index >= bytes.count)
    }

    /// The byte at the cursor, for messages: `'x'`, `byte 0xff` or `end of text`.
    private func describeCurrent() -> String {
        guard let byte = peek() else { return "end of text" }
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

