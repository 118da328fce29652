// HuggingFaceExport.swift — the way back: a trained GPT or MiniMind as a Hugging Face model folder (config.json,
// model.safetensors) that transformers' AutoModelForCausalLM loads and runs to the same logits.
//
//   gpt       → model_type "gpt2" (GPT2LMHeadModel): Linear weights transposed to Conv1D's (in, out); a run trained
//               without biases gets zero biases (GPT-2 has them everywhere), which computes the same function.
//   minimind  → model_type "llama" (LlamaForCausalLM), "qwen2" when it has q/k/v biases, "qwen3" with qk_norm. The
//               interleaved RoPE layout of MiniMind2 is converted to Llama's rotate-half by permuting the rows of
//               every q/k projection within each head (pair (2i, 2i+1) → rows i and D/2 + i), and q_norm/k_norm alike. The mixture of experts has no
//               transformers counterpart and is refused.
import Foundation
import MnemoSupport
import Torch
import TorchNN

public enum HuggingFaceExport {
    /// Writes `model` into `folder` (created; config.json and model.safetensors are replaced).
    /// `endOfText`: the tokenizer's end-of-text id, written as a GPT-2 config's bos/eos_token_id (transformers'
    /// default, 50256, is GPT-2's own vocabulary's and outside a smaller one).
    public static func write(_ model: any LanguageModel, to folder: String, endOfText: Int? = nil) throws {
        var (config, tensors) = try converted(model)
        if let endOfText, model is GPT { config["bos_token_id"] = endOfText; config["eos_token_id"] = endOfText }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json, to: "\(folder)/config.json")   // as the weights: whole or not at all
        try SafeTensorsIO.save(tensors, to: "\(folder)/model.safetensors", metadata: ["format": "pt"])
    }

    /// The config.json object and the state dict in Hugging Face's names and layouts.
    public static func converted(_ model: any LanguageModel) throws -> ([String: Any], [String: Tensor]) {
        switch model {
        case let gpt as GPT:
            guard gpt.config.computesAsGPT2 else {
                throw ConfigError("this GPT uses looped-GPT options (share_block, ln_affine = false, a residual variant or early_exit) or CortexGPT memory layers (cortex_layers) that GPT2LMHeadModel cannot compute; only plain GPTs export")
            }
            return gpt2(gpt)
        case let mini as MiniMind:
            guard !mini.config.useMemory && !mini.config.cortex.isEnabled else {
                throw ConfigError("this MiniMind has the explicit memory bank (use_memory) or CortexGPT memory layers (cortex_layers), which LlamaForCausalLM cannot compute; only models without them export")
            }
            return try llama(mini)
        default: throw ConfigError("\(type(of: model)) has no Hugging Face counterpart to export to (gpt and minimind do)")
        }
    }

    static func gpt2(_ gpt: GPT) -> ([String: Any], [String: Tensor]) {
        let c = gpt.config
        let config: [String: Any] = [
            "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": c.vocabSize, "n_positions": c.blockSize,
            "n_embd": c.nEmbd, "n_layer": c.nLayer, "n_head": c.nHead, "activation_function": c.geluApproximate ? "gelu_new" : "gelu",
            "layer_norm_epsilon": 1e-5, "resid_pdrop": c.dropout, "embd_pdrop": c.dropout, "attn_pdrop": c.dropout,
            "tie_word_embeddings": true, "torch_dtype": "float32",
        ]
        let conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
        var out: [String: Tensor] = [:]
        for (name, t) in gpt.stateDict() where name != "lm_head.weight" && !name.contains(".lora_") {   // adapters: PEFTAdapter
            out[name] = conv1D.contains { name.hasSuffix($0) } ? t.T.contiguous() : t.contiguous()
        }
        if !c.bias {   // GPT-2 has biases in every Linear and LayerNorm: zeros compute the bias-free model
            for l in 0..<c.nLayer {
                let p = "transformer.h.\(l)."
                for (key, n) in [("attn.c_attn.bias", 3 * c.nEmbd), ("attn.c_proj.bias", c.nEmbd), ("mlp.c_fc.bias", 4 * c.nEmbd),
                                 ("mlp.c_proj.bias", c.nEmbd), ("ln_1.bias", c.nEmbd), ("ln_2.bias", c.nEmbd)] {
                    out[p + key] = Tensor.zeros([n])
                }
            }
            out["transformer.ln_f.bias"] = Tensor.zeros([c.nEmbd])
        }
        return (config, out)
    }

    static func llama(_ mini: MiniMind) throws -> ([String: Any], [String: Tensor]) {
        let c = mini.config
        guard !c.useMoE else {
            throw ConfigError("a MiniMind with a mixture of experts has no transformers model to export to (dense MiniMind exports as Llama/Qwen2)")
        }
        guard !(c.qkNorm && c.qkvBias) else {
            throw ConfigError("a MiniMind with both qk_norm and qkv_bias has no transformers model to export to (Qwen3 has no q/k/v biases)")
        }
        let type = c.qkNorm ? "qwen3" : c.qkvBias ? "qwen2" : "llama"
        let architecture = c.qkNorm ? "Qwen3ForCausalLM" : c.qkvBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM"
        var config: [String: Any] = [
            "model_type": type, "architectures": [architecture],
            "vocab_size": c.vocabSize, "hidden_size": c.dim, "intermediate_size": c.feedForwardDim,
            "num_hidden_layers": c.nLayers, "num_attention_heads": c.nHeads, "num_key_value_heads": c.nKVHeads,
            "head_dim": c.headDim, "max_position_embeddings": c.maxSeqLen, "rms_norm_eps": c.normEps,
            "rope_theta": c.ropeTheta, "rope_parameters": ropeParameters(c),
            "hidden_act": "silu", "tie_word_embeddings": c.tieEmbeddings, "torch_dtype": "float32",
            "attention_dropout": c.dropout,
        ]
        if !c.qkvBias { config["attention_bias"] = false; config["mlp_bias"] = false }
        let d = c.headDim
        let order = rotateHalfOrder(headDim: d)
        func toRotateHalf(_ t: Tensor, heads: Int) -> Tensor {
            guard c.ropeLayout == .interleaved else { return t }
            let rest = Array(t.shape.dropFirst())
            return t.reshape([heads, d] + rest).indexSelect(dim: 1, index: order).reshape(t.shape)
        }
        var out: [String: Tensor] = [:]
        for (name, t) in mini.stateDict() {
            if c.tieEmbeddings && name == "lm_head.weight" { continue }     // saved once, as transformers does
            if name.contains(".lora_A.") || name.contains(".lora_B.") { continue }   // adapters: PEFTAdapter
            if name.contains(".self_attn.q_norm.") || name.contains(".self_attn.k_norm.") {
                out[name] = c.ropeLayout == .interleaved ? t.indexSelect(dim: 0, index: order).contiguous() : t.contiguous()
            } else if name.contains(".self_attn.q_proj.") { out[name] = toRotateHalf(t, heads: c.nHeads).contiguous() }
            else if name.contains(".self_attn.k_proj.") { out[name] = toRotateHalf(t, heads: c.nKVHeads).contiguous() }
            else { out[name] = t.contiguous() }
        }
        return (config, out)
    }

    /// The rotate-half row order of one head's interleaved rows: new row i ← old 2i, new row D/2 + i ← old 2i + 1.
    public static func rotateHalfOrder(headDim d: Int) -> Tensor {
        Tensor((0..<d).map { Int64($0 < d / 2 ? 2 * $0 : 2 * ($0 - d / 2) + 1) })
    }

    /// transformers' rope_parameters of a MiniMind configuration (its RoPE scaling, when it has one).
    static func ropeParameters(_ c: MiniMindConfig) -> [String: Any] {
        switch c.ropeScaling {
        case .none: return ["rope_type": "default", "rope_theta": c.ropeTheta]
        case .linear: return ["rope_type": "linear", "rope_theta": c.ropeTheta, "factor": c.ropeScalingFactor]
        case .llama3:
            return ["rope_type": "llama3", "rope_theta": c.ropeTheta, "factor": c.ropeScalingFactor,
                    "low_freq_factor": c.ropeLowFreqFactor, "high_freq_factor": c.ropeHighFreqFactor,
                    "original_max_position_embeddings": c.ropeOriginalContext]
        }
    }
}
