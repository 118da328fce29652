// JSONValue+Foundation.swift — between JSONValue and Foundation's plain values ([String: Any], [Any], String, Int,
// Double, Bool, NSNull), for callers that still hold or want those: tests that edit a parsed dictionary, the CLI,
// the character tokenizer. Readers take JSONValue; these two bridges let the rest move over one caller at a time.

import Foundation

extension JSONValue {
    /// Foundation's plain value: an object becomes [String: Any] (the last of duplicate keys kept), an array [Any],
    /// an integer Int, any other number Double (NaN and ±infinity included), null NSNull.
    public var foundationValue: Any {
        switch self {
        case .object(let members):
            return Dictionary(members.map { ($0.key, $0.value.foundationValue) }, uniquingKeysWith: { $1 })
        case .array(let values): return values.map(\.foundationValue)
        case .string(let text): return text
        case .integer(let n): return n
        case .number: return double ?? .nan
        case .bool(let flag): return flag
        case .null: return NSNull()
        }
    }

    /// The JSON value of Foundation plain values. They are written by JSONSerialization (the one that knows which of
    /// its NSNumbers are booleans) and read back by JSONParser, so no NSNumber is sniffed here. Throws what
    /// JSONSerialization throws for a value it cannot write (NaN, a type that is not plain).
    public init(foundationValue: Any) throws {
        guard JSONSerialization.isValidJSONObject([foundationValue]) else {
            throw JSONSyntaxError(message: "\(type(of: foundationValue)) is not a plain JSON value", offset: 0)
        }
        let data = try JSONSerialization.data(withJSONObject: foundationValue, options: [.fragmentsAllowed])
        // .python: Foundation writes neither NaN nor duplicate keys, and its nesting has no limit worth refusing here.
        self = try JSONParser.parse([UInt8](data), options: .python)
    }
}
