// RunJSON.swift — how run records (metrics.jsonl lines, a run's config.json) are read: MnemoSupport's JSONParser
// in its Python dialect, since a record may come from a Python script: NaN, Infinity and -Infinity (what
// `json.dumps` writes by default) are numbers, duplicate keys are kept in order, nesting stops at 256 levels.
// Numbers keep their source text (a config's `3e-4` reads back as "3e-4"), and an error says where it is and
// whether the text simply stopped early (a killed writer's last line).
import MnemoSupport

enum RunJSON {
    static let options = JSONParser.Options.python

    /// Parses one complete JSON text; only whitespace may follow the value.
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(text, options: options)
    }

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(bytes, options: options)
    }
}
