// JSONString.swift — a Swift string as a JSON string literal, for the files Mnemo writes by hand
// (safetensors headers, tokenizer.json, metrics.jsonl). No dependencies: every module may use it.

/// `text` as a JSON string literal: quotes, backslashes and control characters escaped, everything else raw
/// UTF-8 — what serde_json writes, and so Python's safetensors and Hugging Face `tokenizers`.
public func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if scalar.value < 0x20 {
                let digits = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
