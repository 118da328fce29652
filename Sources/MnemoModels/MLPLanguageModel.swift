// MLPLanguageModel.swift — the neural probabilistic language model of Bengio et al. (2003), the first "MLP LM":
// each position sees the embeddings of its last `context` tokens, concatenated, through one tanh hidden layer to
// the logits. Small and fast; it is also Mnemo's example of a model with an auxiliary loss and a metric of its
// own: PaLM's z-loss (z_loss · mean(logsumexp(logits)²), which keeps the softmax normaliser near 1) and the
// fraction of saturated tanh units.
import Torch
import TorchNN

public struct MLPLanguageModelConfig: Sendable, Equatable {
    public var blockSize = 32       // the trainer's window; each position still sees only `context` tokens
    public var vocabSize = 0        // 0: the tokenizer's
    public var context = 3          // previous tokens each prediction reads (Bengio's n − 1)
    public var nEmbd = 32           // embedding width per token
    public var nHidden = 128        // tanh units
    public var zLoss = 1e-4         // weight of the z-loss (0: none)

    public init() {}

    public func problems() -> [String] {
        var out: [String] = []
        for (name, v) in [("block_size", blockSize), ("context", context), ("n_embd", nEmbd), ("n_hidden", nHidden)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        if vocabSize < 0 { out.append("vocab_size must be positive (or 0 to follow the tokenizer), got \(vocabSize)") }
        if !(zLoss >= 0 && zLoss.isFinite) { out.append("z_loss must be a finite number ≥ 0, got \(zLoss)") }
        let (v, e, n, h) = (Double(vocabSize), Double(nEmbd), Double(context), Double(nHidden))
        if out.isEmpty && v * e + n * e * h + h * v > 1e11 { out.append("the model is too large; lower vocab_size, n_embd, context or n_hidden") }
        return out
    }
}

extension MLPLanguageModelConfig: ModelConfiguration {
    public static let schema = SettingsSchema<MLPLanguageModelConfig>([
        .int("block_size", \.blockSize), .int("vocab_size", \.vocabSize), .int("context", \.context),
        .int("n_embd", \.nEmbd), .int("n_hidden", \.nHidden), .double("z_loss", \.zLoss),
    ])
    public static let defaults = MLPLanguageModelConfig()
    public static var tiny: MLPLanguageModelConfig {
        var c = MLPLanguageModelConfig()
        c.blockSize = 16; c.nEmbd = 8; c.nHidden = 16
        return c
    }
    public var contextLength: Int { blockSize }
    public static let contextLengthKey = "block_size"
}

public final class MLPLanguageModel: Module, LanguageModel {
    public let config: MLPLanguageModelConfig
    let wte: Embedding      // (vocab_size, n_embd)
    let hidden: Linear      // (context · n_embd) → n_hidden
    let lm_head: Linear     // n_hidden → vocab_size

    public init(_ config: MLPLanguageModelConfig) {
        self.config = config
        wte = Embedding(config.vocabSize, config.nEmbd)
        hidden = Linear(config.context * config.nEmbd, config.nHidden)
        lm_head = Linear(config.nHidden, config.vocabSize)
        super.init()
    }

    /// The tanh features of every position: idx (B, T) → (B, T, n_hidden).
    func features(_ idx: Tensor) -> Tensor {
        let e = wte(idx)                                                          // (B, T, n_embd)
        let (b, t, c) = (e.size(0), e.size(1), e.size(2))
        // position t reads tokens t, t−1, …, t−context+1; before the window's start, zeros
        var shifted: [Tensor] = [e]
        for j in 1..<Swift.max(config.context, 1) {
            let pad = Tensor.zeros([b, Swift.min(j, t), c], dtype: e.dtype, device: e.device)
            shifted.append(j >= t ? pad : cat([pad, e.narrow(dim: 1, start: 0, length: t - j)], dim: 1))
        }
        return hidden(cat(shifted, dim: 2)).tanh()                                // (B, T, n_hidden)
    }

    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        let h = features(idx)
        let logits = lm_head(h)                                                   // (B, T, vocab_size)
        var output = ModelOutput(logits: logits)
        guard targets != nil else { return output }
        if config.zLoss > 0 {
            let z = logits.float().logsumexp(dim: -1)                             // (B, T)
            output.auxiliaryLosses.append(AuxiliaryLoss("z_loss", weight: config.zLoss, z.square().mean()))
        }
        output.metrics["tanh_saturated"] = (h.detached().abs() .> 0.99).float().mean()
        return output
    }

    public func lastLogits(_ idx: Tensor) -> Tensor {
        let t = idx.size(1), n = Swift.min(config.context, t)
        return lm_head(features(idx.narrow(dim: 1, start: t - n, length: n)).select(dim: 1, index: -1))  // (B, V)
    }

    public var contextLength: Int { config.blockSize }
    public var outputWeight: Tensor? { lm_head.weight }
}
