// GrokMLP.swift — the MLP of "Grokking at the Edge of Numerical Stability" (Prieto et al., ICLR 2025) for
// (a ∘ b) mod p: the one-hot encodings of a and b concatenated, 2p → 200 → 200 → p, ReLU, no biases, PyTorch's
// default init (U(−1/√in, 1/√in) per weight). Parameter names are the reference's nn.ModuleList:
// layers.0.weight (200, 2p), layers.1.weight (200, 200), layers.2.weight (p, 200); the last is the output layer.
import Torch
import TorchNN

public final class GrokMLP: Module, UnaryLayer {
    public let layers: [Linear]

    /// - inputs: 2p for one-hot pairs; hidden: the hidden widths ([200, 200] in the paper); outputs: p.
    /// - generator: draws the initial weights (nil: the global generator).
    public init(inputs: Int = 226, hidden: [Int] = [200, 200], outputs: Int = 113, generator: Generator? = nil) {
        let sizes = [inputs] + hidden + [outputs]
        layers = (0..<(sizes.count - 1)).map { Linear(sizes[$0], sizes[$0 + 1], bias: false, generator: generator) }
        super.init()
    }

    /// The layer whose weights turn features into logits.
    public var outputLayer: Linear { layers[layers.count - 1] }

    public func callAsFunction(_ x: Tensor) -> Tensor {  // (N, 2p) one-hot pairs → (N, p) logits
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.relu() }
        }
        return h
    }
}

extension GrokMLP: LanguageModel {
    /// As a language model: tokens (N, 2) = (a, b) → the answer's logits at the last position, (N, 1, p). The
    /// one-hot encoding is done here (the study feeds one-hot pairs to `callAsFunction` directly).
    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        let p = outputLayer.weight.size(0)
        let oneHot = idx.oneHot(numClasses: p).float().reshape([idx.size(0), -1])   // (N, 2p)
        return ModelOutput(logits: self(oneHot).unsqueeze(1))                       // (N, 1, p)
    }
    public var contextLength: Int { layers[0].weight.size(1) / outputLayer.weight.size(0) }
    public var outputWeight: Tensor? { outputLayer.weight }
}
