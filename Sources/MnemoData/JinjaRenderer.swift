// JinjaRenderer.swift — renders a parsed chat template (JinjaParser.swift) with variables: Python's semantics where the
// templates depend on them (truthiness, str(), negative indices and slices, `in` on strings, lists and dicts, integer
// division), undefined names and attributes as Jinja's Undefined (empty, falsy, `is defined` false).
import Foundation
import MnemoSupport

/// Immutable once parsed (its literals are plain values; namespaces exist only while rendering), so it may be shared.
public struct JinjaTemplate: @unchecked Sendable {
    let source: String
    let nodes: [JinjaNode]

    /// Parses `source`; an unsupported construct or a syntax error is refused with its line and column.
    public init(_ source: String) throws {
        self.source = source
        var parser = try JinjaParser(source)
        nodes = try parser.parse()
    }

    /// The text for `variables` (messages, bos_token, eos_token, add_generation_prompt, …); strftime_now reads `now`.
    public func render(_ variables: [String: JinjaValue], now: Date = Date()) throws -> String {
        var renderer = JinjaRenderer(source: source, scopes: [variables], now: now)
        var out = ""
        try renderer.run(nodes, into: &out)
        return out
    }
}

struct JinjaRenderer {
    let source: String
    var scopes: [[String: JinjaValue]]
    /// What strftime_now reads (transformers: the local time when the template renders).
    var now = Date()

    /// The functions templates may call.
    static let functions: Set<String> = ["raise_exception", "namespace", "range", "strftime_now"]

    /// Python's strftime for the specifiers chat templates use (%d %m %Y %y %b %B %a %A %H %M %S %j %%), in English
    /// and the local time zone, as transformers' strftime_now; another specifier is refused.
    static func strftime(_ format: String, _ date: Date, offset: Int) throws -> String {
        let calendar = Calendar(identifier: .gregorian)
        let c = calendar.dateComponents(in: TimeZone.current, from: date)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        var out = "", chars = Array(format), i = 0
        while i < chars.count {
            guard chars[i] == "%", i + 1 < chars.count else { out.append(chars[i]); i += 1; continue }
            let month = (c.month ?? 1) - 1, weekday = (c.weekday ?? 1) - 1
            switch chars[i + 1] {
            case "d": out += two(c.day)
            case "m": out += two(c.month)
            case "Y": out += String(c.year ?? 0)
            case "y": out += two((c.year ?? 0) % 100)
            case "b": out += String(months[month].prefix(3))
            case "B": out += months[month]
            case "a": out += String(days[weekday].prefix(3))
            case "A": out += days[weekday]
            case "H": out += two(c.hour)
            case "M": out += two(c.minute)
            case "S": out += two(c.second)
            case "j": out += String(format: "%03d", calendar.ordinality(of: .day, in: .year, for: date) ?? 0)
            case "%": out += "%"
            default: throw JinjaError(message: "strftime_now: unsupported specifier %\(chars[i + 1])", line: 0, column: 0)
            }
            i += 2
        }
        return out
    }

