// JSONOut.swift — the JSON the server writes: members in the order OpenAI's API documents them, explicit nulls where
// OpenAI writes them (`"finish_reason": null` in a chunk), compact text. Numbers that JSON cannot spell are written as
// vLLM writes them: a log-probability of −∞ as -9999.0, NaN as null.
import MnemoSupport

public indirect enum JSONOut: Sendable {
    case object([(String, JSONOut)])
    case array([JSONOut])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                out += jsonQuoted(key) + ":"
                value.write(into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .string(let text): out += jsonQuoted(text)
        case .int(let n): out += String(n)
        case .double(let x):
            if x.isNaN { out += "null" } else if x.isInfinite { out += x < 0 ? "-9999.0" : "9999.0" } else { out += "\(x)" }
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        }
    }
}

extension Optional where Wrapped == String {
    var json: JSONOut { map(JSONOut.string) ?? .null }
}
