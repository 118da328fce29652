// Settings.swift — named, typed settings with one schema per configuration type: the keys a config file or
// `--set key=value` may use, their kinds, and how they read and write the typed struct. The trainer's settings and
// every model's settings are described this way, so each key exists once and unknown keys get "did you mean".
//
// Kinds: integers, numbers, booleans, strings, choices (a String-backed enum, parsed once when the setting is read:
// an unknown choice is refused with the list of choices) and lists of strings or integers (a TOML/JSON array, or the
// comma-separated text `"0,2"` / `--set key=0,2`). A `--set` value may be written as in the config file: `"text"` and
// `'text'` are TOML strings (the quotes are not part of the value) and `[0, 2]` is an array.
import Foundation

/// A setting's value as written in a config file.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String), strings([String]), ints([Int])

    /// The JSON/TOML-compatible value (for config.json).
    public var any: Any {
        switch self {
        case .int(let v): v
        case .double(let v): v
        case .bool(let v): v
        case .string(let v): v
        case .strings(let v): v
        case .ints(let v): v
        }
    }
    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .bool(let v): "\(v)"
        case .string(let v): v
        case .strings(let v): v.joined(separator: ",")
        case .ints(let v): v.map(String.init).joined(separator: ",")
        }
    }
}

/// Text given on the command line (`--set key=value`): converted by the key's kind, where a config file's value
/// arrives already typed.
public struct CommandLineText: Sendable, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }

    /// The text without the quotes of a TOML string ("…" with \" and \\ escapes, or '…' taken literally); nil when
    /// it is not quoted.
    public var unquoted: String? {
        guard text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" else { return nil }
        let inner = String(text.dropFirst().dropLast())
        guard first == "\"" else { return inner }
        var out = "", escaped = false
        for c in inner {
            if escaped { out.append(c == "n" ? "\n" : c == "t" ? "\t" : c); escaped = false }
            else if c == "\\" { escaped = true }
            else { out.append(c) }
        }
        return out
    }

    /// The items of a list: `[a, "b", 3]` or `a,b,3` (each item unquoted and trimmed, empty items dropped).
    var items: [String] {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("[") && body.hasSuffix("]") { body = String(body.dropFirst().dropLast()) }
        return body.split(separator: ",").map { CommandLineText(String($0).trimmingCharacters(in: .whitespaces)) }
            .map { $0.unquoted ?? $0.text }.filter { !$0.isEmpty }
    }
}

/// A configuration error: what is wrong and how to fix it.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The values a numeric setting may take, declared with its key and checked by `SettingsSchema.problems(of:)` with a
/// message that says what to fix (every number is checked before any work starts).
public struct SettingRange: Sendable {
    enum Lower: Sendable { case any, zero, aboveZero }
    var lower = Lower.any
    /// An exclusive upper bound ([0, 1) for β, fractions).
    var below: Double? = nil
    /// An inclusive upper bound for integers that can only be typos beyond it.
    var atMost: Int? = nil
    /// What 0 means, said in the message (ema_decay: "0: no EMA").
    var zeroMeans: String? = nil

    /// Integers > 0; numbers finite and > 0.
    public static let positive = SettingRange(lower: .aboveZero)
    /// Integers ≥ 0; numbers finite and ≥ 0.
    public static let nonNegative = SettingRange(lower: .zero)
    /// Numbers in [0, 1).
    public static let fraction = SettingRange(lower: .zero, below: 1)
    /// Any finite number.
    public static let finite = SettingRange()

    /// The same range, and at most `limit`.
    public func atMost(_ limit: Int) -> SettingRange { var r = self; r.atMost = limit; return r }
    /// The same range, its message saying what 0 means.
    public func zero(means text: String) -> SettingRange { var r = self; r.zeroMeans = text; return r }

    /// The message for `value` of `key` outside the range; nil when it is inside.
    func problem(_ key: String, _ value: SettingValue) -> String? {
        switch value {
        case .int(let v):
            if lower == .aboveZero && v <= 0 { return "\(key) must be positive, got \(v)" }
            if lower == .zero && v < 0 { return "\(key) must be 0 or more, got \(v)" }
            if let atMost, v > atMost { return "\(key) must be at most \(atMost), got \(v)" }
        case .double(let v):
            let note = zeroMeans.map { " (0: \($0))" } ?? ""
            if let below {
                if !(v >= 0 && v < below) { return "\(key) must be in [0, \(below == 1 ? "1" : "\(below)"))\(note), got \(v)" }
            } else if lower == .aboveZero && !(v.isFinite && v > 0) {
                return "\(key) must be a finite number > 0, got \(v)"
            } else if lower == .zero && !(v.isFinite && v >= 0) {
                return "\(key) must be a finite number ≥ 0, got \(v)"
            } else if !v.isFinite {
                return "\(key) must be a finite number, got \(v)"
            }
        default: break
        }
        return nil
    }
}

