// Settings.swift — named, typed settings with one schema per configuration type: the keys a config file or
// `--set key=value` may use, their kinds, and how they read and write the typed struct. The trainer's settings and
// every model's settings are described this way, so each key exists once and unknown keys get "did you mean".
import Foundation

/// A setting's value as written in a config file.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int), double(Double), bool(Bool), string(String)

    /// The JSON/TOML-compatible value (for config.json).
    public var any: Any {
        switch self {
        case .int(let v): v
        case .double(let v): v
        case .bool(let v): v
        case .string(let v): v
        }
    }
    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .bool(let v): "\(v)"
        case .string(let v): v
        }
    }
}

/// A configuration error: what is wrong and how to fix it.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One key of a schema: its kind and how it reads and writes the typed configuration.
public struct SettingField<Config>: @unchecked Sendable {
    public enum Kind: Sendable { case int, double, bool, string }
    public let key: String
    public let kind: Kind
    let get: (Config) -> SettingValue
    let set: (inout Config, SettingValue) -> Void

    public static func int(_ key: String, _ path: WritableKeyPath<Config, Int>) -> SettingField {
        SettingField(key: key, kind: .int, get: { .int($0[keyPath: path]) }, set: { if case .int(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func double(_ key: String, _ path: WritableKeyPath<Config, Double>) -> SettingField {
        SettingField(key: key, kind: .double, get: { .double($0[keyPath: path]) }, set: { if case .double(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func bool(_ key: String, _ path: WritableKeyPath<Config, Bool>) -> SettingField {
        SettingField(key: key, kind: .bool, get: { .bool($0[keyPath: path]) }, set: { if case .bool(let v) = $1 { $0[keyPath: path] = v } })
    }
    public static func string(_ key: String, _ path: WritableKeyPath<Config, String>) -> SettingField {
        SettingField(key: key, kind: .string, get: { .string($0[keyPath: path]) }, set: { if case .string(let v) = $1 { $0[keyPath: path] = v } })
    }

    var kindName: String {
        switch kind {
        case .int: "an integer"
        case .double: "a number"
        case .bool: "true or false"
        case .string: "a string"
        }
    }

    /// Converts a parsed value (TOML/JSON: Int, Double, Bool, String) or a `--set` text to this key's kind;
    /// nil when it does not fit.
    func convert(_ value: Any) -> SettingValue? {
        if let text = value as? String, kind != .string {
            switch kind {
            case .int:
                if let v = Int(text) { return .int(v) }
                if let d = Double(text) { return convert(d) }
                return nil
            case .double: return Double(text).map { .double($0) }
            case .bool: return ["true": true, "false": false][text.lowercased()].map { .bool($0) }
            case .string: return nil
            }
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
            throw ConfigError("\(source): '\(key)' must be \(field.kindName), got \(value)")
        }
        field.set(&config, converted)
    }

    /// Every key with its value, in schema order.
    public func values(of config: Config) -> [(key: String, value: SettingValue)] {
        fields.map { ($0.key, $0.get(config)) }
    }
}

/// The "unknown setting" message with the nearest known keys.
public func unknownSettingMessage(_ key: String, source: String, known: [String]) -> String {
    let near = known.filter { $0.contains(key) || key.contains($0) || editDistance($0, key) <= 3 }
    return "\(source): unknown setting '\(key)'"
        + (near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?)")
        + "; known settings: \(known.joined(separator: ", "))"
}

func editDistance(_ a: String, _ b: String) -> Int {
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
