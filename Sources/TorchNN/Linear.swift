// Linear.swift — y = x Wᵀ + b (torch.nn.Linear), weight (out, in), PyTorch's default initialisation.
import Torch

public final class Linear: Module, UnaryLayer {
    public let weight: Tensor   // (out, in)
    public let bias: Tensor?    // (out)

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
                device: Device = .cpu, generator: Generator? = nil) {
        weight = Tensor.empty([outFeatures, inFeatures], dtype: dtype, device: device)
        // PyTorch: kaiming_uniform(a=√5) = U(-1/√in, 1/√in); bias U(-1/√in, 1/√in).
        Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
        if bias {
            let bound = 1 / Double(inFeatures).squareRoot()
            let b = Tensor.empty([outFeatures], dtype: dtype, device: device)
            b.uniform_(-bound, bound, generator: generator)
            self.bias = b.requiringGrad()
        } else {
            self.bias = nil
        }
        weight.requiresGrad = true
        super.init()
    }

    /// A layer over existing tensors — e.g. a language-model head tied to the token embedding.
    public init(weight: Tensor, bias: Tensor? = nil) {
        self.weight = weight
        self.bias = bias
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {  // (…, in) → (…, out)
        linear(x, weight: weight, bias: bias)
    }
}
