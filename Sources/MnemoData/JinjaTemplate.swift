// JinjaTemplate.swift — the subset of Jinja that chat templates (tokenizer_config.json's `chat_template`) use, parsed
// once and rendered the way transformers' `apply_chat_template` renders them (jinja2 with trim_blocks and
// lstrip_blocks, `raise_exception`, `tojson`):
//
//   text, {{ expr }}, {# comment #}, whitespace control {%- -%} {{- -}}
//   {% if %} {% elif %} {% else %} {% endif %}, {% for x in xs %} / {% for a, b in xs %} … {% endfor %} with `loop`
//   (index, index0, first, last, length, revindex, revindex0), {% set name = expr %}, {% set ns.attr = expr %}
//   expressions: literals ('…', "…", ints, floats, true/false/none in either case, [lists], {dicts}), names, .attr,
//   [index], [a:b:c] slices, calls, `x if c else y`, or/and/not, == != < > <= >= in / not in, + - * / // % ~, unary -,
//   filters | trim length count tojson string upper lower first last join default list items reverse, tests is
//   (not) defined undefined none string number integer mapping sequence iterable true false boolean, functions
//   raise_exception namespace range strftime_now (transformers' globals; defined names), string methods strip lstrip rstrip split startswith endswith upper lower replace
//   title, dict methods get items keys values.
//
// Anything else (macros, blocks, includes, call blocks, unknown filters/tests/methods) is refused with its line and
// column — at parse time for tags and names, at render time for filters and methods met on the path taken — never
// approximated. Checked against jinja2 by scripts/make_chat_template_fixtures.py.
import Foundation
import MnemoSupport

/// A template error: what is wrong and where (1-based line and column in the template), or a raised exception.
public struct JinjaError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let line: Int, column: Int
    public var description: String { line > 0 ? "chat template \(line):\(column): \(message)" : "chat template: \(message)" }
}

/// A value while rendering.
public indirect enum JinjaValue: CustomStringConvertible {
    case undefined, none
    case bool(Bool), int(Int), double(Double), string(String)
    case list([JinjaValue])
    case dict([(key: String, value: JinjaValue)])
    case namespace(JinjaNamespace)

    public var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let d): !d.isEmpty
        case .namespace: true
        }
    }

    /// What {{ }} prints (Python's str()).
    public var description: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): "\(i)"
        case .double(let d): d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)"
        case .string(let s): s
        case .list(let l): "[" + l.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.map { "'\($0.key)': \($0.value.repr)" }.joined(separator: ", ") + "}"
        case .namespace: "<Namespace>"
        }
    }

    /// Python's repr(), for lists and dicts printed whole.
    var repr: String {
        if case .string(let s) = self { return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }
        return description
    }

    /// A JSON document's value as a template value.
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .number: self = .double(json.double ?? .nan)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(JinjaValue.init))
        case .object(let members): self = .dict(members.map { ($0.key, JinjaValue($0.value)) })
        }
    }
}

/// `namespace(...)`: the one mutable object a template may assign attributes of.
public final class JinjaNamespace {
    var attributes: [String: JinjaValue]
    init(_ attributes: [String: JinjaValue]) { self.attributes = attributes }
}

// MARK: lexing

struct JinjaToken {
    enum Kind: Equatable { case name, string, int, double, op, end }
    let kind: Kind
    let text: String
    let offset: Int        // in the template, for messages
}

/// A template split into text and tags, whitespace control and transformers' trim_blocks / lstrip_blocks applied.
enum JinjaPiece {
    case text(String)
    case output([JinjaToken], offset: Int)
    case statement([JinjaToken], offset: Int)
}

