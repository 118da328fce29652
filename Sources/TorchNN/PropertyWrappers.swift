// PropertyWrappers.swift — checkpoint keys that differ from Swift names, and buffers.
import Torch

protocol ModuleInfoProtocol {
    var key: String? { get }
    var anyValue: Any { get }
}

/// Gives a child module or parameter a state-dict key different from its Swift name:
/// `@ModuleInfo(key: "c_attn") var qkv: Linear`.
@propertyWrapper
public final class ModuleInfo<Value>: ModuleInfoProtocol {
    public var wrappedValue: Value
    public let key: String?
    public init(wrappedValue: Value, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }
    var anyValue: Any { wrappedValue }
}

/// A parameter under an explicit key: `@ParameterInfo(key: "weight") var w: Tensor`.
public typealias ParameterInfo = ModuleInfo<Tensor>

/// A tensor that belongs to the module but is not trained (running statistics, masks, RoPE tables).
/// Persistent buffers are saved in the state dict; non-persistent ones are not (PyTorch's register_buffer).
@propertyWrapper
public final class Buffer {
    public var wrappedValue: Tensor
    public let persistent: Bool
    public let key: String?
    public init(wrappedValue: Tensor, persistent: Bool = true, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.persistent = persistent
        self.key = key
    }
}