    func fail(_ message: String, _ offset: Int) -> JinjaError { JinjaLexer.error(message, offset, source) }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() { if let v = scope[name] { return v } }
        return .undefined
    }

    mutating func run(_ nodes: [JinjaNode], into out: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let t): out += t
            case .output(let e): out += try evaluate(e).description
            case .ifBlock(let branches, let otherwise):
                var taken = false
                for (condition, body) in branches where try evaluate(condition).truthy {
                    try run(body, into: &out); taken = true; break
                }
                if !taken { try run(otherwise, into: &out) }
            case .forBlock(let names, let iterable, let body, let otherwise):
                let items = try iterate(try evaluate(iterable))
                if items.isEmpty { try run(otherwise, into: &out); continue }
                for (n, item) in items.enumerated() {
                    var scope: [String: JinjaValue] = [:]
                    if names.count == 1 { scope[names[0]] = item } else {
                        guard case .list(let parts) = item, parts.count == names.count else {
                            throw fail("cannot unpack \(item.repr) into \(names.joined(separator: ", "))", 0)
                        }
                        for (name, part) in zip(names, parts) { scope[name] = part }
                    }
                    scope["loop"] = .dict([("index", .int(n + 1)), ("index0", .int(n)), ("first", .bool(n == 0)),
                                          ("last", .bool(n == items.count - 1)), ("length", .int(items.count)),
                                          ("revindex", .int(items.count - n)), ("revindex0", .int(items.count - n - 1))])
                    // a for loop's body sees the outer names; what it sets stays inside (Jinja's scoping)
                    scopes.append(scope)
                    defer { scopes.removeLast() }
                    try run(body, into: &out)
                }
            case .set(let target, let e, let offset):
                let value = try evaluate(e)
                if target.count == 1 { scopes[scopes.count - 1][target[0]] = value }
                else {
                    guard case .namespace(let ns) = lookup(target[0]) else {
                        throw fail("'\(target[0])' is not a namespace: only namespace attributes can be set", offset)
                    }
                    ns.attributes[target[1]] = value
                }
            }
        }
    }

    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .list(let l): return l
        case .dict(let d): return d.map { .string($0.key) }
        case .string(let s): return s.map { .string(String($0)) }
        case .undefined, .none: return []
        default: throw fail("\(value.repr) is not iterable", 0)
        }
    }

    func evaluate(_ e: JinjaExpr) throws -> JinjaValue {
        switch e {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items): return .list(try items.map(evaluate))
        case .dict(let items):
            return .dict(try items.map { k, v in (try evaluate(k).description, try evaluate(v)) })
        case .attribute(let base, let name, _):
            return member(try evaluate(base), name)
        case .index(let base, let index, let offset):
            return try subscriptValue(try evaluate(base), try evaluate(index), offset)
        case .slice(let base, let a, let b, let c, let offset):
            return try slice(try evaluate(base), try a.map(evaluate), try b.map(evaluate), try c.map(evaluate), offset)
        case .call(let callee, let args, let kwargs, let offset):
            return try call(callee, try args.map(evaluate), try kwargs.map { ($0.0, try evaluate($0.1)) }, offset)
        case .filter(let base, let name, let args, let kwargs, let offset):
            let named = try kwargs.map { ($0.0, try evaluate($0.1)) }
            if name == "tojson" { return .string(try tojson(try evaluate(base), options: named, offset: offset)) }
            if let first = named.first { throw fail("the filter '\(name)' takes no keyword argument '\(first.0)'", offset) }
            return try filter(try evaluate(base), name, try args.map(evaluate), offset)
        case .test(let base, let name, let negated, let offset):
            // the functions a template may call are defined names, as transformers' globals are
            if case .name(let function) = base, Self.functions.contains(function), { if case .undefined = lookup(function) { true } else { false } }(),
               name == "defined" || name == "undefined" {
                return .bool((name == "defined") != negated)
            }
            let result = try test(try evaluate(base), name, offset)
            return .bool(negated ? !result : result)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            if op == "not" { return .bool(!v.truthy) }
            switch v {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            default: throw fail("cannot negate \(v.repr)", 0)
            }
        case .binary(let op, let l, let r, let offset):
            if op == "and" { let a = try evaluate(l); return a.truthy ? try evaluate(r) : a }
            if op == "or" { let a = try evaluate(l); return a.truthy ? a : try evaluate(r) }
            return try binary(op, try evaluate(l), try evaluate(r), offset)
        case .conditional(let value, let condition, let otherwise):
            return try evaluate(condition).truthy ? try evaluate(value) : try otherwise.map(evaluate) ?? .undefined
        }
    }

    func member(_ base: JinjaValue, _ name: String) -> JinjaValue {
        switch base {
        case .dict(let d): return d.last { $0.key == name }?.value ?? .undefined
        case .namespace(let ns): return ns.attributes[name] ?? .undefined
        default: return .undefined       // methods are resolved by `call`
        }
    }

    func subscriptValue(_ base: JinjaValue, _ index: JinjaValue, _ offset: Int) throws -> JinjaValue {
        switch (base, index) {
        case (.list(let l), .int(let i)):
            let j = i < 0 ? l.count + i : i
            return j >= 0 && j < l.count ? l[j] : .undefined
        case (.string(let s), .int(let i)):
            let chars = Array(s), j = i < 0 ? chars.count + i : i
            return j >= 0 && j < chars.count ? .string(String(chars[j])) : .undefined
        case (.dict, .string(let key)): return member(base, key)
        case (.namespace, .string(let key)): return member(base, key)
        case (.undefined, _): return .undefined
        default: throw fail("cannot index \(base.repr) with \(index.repr)", offset)
        }
    }

    func slice(_ base: JinjaValue, _ a: JinjaValue?, _ b: JinjaValue?, _ c: JinjaValue?, _ offset: Int) throws -> JinjaValue {
        func int(_ v: JinjaValue?) throws -> Int? {
            switch v {
            case nil, .none?: return nil
            case .int(let i)?: return i
            default: throw fail("slice bounds must be integers", offset)
            }
        }
        let step = try int(c) ?? 1
        guard step != 0 else { throw fail("a slice step cannot be zero", offset) }
        func pick<T>(_ items: [T]) throws -> [T] {
            let n = items.count
            func clamp(_ v: Int?, _ fallback: Int) -> Int {
                guard var v else { return fallback }
                if v < 0 { v += n }
                return step > 0 ? Swift.min(Swift.max(v, 0), n) : Swift.min(Swift.max(v, -1), n - 1)
            }
            var out: [T] = []
            var i = clamp(try int(a), step > 0 ? 0 : n - 1)
            let stop = clamp(try int(b), step > 0 ? n : -1)
            while step > 0 ? i < stop : i > stop { out.append(items[i]); i += step }
            return out
        }
        switch base {
        case .list(let l): return .list(try pick(l))
        case .string(let s): return .string(String(try pick(Array(s))))
        default: throw fail("cannot slice \(base.repr)", offset)
        }
    }

    func call(_ callee: JinjaExpr, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)], _ offset: Int) throws -> JinjaValue {
        if case .name(let name) = callee {
            switch name {
            case "raise_exception": throw JinjaError(message: args.first?.description ?? "raise_exception", line: 0, column: 0)
            case "strftime_now":
                guard args.count == 1, case .string(let format) = args[0] else { throw fail("strftime_now takes one format string", offset) }
                return .string(try Self.strftime(format, now, offset: offset))
            case "namespace": return .namespace(JinjaNamespace(Dictionary(kwargs, uniquingKeysWith: { $1 })))
            case "range":
                let bounds = args.compactMap { if case .int(let i) = $0 { return i }; return nil }
                guard bounds.count == args.count, (1...2).contains(bounds.count) else { throw fail("range takes one or two integers", offset) }
                let (lo, hi) = bounds.count == 1 ? (0, bounds[0]) : (bounds[0], bounds[1])
                return .list(lo < hi ? (lo..<hi).map { .int($0) } : [])
            default: throw fail("unsupported function '\(name)'", offset)
            }
        }
        guard case .attribute(let baseExpr, let method, _) = callee else { throw fail("this cannot be called", offset) }
        let base = try evaluate(baseExpr)
        func stringArg(_ n: Int) throws -> String? {
            guard n < args.count else { return nil }
            guard case .string(let s) = args[n] else { throw fail("\(method) takes a string", offset) }
            return s
        }
        switch (base, method) {
        case (.string(let s), "strip"): return .string(try strip(s, try stringArg(0), leading: true, trailing: true))
        case (.string(let s), "lstrip"): return .string(try strip(s, try stringArg(0), leading: true, trailing: false))
        case (.string(let s), "rstrip"): return .string(try strip(s, try stringArg(0), leading: false, trailing: true))
        case (.string(let s), "startswith"): return .bool(s.hasPrefix(try stringArg(0) ?? ""))
        case (.string(let s), "endswith"): return .bool(s.hasSuffix(try stringArg(0) ?? ""))
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "title"): return .string(s.capitalized)
        case (.string(let s), "replace"):
            guard let a = try stringArg(0), let b = try stringArg(1) else { throw fail("replace takes two strings", offset) }
            return .string(s.replacingOccurrences(of: a, with: b))
        case (.string(let s), "split"):
            if let separator = try stringArg(0) {
                return .list(s.components(separatedBy: separator).map { .string($0) })
            }
            return .list(s.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
        case (.dict(let d), "items"): return .list(d.map { .list([.string($0.key), $0.value]) })
        case (.dict(let d), "keys"): return .list(d.map { .string($0.key) })
        case (.dict(let d), "values"): return .list(d.map(\.value))
        case (.dict, "get"):
            guard let key = try stringArg(0) else { throw fail("get takes a key", offset) }
            let v = member(base, key)
            if case .undefined = v { return args.count > 1 ? args[1] : .none }
            return v
        default: throw fail("unsupported method '\(method)' on \(base.repr)", offset)
        }
    }

    /// Python's str.strip family: whitespace, or any of `characters`.
    func strip(_ s: String, _ characters: String?, leading: Bool, trailing: Bool) throws -> String {
        let set: (Character) -> Bool = characters.map { chars in { chars.contains($0) } } ?? { $0.isWhitespace }
        var scalars = Substring(s)
        if leading { scalars = scalars.drop(while: set) }
        if trailing { while let last = scalars.last, set(last) { scalars = scalars.dropLast() } }
        return String(scalars)
    }

    func filter(_ value: JinjaValue, _ name: String, _ args: [JinjaValue], _ offset: Int) throws -> JinjaValue {
        switch name {
        case "trim": return .string(value.description.trimmingCharacters(in: .whitespacesAndNewlines))
        case "length", "count":
            switch value {
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .string(let s): return .int(s.count)
            case .undefined: return .int(0)
            default: throw fail("length of \(value.repr)", offset)
            }
        case "string": return .string(value.description)
        case "upper": return .string(value.description.uppercased())
        case "lower": return .string(value.description.lowercased())
        case "first": return try iterate(value).first ?? .undefined
        case "last": return try iterate(value).last ?? .undefined
        case "reverse":
            if case .string(let s) = value { return .string(String(s.reversed())) }
            return .list(try iterate(value).reversed())
        case "list": return .list(try iterate(value))
        case "items":
            guard case .dict(let d) = value else { throw fail("items of \(value.repr)", offset) }
            return .list(d.map { .list([.string($0.key), $0.value]) })
        case "join": return .string(try iterate(value).map(\.description).joined(separator: args.first?.description ?? ""))
        case "default":
            if case .undefined = value { return args.first ?? .string("") }
            return value
        default: throw fail("unsupported filter '\(name)'", offset)
        }
    }

    /// jinja2's tojson as transformers sets it up: json.dumps(ensure_ascii=False), keys in their order (strings by
    /// MnemoSupport's jsonQuoted, which writes what json.dumps writes); `indent=N` (or none) as json.dumps lays it out.
    /// Any other keyword is refused.
    func tojson(_ value: JinjaValue, options: [(String, JinjaValue)], offset: Int) throws -> String {
        var indent: Int? = nil
        for (key, option) in options {
            switch (key, option) {
            case ("indent", .int(let n)) where n >= 0: indent = n
            case ("indent", .none): indent = nil
            default: throw fail("tojson: unsupported argument \(key)=\(option.repr)", offset)
            }
        }
        return tojson(value, indent: indent, level: 0)
    }

    func tojson(_ value: JinjaValue, indent: Int? = nil, level: Int = 0) -> String {
        // json.dumps: ", " and ": " on one line; with an indent, each item on its own line and "," at its end
        func container(_ open: String, _ close: String, _ items: [String]) -> String {
            guard !items.isEmpty else { return open + close }
            guard let indent else { return open + items.joined(separator: ", ") + close }
            let inner = "\n" + String(repeating: " ", count: indent * (level + 1))
            return open + inner + items.joined(separator: "," + inner) + "\n" + String(repeating: " ", count: indent * level) + close
        }
        switch value {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return "\(i)"
        case .double(let d): return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)"
        case .string(let s): return jsonQuoted(s)
        case .list(let l): return container("[", "]", l.map { tojson($0, indent: indent, level: level + 1) })
        case .dict(let d): return container("{", "}", d.map { jsonQuoted($0.key) + ": " + tojson($0.value, indent: indent, level: level + 1) })
        case .namespace: return "null"
        }
    }

    func test(_ value: JinjaValue, _ name: String, _ offset: Int) throws -> Bool {
        switch name {
        case "defined": if case .undefined = value { return false }; return true
        case "undefined": if case .undefined = value { return true }; return false
        case "none": if case .none = value { return true }; return false
        case "string": if case .string = value { return true }; return false
        case "number": switch value { case .int, .double: return true; default: return false }
        case "integer": if case .int = value { return true }; return false
        case "mapping": if case .dict = value { return true }; return false
        case "sequence", "iterable": switch value { case .list, .string, .dict: return true; default: return false }
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        default: throw fail("unsupported test '\(name)'", offset)
        }
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue, _ offset: Int) throws -> JinjaValue {
        switch op {
        case "==": return .bool(equal(a, b))
        case "!=": return .bool(!equal(a, b))
        case "~": return .string(a.description + b.description)
        case "in":
            switch b {
            case .string(let s): return .bool(s.contains(a.description))
            case .list(let l): return .bool(l.contains { equal($0, a) })
            case .dict(let d): return .bool(d.contains { $0.key == a.description })
            case .undefined: return .bool(false)
            default: throw fail("'in' needs a string, list or mapping on its right", offset)
            }
        default: break
        }
        switch (a, b) {
        case (.string(let x), .string(let y)) where op == "+": return .string(x + y)
        case (.list(let x), .list(let y)) where op == "+": return .list(x + y)
        case (.string(let x), .string(let y)) where ["<", ">", "<=", ">="].contains(op):
            return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
        case (.int(let x), .int(let y)):
            switch op {
            case "+": return .int(x + y)
            case "-": return .int(x - y)
            case "*": return .int(x * y)
            case "//": guard y != 0 else { throw fail("division by zero", offset) }; return .int(Int((Double(x) / Double(y)).rounded(.down)))
            case "%": guard y != 0 else { throw fail("division by zero", offset) }; return .int(((x % y) + y) % y)
            case "/": guard y != 0 else { throw fail("division by zero", offset) }; return .double(Double(x) / Double(y))
            case "<": return .bool(x < y)
            case ">": return .bool(x > y)
            case "<=": return .bool(x <= y)
            case ">=": return .bool(x >= y)
            default: break
            }
        default: break
        }
        if let x = number(a), let y = number(b) {
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/": return .double(x / y)
            case "<": return .bool(x < y)
            case ">": return .bool(x > y)
            case "<=": return .bool(x <= y)
            case ">=": return .bool(x >= y)
            default: break
            }
        }
        throw fail("cannot apply '\(op)' to \(a.repr) and \(b.repr)", offset)
    }

    func number(_ v: JinjaValue) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default:
            if let x = number(a), let y = number(b) { return x == y }
            return false
        }
    }
}
