// Layers.swift — small parameter-free layers and a container: Dropout, activations, Sequential.
import Torch

public final class Dropout: Module, UnaryLayer {
    public let p: Double
    public init(_ p: Double = 0.5) {
        precondition((0..<1).contains(p), "Dropout probability must be in [0, 1), got \(p)")
        self.p = p
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { dropout(x, p: p, training: training) }
}

public final class GELU: Module, UnaryLayer {
    public let approximate: Bool
    public init(approximate: Bool = false) { self.approximate = approximate; super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
}

public final class ReLU: Module, UnaryLayer {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

public final class SiLU: Module, UnaryLayer {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.silu() }
}

/// Layers applied in order; state-dict keys are "0.weight", "1.weight"… as torch.nn.Sequential.
public final class Sequential: Module, UnaryLayer {
    @ModuleInfo public var layers: [Module]
    public init(_ layers: [Module]) {
        precondition(layers.allSatisfy { $0 is UnaryLayer }, "Sequential takes layers with callAsFunction(Tensor)")
        _layers = ModuleInfo(wrappedValue: layers, key: "")
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { ($1 as! UnaryLayer)($0) }
    }
}
