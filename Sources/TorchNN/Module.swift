// Module.swift — the base of every layer and model: a tree of named parameters, buffers and child modules.
//
// Parameters and children are found by reflection over stored properties, in declaration order, so a model
// reads like its PyTorch original and its dotted names equal PyTorch's state_dict keys:
//
//     final class Block: Module {
//         @ModuleInfo(key: "c_attn") var qkv: Linear   // checkpoint key differs from the Swift name
//         let ln_1: LayerNorm                           // key = property name
//         let h: [Block]                                // keys h.0, h.1, …
//         @Buffer(persistent: false) var mask: Tensor   // a buffer, left out of stateDict
//     }
//
// A stored `Tensor` (or `Tensor?` holding one) is a parameter; `Module`, `Module?` and `[Module]` are
// children; `[Tensor]` gives parameters `name.0`, `name.1`…; anything else is ignored. A list under the
// empty key (`@ModuleInfo(key: "")`) is numbered without a prefix, as torch.nn.Sequential's "0.weight".
import Torch

open class Module {
    public private(set) var training = true

    public init() {}

    // MARK: reflection

    /// The direct entries of this module, in declaration order (superclass properties first).
    private func entries() -> [(String, Any)] {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let mirror = m, mirror.subjectType != Module.self {
            mirrors.append(mirror)
            m = mirror.superclassMirror
        }
        var out: [(String, Any)] = []
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard let label = child.label else { continue }
                out.append((label, child.value))
            }
        }
        return out
    }

    private enum Entry {
        case parameter(String, Tensor)
        case buffer(String, Tensor, persistent: Bool)
        case child(String, Module)
    }

    private func classified() -> [Entry] {
        var result: [Entry] = []
        for (label, value) in entries() {
            if let info = value as? any ModuleInfoProtocol {
                classify(info.key ?? String(label.dropFirst()), info.anyValue, into: &result)
            } else if let buffer = value as? Buffer {
                result.append(.buffer(buffer.key ?? String(label.dropFirst()), buffer.wrappedValue,
                                      persistent: buffer.persistent))
            } else {
                classify(label, value, into: &result)
            }
        }
        return result
    }

    private func classify(_ name: String, _ value: Any, into result: inout [Entry]) {
        if let t = value as? Tensor {
            result.append(.parameter(name, t))
        } else if let m = value as? Module {
            result.append(.child(name, m))
        } else if let ms = value as? [Module] {
            for (i, m) in ms.enumerated() { result.append(.child(name.isEmpty ? "\(i)" : "\(name).\(i)", m)) }
        } else if let ts = value as? [Tensor] {
            for (i, t) in ts.enumerated() { result.append(.parameter(name.isEmpty ? "\(i)" : "\(name).\(i)", t)) }
        }
    }

    /// Direct children with their names.
    public func children() -> [(name: String, module: Module)] {
        classified().compactMap { if case .child(let n, let m) = $0 { return (n, m) }; return nil }
    }

    /// This module and every descendant, with dotted names ("" for self).
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for (name, child) in children() {
            out += child.namedModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return out
    }

    /// Every parameter with its dotted name, as PyTorch's named_parameters() (a tensor shared by two
    /// places, e.g. tied weights, is listed once, under its first name).
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var out: [(String, Tensor)] = []
        collect(prefix: "", parameters: true) { name, t in
            if seen.insert(ObjectIdentifier(t)).inserted { out.append((name, t)) }
        }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Buffers with dotted names; `persistentOnly` keeps those that belong in a state dict.
    public func namedBuffers(persistentOnly: Bool = false) -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        for entry in classified() {
            switch entry {
            case .buffer(let n, let t, let persistent) where persistent || !persistentOnly: out.append((n, t))
            case .child(let n, let m):
                out += m.namedBuffers(persistentOnly: persistentOnly).map { ("\(n).\($0.name)", $0.tensor) }
            default: break
            }
        }
        return out
    }

    private func collect(prefix: String, parameters: Bool, _ visit: (String, Tensor) -> Void) {
        for entry in classified() {
            switch entry {
            case .parameter(let n, let t): visit(prefix + n, t)
            case .child(let n, let m): m.collect(prefix: prefix + n + ".", parameters: parameters, visit)
            case .buffer: break
            }
        }
    }

    /// Number of parameter elements (tied tensors counted once).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: modes

    /// Sets training mode on this module and every descendant (dropout is active only in training).
    open func train(_ on: Bool = true) {
        for (_, m) in namedModules() { m.training = on }
    }
    public func eval() { train(false) }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// Turns gradient tracking of every parameter on or off (freezing).
    public func requiresGrad(_ on: Bool) {
        for p in parameters() { p.requiresGrad = on }
    }

    /// Moves / converts every parameter and buffer in place; tensors keep their identity.
    public func to(_ device: Device, dtype: DType? = nil) {
        withNoGrad {
            for t in parameters() + namedBuffers().map(\.tensor) {
                let target = (dtype != nil && t.dtype.isFloatingPoint) ? dtype! : t.dtype
                t.setData(t.to(device, target))
            }
        }
    }

    // MARK: state dict

    /// Parameters and persistent buffers by dotted name, as PyTorch's state_dict() (tied weights appear under
    /// every name, as in PyTorch). The tensors share storage with the model.
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        collect(prefix: "", parameters: true) { name, t in out[name] = t.detached() }
        for (name, t) in namedBuffers(persistentOnly: true) { out[name] = t.detached() }
        return out
    }

    /// Copies values from `stateDict` into this module's tensors (converting dtype/device as needed).
    /// Strict loading requires exactly the module's keys; shapes must always agree. Nothing is modified when
    /// an error is thrown.
    @discardableResult
    public func load(stateDict given: [String: Tensor], strict: Bool = true) throws -> StateDictReport {
        let own = self.stateDict()
        let missing = own.keys.filter { given[$0] == nil }.sorted()
        let unexpected = given.keys.filter { own[$0] == nil }.sorted()
        let wrongShape = own.keys.sorted().compactMap { key -> StateDictReport.ShapeMismatch? in
            guard let given = given[key], given.shape != own[key]!.shape else { return nil }
            return .init(key: key, expected: own[key]!.shape, found: given.shape)
        }
        let report = StateDictReport(missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        if !wrongShape.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) { throw report }
        withNoGrad {
            for (key, target) in own {
                if let source = given[key] { target.copy_(source) }
            }
        }
        return report
    }
}

/// What `load(stateDict:)` found; thrown as the error when loading cannot proceed.
public struct StateDictReport: Error, CustomStringConvertible, Sendable {
    public struct ShapeMismatch: Sendable {
        public let key: String
        public let expected: [Int]
        public let found: [Int]
    }
    public let missing: [String]
    public let unexpected: [String]
    public let wrongShape: [ShapeMismatch]

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        for m in wrongShape { parts.append("\(m.key): expected shape \(m.expected), found \(m.found)") }
        return parts.isEmpty ? "state dict matches" : "state dict does not match the module — " + parts.joined(separator: "; ")
    }
}

/// Something with a forward pass from one tensor to one tensor.
public protocol UnaryLayer {
    func callAsFunction(_ x: Tensor) -> Tensor
}
