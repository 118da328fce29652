// GrokTransformer.swift — the one-layer transformer arm of the grokking study (Prieto et al., ICLR 2025, whose code
// uses torch.nn.TransformerEncoder with d_model 128 and 4 heads, read at the last position).
//
// The architecture chosen here, exactly:
//   input   two tokens [a, b], each in 0..<p (no "=" token)                                  (N, 2) int64
//   embed   token embedding (p, 128) + learned position embedding (2, 128), both N(0, 1)    (N, 2, 128)
//   block   post-norm, as nn.TransformerEncoderLayer (norm_first=False) without dropout:
//             x = LN1(x + Attn(x)),  Attn: 4 heads of 32, bidirectional (no mask), fused qkv Linear(128, 384)
//                                    with bias, output Linear(128, 128) with bias, softmax scale 1/√32
//             x = LN2(x + FF(x)),    FF: Linear(128, 512) → ReLU → Linear(512, 128), with biases
//   read    the last position's vector (only that position's query, residual and feed-forward are computed:
//           the same numbers as running every position and keeping the last)                (N, 128)
//   head    Linear(128, p) with bias → logits                                               (N, p)
// Differences from the reference, on purpose: a position embedding (the reference has none, so a and b are told
// apart only by which one is the query), a 512-wide feed-forward instead of PyTorch's default 2048 (4 × d_model, as
// in Nanda et al.'s grokking transformer; a quarter of the cost), no dropout (the reference keeps the default 0.1),
// PyTorch's Linear default init everywhere (nn.MultiheadAttention uses Xavier for its input projection).
// The output layer is `head`.
import Torch
import TorchNN

public final class GrokTransformer: Module {
    public final class Block: Module {
        let qkv: Linear        // (3·d, d)
        let proj: Linear       // (d, d)
        let ln_1: LayerNorm
        let fc: Linear         // (4·d, d)
        let fc_out: Linear     // (d, 4·d)
        let ln_2: LayerNorm
        let heads: Int

        init(width: Int, heads: Int, feedForward: Int, generator: Generator?) {
            qkv = Linear(width, 3 * width, generator: generator)
            proj = Linear(width, width, generator: generator)
            ln_1 = LayerNorm(width)
            fc = Linear(width, feedForward, generator: generator)
            fc_out = Linear(feedForward, width, generator: generator)
            ln_2 = LayerNorm(width)
            self.heads = heads
            super.init()
        }

        /// The block's output at the last position only: (N, T, d) → (N, d). The other positions serve as keys and
        /// values; their own outputs would be discarded by the read-out, so they are not computed.
        func lastPosition(_ x: Tensor) -> Tensor {
            let (n, t, d) = (x.size(0), x.size(1), x.size(2))
            let parts = qkv(x).split(d, dim: 2)                                   // 3 × (N, T, d)
            func split(_ y: Tensor) -> Tensor { y.reshape([n, -1, heads, d / heads]).transpose(1, 2) }  // (N, h, ·, hs)
            let query = split(parts[0].narrow(dim: 1, start: t - 1, length: 1))   // (N, h, 1, hs)
            let attended = scaledDotProductAttention(query: query, key: split(parts[1]), value: split(parts[2]))
            let merged = attended.transpose(1, 2).reshape([n, d])                 // (N, d)
            let h = ln_1(x.select(dim: 1, index: t - 1) + proj(merged))
            return ln_2(h + fc_out(fc(h).relu()))
        }
    }

    public let embed: Embedding      // (p, d)
    public let position: Embedding   // (2, d)
    public let block: Block
    public let head: Linear          // (p, d)

    public init(vocabulary: Int = 113, width: Int = 128, heads: Int = 4, feedForward: Int = 512, length: Int = 2,
                generator: Generator? = nil) {
        precondition(width % heads == 0, "GrokTransformer: width \(width) is not a multiple of heads \(heads)")
        embed = Embedding(vocabulary, width, generator: generator)
        position = Embedding(length, width, generator: generator)
        block = Block(width: width, heads: heads, feedForward: feedForward, generator: generator)
        head = Linear(width, vocabulary, generator: generator)
        super.init()
    }

    /// The layer whose weights turn features into logits.
    public var outputLayer: Linear { head }

    public func callAsFunction(_ tokens: Tensor) -> Tensor {  // (N, T) int64 → (N, p) logits at the last position
        let t = tokens.size(1)
        let positions = Tensor.arange(t, device: tokens.device)
        let x = embed(tokens) + position(positions)          // (N, T, d)
        return head(block.lastPosition(x))                   // (N, p)
    }
}

/// The settings of `model = "grok_transformer"`: the vocabulary is p (0 follows the tokenizer), `length` the tokens
/// it reads (2: the pair), and its width, heads and feed-forward width.
public struct GrokTransformerConfig: ModelConfiguration, Equatable {
    public var vocabSize = 0
    public var length = 2
    public var width = 128
    public var heads = 4
    public var feedForward = 512

    public init() {}

    public static let schema = SettingsSchema<GrokTransformerConfig>([
        .int("vocab_size", \.vocabSize), .int("length", \.length), .int("width", \.width), .int("heads", \.heads),
        .int("feed_forward", \.feedForward),
    ])
    public static let defaults = GrokTransformerConfig()
    public static var tiny: GrokTransformerConfig {
        var c = GrokTransformerConfig()
        c.width = 16; c.heads = 2; c.feedForward = 32
        return c
    }
    public var contextLength: Int { length }
    public static let contextLengthKey = "length"

    public func problems() -> [String] {
        var out: [String] = []
        for (name, v) in [("vocab_size", vocabSize), ("length", length), ("width", width), ("heads", heads),
                          ("feed_forward", feedForward)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        if heads > 0 && width % heads != 0 { out.append("width (\(width)) must be a multiple of heads (\(heads))") }
        return out
    }
}

extension GrokTransformer: LanguageModel {
    public convenience init(_ config: GrokTransformerConfig) {
        self.init(vocabulary: config.vocabSize, width: config.width, heads: config.heads, feedForward: config.feedForward,
                  length: config.length)
    }

    /// As a language model: tokens (N, T) → the answer's logits at the last position, (N, 1, p).
    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        ModelOutput(logits: self(idx).unsqueeze(1))
    }
    public func lastLogits(_ idx: Tensor) -> Tensor { self(idx) }           // (N, p)
    public var contextLength: Int { position.weight.size(0) }
    public var outputWeight: Tensor? { outputLayer.weight }
    /// `nonEmbedding` leaves out the learned position embedding (nanoGPT's rule).
    public func parameterCount(nonEmbedding: Bool) -> Int { parameterCount - (nonEmbedding ? position.weight.count : 0) }
}