enum JinjaLexer {
    static func pieces(_ source: String) throws -> [JinjaPiece] {
        let chars = Array(source.unicodeScalars)
        var out: [JinjaPiece] = []
        var text: [Unicode.Scalar] = []
        var i = 0
        var trimNextNewline = false, stripNextWhitespace = false
        func flushText() { if !text.isEmpty { out.append(.text(String(String.UnicodeScalarView(text)))); text = [] } }
        while i < chars.count {
            let isTag = chars[i] == "{" && i + 1 < chars.count && ["{", "%", "#"].contains(chars[i + 1])
            guard isTag else {
                if stripNextWhitespace && chars[i].properties.isWhitespace { i += 1; continue }
                stripNextWhitespace = false
                if trimNextNewline { trimNextNewline = false; if chars[i] == "\n" { i += 1; continue } }
                text.append(chars[i]); i += 1
                continue
            }
            stripNextWhitespace = false
            trimNextNewline = false
            let kind = chars[i + 1], start = i
            let close: Unicode.Scalar = kind == "{" ? "}" : kind == "%" ? "%" : "#"
            var j = i + 2
            let leftStrip = j < chars.count && chars[j] == "-"
            if leftStrip { j += 1 }
            // find the closing delimiter (outside string literals for {{ }} and {% %})
            var k = j, quote: Unicode.Scalar? = nil
            while k + 1 < chars.count {
                if kind != "#" {
                    if let q = quote { if chars[k] == "\\" { k += 2; continue }; if chars[k] == q { quote = nil } }
                    else if chars[k] == "'" || chars[k] == "\"" { quote = chars[k] }
                }
                if quote == nil && chars[k] == close && chars[k + 1] == "}" { break }
                k += 1
            }
            guard k + 1 < chars.count else { throw error("a tag opened here is never closed", start, source) }
            let rightStrip = k > j && chars[k - 1] == "-"
            let inner = String(String.UnicodeScalarView(chars[j..<(rightStrip ? k - 1 : k)]))
            // whitespace before the tag: {%- strips all of it; lstrip_blocks strips a block tag's line indentation
            if leftStrip {
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if kind != "{" {
                var n = text.count
                while n > 0 && (text[n - 1] == " " || text[n - 1] == "\t") { n -= 1 }
                if n == 0 ? (out.isEmpty || endsWithNewline(out)) : text[n - 1] == "\n" { text.removeLast(text.count - n) }
            }
            flushText()
            switch kind {
            case "{": out.append(.output(try tokens(inner, offset: j, source: source), offset: start))
            case "%": out.append(.statement(try tokens(inner, offset: j, source: source), offset: start))
            default: break
            }
            i = k + 2
            if rightStrip { stripNextWhitespace = true } else if kind != "{" { trimNextNewline = true }
        }
        flushText()
        return out
    }

    static func endsWithNewline(_ pieces: [JinjaPiece]) -> Bool {
        if case .text(let t)? = pieces.last { return t.hasSuffix("\n") }
        return false
    }

    static func tokens(_ text: String, offset: Int, source: String) throws -> [JinjaToken] {
        let c = Array(text.unicodeScalars)
        var out: [JinjaToken] = []
        var i = 0
        let twoChar: Set<String> = ["==", "!=", "<=", ">=", "//", "**"]
        while i < c.count {
            let ch = c[i]
            if ch.properties.isWhitespace { i += 1; continue }
            if ch == "'" || ch == "\"" {
                var s = String.UnicodeScalarView(), j = i + 1
                while j < c.count && c[j] != ch {
                    if c[j] == "\\" && j + 1 < c.count {
                        let e = c[j + 1]
                        switch e {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        default: s.append(e)
                        }
                        j += 2
                    } else { s.append(c[j]); j += 1 }
                }
                guard j < c.count else { throw error("a string is never closed", offset + i, source) }
                out.append(JinjaToken(kind: .string, text: String(s), offset: offset + i))
                i = j + 1
            } else if ch.properties.numericType != nil && ch.value < 128 {
                var j = i
                while j < c.count && c[j].properties.numericType != nil && c[j].value < 128 { j += 1 }
                var isDouble = false
                if j + 1 < c.count && c[j] == "." && c[j + 1].properties.numericType != nil {
                    isDouble = true; j += 1
                    while j < c.count && c[j].properties.numericType != nil && c[j].value < 128 { j += 1 }
                }
                out.append(JinjaToken(kind: isDouble ? .double : .int, text: String(String.UnicodeScalarView(c[i..<j])), offset: offset + i))
                i = j
            } else if ch.properties.isAlphabetic || ch == "_" {
                var j = i
                while j < c.count && (c[j].properties.isAlphabetic || c[j] == "_" || (c[j].properties.numericType != nil && c[j].value < 128)) { j += 1 }
                out.append(JinjaToken(kind: .name, text: String(String.UnicodeScalarView(c[i..<j])), offset: offset + i))
                i = j
            } else {
                let pair = i + 1 < c.count ? String(String.UnicodeScalarView([ch, c[i + 1]])) : ""
                if twoChar.contains(pair) {
                    out.append(JinjaToken(kind: .op, text: pair, offset: offset + i)); i += 2
                } else if "()[]{}.,:|~+-*/%<>=".unicodeScalars.contains(ch) {
                    out.append(JinjaToken(kind: .op, text: String(ch), offset: offset + i)); i += 1
                } else {
                    throw error("unexpected character '\(ch)'", offset + i, source)
                }
            }
        }
        out.append(JinjaToken(kind: .end, text: "", offset: offset + c.count))
        return out
    }

    static func error(_ message: String, _ offset: Int, _ source: String) -> JinjaError {
        let (line, column) = position(offset, source)
        return JinjaError(message: message, line: line, column: column)
    }

    /// 1-based line and column of a scalar offset.
    static func position(_ offset: Int, _ source: String) -> (Int, Int) {
        var line = 1, column = 1
        for (n, s) in source.unicodeScalars.enumerated() {
            if n >= offset { break }
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
