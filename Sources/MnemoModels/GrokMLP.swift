// GrokMLP.swift — the MLP of "Grokking at the Edge of Numerical Stability" (Prieto et al., ICLR 2025) for
// (a ∘ b) mod p: the one-hot encodings of a and b concatenated, 2p → 200 → 200 → p, ReLU, no biases, PyTorch's
// default init (U(−1/√in, 1/√in) per weight). Parameter names are the reference's nn.ModuleList:
// layers.0.weight (200, 2p), layers.1.weight (200, 200), layers.2.weight (p, 200); the last is the output layer.
import Torch
import TorchNN

/// The settings of `model = "grok_mlp"`: the vocabulary is p (the residues; 0 follows the tokenizer), `length` the
/// tokens it reads (2: the pair), `hidden` the widths of its hidden layers.
public struct GrokMLPConfig: ModelConfiguration, Equatable {
    public var vocabSize = 0
    public var length = 2
    public var hidden = [200, 200]

    public init() {}

    public static let schema = SettingsSchema<GrokMLPConfig>([
        .int("vocab_size", \.vocabSize), .int("length", \.length), .ints("hidden", \.hidden),
    ])
    public static let defaults = GrokMLPConfig()
    public static var tiny: GrokMLPConfig {
        var c = GrokMLPConfig()
        c.hidden = [16, 16]
        return c
    }
    public var contextLength: Int { length }
    public static let contextLengthKey = "length"

    public func problems() -> [String] {
        var out: [String] = []
        for (name, v) in [("vocab_size", vocabSize), ("length", length)] where v <= 0 { out.append("\(name) must be positive, got \(v)") }
        if hidden.isEmpty || hidden.contains(where: { $0 <= 0 }) { out.append("hidden must be one or more positive widths, got \(hidden)") }
        if vocabSize > 0 && length > 0 && vocabSize.multipliedReportingOverflow(by: length).overflow { out.append("vocab_size × length is too large") }
        return out
    }
}

public final class GrokMLP: Module, UnaryLayer {
    public let layers: [Linear]

    /// - inputs: 2p for one-hot pairs; hidden: the hidden widths ([200, 200] in the paper); outputs: p.
    /// - generator: draws the initial weights (nil: the global generator).
    public convenience init(_ config: GrokMLPConfig) {
        self.init(inputs: config.length * config.vocabSize, hidden: config.hidden, outputs: config.vocabSize)
    }

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
    /// one-hot encoding is done here. A shorter context (generation's first steps) is padded on the left with token 0.
    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        let p = outputLayer.weight.size(0)
        var idx = idx
        if idx.size(1) < contextLength {
            let pad = Tensor.zeros([idx.size(0), contextLength - idx.size(1)], dtype: .int64, device: idx.device)
            idx = cat([pad, idx], dim: 1)
        }
        let oneHot = idx.oneHot(numClasses: p).float().reshape([idx.size(0), -1])   // (N, 2p)
        return ModelOutput(logits: self(oneHot).unsqueeze(1))                       // (N, 1, p)
    }
    public var contextLength: Int { layers[0].weight.size(1) / outputLayer.weight.size(0) }
    public var outputWeight: Tensor? { outputLayer.weight }
}
