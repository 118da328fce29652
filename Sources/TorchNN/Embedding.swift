// Embedding.swift — a lookup table of `count` vectors (torch.nn.Embedding), initialised N(0, 1).
import Torch

public final class Embedding: Module {
    public let weight: Tensor   // (count, dim)

    public init(_ count: Int, _ dim: Int, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        weight = Tensor.randn([count, dim], dtype: dtype, device: device, generator: generator).requiringGrad()
        super.init()
    }

    /// An embedding over an existing matrix (count, dim) — e.g. a language model's head, for tied weights.
    public init(weight: Tensor) {
        self.weight = weight
        super.init()
    }

    public func callAsFunction(_ indices: Tensor) -> Tensor {  // (…) int64 → (…, dim)
        embedding(indices, weight: weight)
    }
}
