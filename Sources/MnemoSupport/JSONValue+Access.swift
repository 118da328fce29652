// JSONValue+Access.swift — typed reading of a parsed JSON value, so that a reader says what it expects in one line:
// `json["model"]?["vocab"]?.object`, `step["content"]?.string`, `config["hidden_size"]?.int`.
//
// Every accessor answers nil for a value of another kind (never a conversion a JSON reader would not make: a string
// is no number, a number no boolean), and the reader turns that nil into its own message naming the key.

extension JSONValue {
    /// The value of `key` when this is an object: the last member with that key (Python's json module and
    /// Foundation's JSONSerialization both keep the last of duplicate keys); nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The members of an object, in file order (duplicate keys included); nil for anything else.
    public var object: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array; nil for anything else.
    public var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The text of a string; nil for anything else.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of a boolean; nil for anything else (a number is no boolean).
    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// A whole number: integer syntax that fits in Int, or a number in other syntax whose value is whole and
    /// exactly representable (below 2^53 in magnitude: `768.0`, `1e3`), as Python's `int(x) == x` and Foundation's
    /// NSNumber accept it. Nil for a fraction, NaN, ±infinity, a larger number, or anything that is not a number.
    public var int: Int? {
        switch self {
        case .integer(let n): return n
        case .number:
            guard let value = double, value == value.rounded(), Swift.abs(value) < 9_007_199_254_740_992 else { return nil }
            return Int(value)
        default: return nil
        }
    }

    /// Whether this is JSON null.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
