// JSONRequest.swift — the body of a POST request as a JSON object, read one field at a time with the refusal OpenAI
// would give: not UTF-8, not JSON (with the byte where it stops being JSON), not an object, a field of the wrong kind,
// a number out of range (huge and non-finite numbers included). JSON null counts as absent, as OpenAI's API takes it.
// Unknown fields are ignored, as vLLM ignores them (clients send their own extras). Parsed by MnemoSupport's
// JSONParser (strict: RFC 8259, duplicate keys refused, 64 levels of nesting at most).
import MnemoSupport

public struct JSONRequest: Sendable {
    public let value: JSONValue

    public init(bytes: [UInt8]) throws(APIError) {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw APIError("the request body is empty: send a JSON object", code: "invalid_json")
        }
        if let bad = bytes.withUnsafeBytes({ firstInvalidUTF8($0) }) {
            throw APIError("the request body is not valid UTF-8 (byte \(bad))", code: "invalid_json")
        }
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(bytes, options: .strict) } catch {
            throw APIError("the request body is not valid JSON: \(error.message) (at byte \(error.offset))", code: "invalid_json")
        }
        guard case .object = parsed else {
            throw APIError("the request body must be a JSON object, got \(parsed.kindName)", code: "invalid_json")
        }
        value = parsed
    }

    /// The field's value; nil when it is missing or null.
    public subscript(key: String) -> JSONValue? {
        guard let field = value[key], !field.isNull else { return nil }
        return field
    }

    public func string(_ key: String) throws(APIError) -> String? {
        guard let field = self[key] else { return nil }
        guard let text = field.string else { throw .invalid(key, "\(key) must be a string, got \(field.kindName)", code: "invalid_type") }
        return text
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        guard let field = self[key] else { return nil }
        guard let flag = field.bool else { throw .invalid(key, "\(key) must be a boolean, got \(field.kindName)", code: "invalid_type") }
        return flag
    }

    /// A number in `range` (finite by construction).
    public func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let field = self[key] else { return nil }
        guard let number = field.double else { throw .invalid(key, "\(key) must be a number, got \(field.kindName)", code: "invalid_type") }
        guard range.contains(number) else {
            throw .invalid(key, "\(key) must be between \(Self.text(range.lowerBound)) and \(Self.text(range.upperBound)), got \(field.text(limit: 40))")
        }
        return number
    }

    /// A whole number in `range`.
    public func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let field = self[key] else { return nil }
        guard field.double != nil else { throw .invalid(key, "\(key) must be an integer, got \(field.kindName)", code: "invalid_type") }
        guard let number = field.int, range.contains(number) else {
            throw .invalid(key, "\(key) must be an integer between \(range.lowerBound) and \(range.upperBound), got \(field.text(limit: 40))")
        }
        return number
    }

    /// The stop strings: a string or a list of at most `limit` non-empty strings.
    public func stopStrings(limit: Int = 16) throws(APIError) -> [String] {
        guard let field = self["stop"] else { return [] }
        let items: [JSONValue]
        if field.string != nil { items = [field] } else if let list = field.array { items = list } else {
            throw .invalid("stop", "stop must be a string or a list of strings, got \(field.kindName)", code: "invalid_type")
        }
        guard items.count <= limit else { throw .invalid("stop", "stop takes at most \(limit) strings, got \(items.count)") }
        var stops: [String] = []
        for item in items {
            guard let text = item.string else {
                throw .invalid("stop", "stop must be a string or a list of strings; found \(item.kindName)", code: "invalid_type")
            }
            guard !text.isEmpty else { throw .invalid("stop", "a stop string must not be empty") }
            stops.append(text)
        }
        return stops
    }

    static func text(_ number: Double) -> String {
        number == number.rounded() && Swift.abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