/// One key of a schema: its kind and how it reads and writes the typed configuration.
public struct SettingField<Config>: @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        case int, double, bool, string, choice([String]), strings, ints
        /// A value parsed from its text (a device: "cpu", "cuda:1"); the string says what the text may be.
        case parsed(String)
    }
    public let key: String
    public let kind: Kind
    /// The values it may take (numbers only; nil: any).
    public var range: SettingRange? = nil
    /// A resumed run may not change it: it changes what the run's checkpoint means (its data, loss, seed, …).
    public var frozenOnResume = false
    let get: (Config) -> SettingValue
    let set: (inout Config, SettingValue) -> Void
    /// For a parsed kind: whether a text parses.
    let accepts: (String) -> Bool

    init(key: String, kind: Kind, range: SettingRange? = nil, get: @escaping (Config) -> SettingValue,
         set: @escaping (inout Config, SettingValue) -> Void, accepts: @escaping (String) -> Bool = { _ in true }) {
        self.key = key
        self.kind = kind
        self.range = range
        self.get = get
        self.set = set
        self.accepts = accepts
    }

    /// A value parsed once, when the setting is read (`parse` nil: refused, with `expected` in the message), written
    /// back as `text`.
    public static func parsed<T>(_ key: String, _ path: WritableKeyPath<Config, T>, expected: String,
                                 parse: @escaping @Sendable (String) -> T?, text: @escaping @Sendable (T) -> String) -> SettingField {
        SettingField(key: key, kind: .parsed(expected), get: { .string(text($0[keyPath: path])) },
                     set: { if case .string(let v) = $1, let value = parse(v) { $0[keyPath: path] = value } },
                     accepts: { parse($0) != nil })
    }

    public static func int(_ key: String, _ path: WritableKeyPath<Config, Int>, _ range: SettingRange? = nil) -> SettingField {
        SettingField(key: key, kind: .int, range: range, get: { .int($0[keyPath: path]) },
                     set: { if case .int(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func double(_ key: String, _ path: WritableKeyPath<Config, Double>, _ range: SettingRange? = nil) -> SettingField {
        SettingField(key: key, kind: .double, range: range, get: { .double($0[keyPath: path]) },
                     set: { if case .double(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func bool(_ key: String, _ path: WritableKeyPath<Config, Bool>) -> SettingField {
        SettingField(key: key, kind: .bool, get: { .bool($0[keyPath: path]) }, set: { if case .bool(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func string(_ key: String, _ path: WritableKeyPath<Config, String>) -> SettingField {
        SettingField(key: key, kind: .string, get: { .string($0[keyPath: path]) }, set: { if case .string(let v) = $1 { $0[keyPath: path] = v } })
    }
    /// A String-backed enum: the value must be one of its raw values.
    public static func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<Config, E>) -> SettingField
        where E.RawValue == String {
        SettingField(key: key, kind: .choice(E.allCases.map(\.rawValue)), get: { .string($0[keyPath: path].rawValue) },
                     set: { if case .string(let v) = $1, let e = E(rawValue: v) { $0[keyPath: path] = e } })
    }
    /// The same field, frozen on resume.
    public var frozen: SettingField {
        var field = self
        field.frozenOnResume = true
        return field
    }

    public static func strings(_ key: String, _ path: WritableKeyPath<Config, [String]>) -> SettingField {
        SettingField(key: key, kind: .strings, get: { .strings($0[keyPath: path]) }, set: { if case .strings(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func ints(_ key: String, _ path: WritableKeyPath<Config, [Int]>) -> SettingField {
        SettingField(key: key, kind: .ints, get: { .ints($0[keyPath: path]) }, set: { if case .ints(let v) = $1 { $0[keyPath: path] = v } })
    }

    var kindName: String {
        switch kind {
        case .int: "an integer"
        case .double: "a number"
        case .bool: "true or false"
        case .string: "a string"
        case .choice(let choices): "one of " + choices.joined(separator: ", ")
        case .strings: "a list of strings (an array, or \"a,b\")"
        case .ints: "a list of integers (an array, or \"0,2\")"
        case .parsed(let expected): expected
        }
    }

    /// Converts a parsed value (TOML/JSON: Int, Double, Bool, String, arrays of them) or a `--set` text to this key's
    /// kind; nil when it does not fit.
    func convert(_ value: Any) -> SettingValue? {
        if let given = value as? CommandLineText {
            if let quoted = given.unquoted { return convert(quoted) }
            switch kind {
            case .strings, .ints: return convert(given.items)
            default: return convert(given.text)
            }
        }
        if let text = value as? String, [.int, .double, .bool].contains(kind) {
            switch kind {
            case .int:
                if let v = Int(text) { return .int(v) }
                if let d = Double(text) { return convert(d) }
                return nil
            case .double: return Double(text).map { .double($0) }
            case .bool: return ["true": true, "false": false][text.lowercased()].map { .bool($0) }
            default: return nil
            }
        }
        switch kind {
        case .choice(let choices):
            guard let v = value as? String, choices.contains(v) else { return nil }
            return .string(v)
        case .parsed:
            guard let v = value as? String, accepts(v) else { return nil }
            return .string(v)
        case .strings:
            if let text = value as? String { return .strings(CommandLineText(text).items) }
            guard let items = value as? [Any] else { return nil }
            let strings = items.compactMap { $0 as? String }
            return strings.count == items.count ? .strings(strings) : nil
        case .ints:
            if let text = value as? String {
                let items = CommandLineText(text).items, ints = items.compactMap { Int($0) }
                return ints.count == items.count ? .ints(ints) : nil
            }
            if let v = value as? Int { return .ints([v]) }
            guard let items = value as? [Any] else { return nil }
            let ints = items.compactMap { item -> Int? in
                if let v = item as? Int { return v }
                if let s = item as? String { return Int(s) }
                return nil
            }
            return ints.count == items.count ? .ints(ints) : nil
        default: break
        }
        switch kind {
        case .int:
            if let v = value as? Int { return .int(v) }
            if let v = value as? Double, v == v.rounded(), Swift.abs(v) < 9e15 { return .int(Int(v)) }
            return nil
        case .double:
            if let v = value as? Double { return .double(v) }
            if let v = value as? Int { return .double(Double(v)) }
            return nil
        case .bool: return (value as? Bool).map { .bool($0) }
        case .string: return (value as? String).map { .string($0) }
        default: return nil
        }
    }
}

/// The keys of one configuration type.
public struct SettingsSchema<Config>: @unchecked Sendable {
    public let fields: [SettingField<Config>]
    public init(_ fields: [SettingField<Config>]) { self.fields = fields }

    public var keys: [String] { fields.map(\.key) }
    public func field(_ key: String) -> SettingField<Config>? { fields.first { $0.key == key } }

    /// Sets `key` from a parsed value or `--set` text, checking its kind; `source` names where it came from.
    public func set(_ key: String, _ value: Any, on config: inout Config, source: String) throws {
        guard let field = field(key) else { throw ConfigError("\(source): unknown setting '\(key)'") }
        guard let converted = field.convert(value) else {
            throw ConfigError("\(source): '\(key)' must be \(field.kindName), got \(describe(value))")
        }
        field.set(&config, converted)
    }

    /// The values outside their declared ranges, as messages, in schema order.
    public func problems(of config: Config) -> [String] {
        fields.compactMap { field in field.range.flatMap { $0.problem(field.key, field.get(config)) } }
    }

    /// Every key with its value, in schema order.
    public func values(of config: Config) -> [(key: String, value: SettingValue)] {
        fields.map { ($0.key, $0.get(config)) }
    }
}

/// A given value as a message shows it.
func describe(_ value: Any) -> String {
    if let items = value as? [Any] { return "[" + items.map(describe).joined(separator: ", ") + "]" }
    return "\(value)"
}

/// The "unknown setting" message with the nearest known keys.
public func unknownSettingMessage(_ key: String, source: String, known: [String]) -> String {
    let near = known.filter { $0.contains(key) || key.contains($0) || editDistance($0, key) <= 3 }
    return "\(source): unknown setting '\(key)'"
        + (near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?)")
        + "; known settings: \(known.joined(separator: ", "))"
}

public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...b.count {
            let current = row[j]
            row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}
