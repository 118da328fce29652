// Linear.swift — y = x Wᵀ + b (torch.nn.Linear), weight (out, in), PyTorch's default initialisation; optionally
// with a LoRA adapter (peft's LoraLayer): y = x Wᵀ + b + scale · B(A(dropout(x))), A (r, in) initialised as a Linear,
// B (out, r) zero, scale = α / r. The adapter's parameters are named lora_A.weight and lora_B.weight under the layer,
// as peft saves them; `mergeLoRA` folds B·A·scale into W.
import Torch

public final class Linear: Module, UnaryLayer {
    public let weight: Tensor   // (out, in)
    public let bias: Tensor?    // (out)
    /// The LoRA adapter, when one is attached: A (r, in) and B (out, r), no biases.
    public private(set) var lora_A: Linear? = nil
    public private(set) var lora_B: Linear? = nil
    /// α / r of the attached adapter.
    public private(set) var loraScale = 0.0
    /// Dropout on the adapter's input (training only).
    public private(set) var loraDropout = 0.0

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
        let y = linear(x, weight: weight, bias: bias)
        guard let lora_A, let lora_B else { return y }
        let input = loraDropout > 0 ? dropout(x, p: loraDropout, training: training) : x
        return y + lora_B(lora_A(input)) * loraScale
    }

    public var inFeatures: Int { weight.size(1) }
    public var outFeatures: Int { weight.size(0) }

    /// Attaches a LoRA adapter of rank `rank` (peft's init: A as a Linear's weight, B zero); the layer's own weight
    /// and bias are left as they are (freezing them is the caller's choice).
    public func attachLoRA(rank: Int, alpha: Double, dropout: Double = 0, generator: Generator? = nil) {
        precondition(rank > 0, "LoRA rank must be positive")
        let a = Linear(inFeatures, rank, bias: false, dtype: weight.dtype, device: weight.device, generator: generator)
        let b = Linear(rank, outFeatures, bias: false, dtype: weight.dtype, device: weight.device, generator: generator)
        withNoGrad { b.weight.zero_() }
        (lora_A, lora_B, loraScale, loraDropout) = (a, b, alpha / Double(rank), dropout)
        if !training { a.eval(); b.eval() }
    }

    /// Folds the adapter into the weight (W ← W + scale · B A) and removes it.
    public func mergeLoRA() {
        guard let lora_A, let lora_B else { return }
        withNoGrad { weight.copy_(weight + lora_B.weight.matmul(lora_A.weight) * loraScale) }
        (self.lora_A, self.lora_B) = (nil, nil)
    }
}
