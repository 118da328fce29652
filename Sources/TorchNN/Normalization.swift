// Normalization.swift — LayerNorm (affine on/off, bias on/off) and RMSNorm, as torch.nn's.
import Torch

public final class LayerNorm: Module, UnaryLayer {
    public let weight: Tensor?  // (dim), ones
    public let bias: Tensor?    // (dim), zeros
    public let dim: Int
    public let eps: Double

    /// `affine: false` has no parameters at all; `bias: false` keeps only the weight (nanoGPT's bias=False).
    public init(_ dim: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true, dtype: DType = .float32,
                device: Device = .cpu) {
        self.dim = dim
        self.eps = eps
        weight = affine ? Tensor.ones([dim], dtype: dtype, device: device).requiringGrad() : nil
        self.bias = affine && bias ? Tensor.zeros([dim], dtype: dtype, device: device).requiringGrad() : nil
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {  // (…, dim)
        layerNorm(x, normalizedShape: [dim], weight: weight, bias: bias, eps: eps)
    }
}

public final class RMSNorm: Module, UnaryLayer {
    public let weight: Tensor  // (dim), ones
    public let dim: Int
    public let eps: Double?
    /// Normalise in float32 and cast back before scaling (Llama's and MiniMind's `weight · norm(x.float()).type_as(x)`),
    /// so a bfloat16 input keeps float32 accuracy in the statistics.
    public let upcast: Bool

    /// eps nil uses the dtype's machine epsilon, as torch.nn.RMSNorm.
    public init(_ dim: Int, eps: Double? = nil, upcast: Bool = false, dtype: DType = .float32, device: Device = .cpu) {
        self.dim = dim
        self.eps = eps
        self.upcast = upcast
        weight = Tensor.ones([dim], dtype: dtype, device: device).requiringGrad()
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {  // (…, dim)
        guard upcast else { return rmsNorm(x, normalizedShape: [dim], weight: weight, eps: eps) }
        return weight * rmsNorm(x.float(), normalizedShape: [dim], eps: eps).to(x.dtype)
    }
}
