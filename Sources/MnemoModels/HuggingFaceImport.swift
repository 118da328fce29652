// HuggingFaceImport.swift — which Mnemo model a Hugging Face folder is, and its weights loaded into it:
// model_type "gpt2" → `gpt`; "llama", "qwen2", "qwen3" and "minimind" → `minimind` (rotate-half RoPE, Hugging Face
// names, q/k/v biases for Qwen2, per-head q/k norms and an explicit head_dim for Qwen3, Llama 3's scaled RoPE). Used by `mnemo train --init-from DIR` and `mnemo sample DIR`.
import Foundation
import MnemoSupport
import Torch
import TorchNN

public enum HuggingFaceImport {
    /// The registered model and its settings for the folder's config.json; `dropout` replaces its dropout.
    public static func spec(_ folder: String, dropout: Double? = nil) throws -> ModelSpec {
        let json = try HuggingFaceFolder.configJSON(folder)
        let source = "\(folder)/config.json"
        let type = json["model_type"]?.string ?? "(none)"
        switch type {
        case "gpt2":
            return ModelSpec(name: "gpt", try GPT.huggingFaceConfig(json, dropout: dropout, source: source))
        case "llama", "qwen2", "qwen3", "minimind":
            var config = try MiniMind.huggingFaceConfig(json, source: source)
            if let dropout { config.dropout = dropout }
            return ModelSpec(name: "minimind", config)
        default:
            throw ConfigError("\(source): model_type '\(type)' is not supported; Mnemo reads gpt2 (as `gpt`) and llama, qwen2, qwen3, minimind (as `minimind`)")
        }
    }

    /// Loads the folder's weights (model.safetensors or its shards) into `model`, built from `spec(folder)`.
    public static func loadWeights(_ folder: String, into model: any LanguageModel) throws {
        let tensors = try HuggingFaceFolder.tensors(folder)
        do {
            switch model {
            case let gpt as GPT: try gpt.loadHuggingFaceGPT2(tensors)
            case let mini as MiniMind: try mini.loadHuggingFace(tensors)
            default: throw ConfigError("\(type(of: model)) cannot load Hugging Face weights")
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError("\(folder): the weights do not fit the model of its config.json: \(error)")
        }
    }

    /// A model with the folder's shape and weights.
    public static func model(_ folder: String) throws -> any LanguageModel {
        let model = try spec(folder).build()
        try loadWeights(folder, into: model)
        return model
    }
}

extension MiniMind {
    /// MiniMindConfig of a Llama / Qwen2 / MiniMind (Hugging Face layout) config.json. transformers 5 keeps θ in
    /// `rope_parameters.rope_theta`, earlier versions in `rope_theta`; scaled RoPE variants are refused.
    public static func huggingFaceConfig(_ json: JSONValue, source: String = "config.json") throws -> MiniMindConfig {
        func int(_ key: String) throws -> Int {
            guard let v = json[key]?.int else { throw ConfigError("\(source): no integer \(key)") }
            return v
        }
        var c = MiniMindConfig()
        c.dim = try int("hidden_size")
        c.nLayers = try int("num_hidden_layers")
        c.nHeads = try int("num_attention_heads")
        c.nKVHeads = json["num_key_value_heads"]?.int ?? c.nHeads
        c.vocabSize = try int("vocab_size")
        c.hiddenDim = try int("intermediate_size")
        c.normEps = json["rms_norm_eps"]?.double ?? 1e-6
        c.maxSeqLen = try int("max_position_embeddings")
        c.tieEmbeddings = json["tie_word_embeddings"]?.bool ?? false
        c.ropeLayout = .rotateHalf
        let type = json["model_type"]?.string ?? ""
        c.qkvBias = type == "qwen2" || (json["attention_bias"]?.bool ?? false)
        c.qkNorm = type == "qwen3"
        if json["use_sliding_window"]?.bool == true { throw ConfigError("\(source): sliding-window attention is not supported") }
        let rope = [json["rope_parameters"], json["rope_scaling"]].lazy.compactMap { $0 }.first { $0.object != nil }
        switch (rope?["rope_type"] ?? rope?["type"])?.string ?? "default" {
        case "default": break
        case "linear":
            c.ropeScaling = .linear
            c.ropeScalingFactor = try scalingNumber(rope, "factor")
        case "llama3":
            c.ropeScaling = .llama3
            c.ropeScalingFactor = try scalingNumber(rope, "factor")
            c.ropeLowFreqFactor = try scalingNumber(rope, "low_freq_factor")
            c.ropeHighFreqFactor = try scalingNumber(rope, "high_freq_factor")
            guard let original = rope?["original_max_position_embeddings"]?.int else {
                throw ConfigError("\(source): rope type llama3 needs original_max_position_embeddings")
            }
            c.ropeOriginalContext = original
        case let kind:
            throw ConfigError("\(source): rope_type '\(kind)' is not supported (default, linear and llama3 are)")
        }
        func scalingNumber(_ rope: JSONValue?, _ key: String) throws -> Double {
            guard let v = rope?[key]?.double else { throw ConfigError("\(source): the rope scaling has no number \(key)") }
            return v
        }
        guard let theta = rope?["rope_theta"]?.double ?? json["rope_theta"]?.double else {
            throw ConfigError("\(source): no rope_theta (nor rope_parameters.rope_theta)")
        }
        c.ropeTheta = theta
        if let head = json["head_dim"]?.int, head != c.dim / Swift.max(c.nHeads, 1) { c.headDimSetting = head }
        if let activation = json["hidden_act"]?.string, activation != "silu" {
            throw ConfigError("\(source): hidden_act '\(activation)' is not supported (silu)")
        }
        if c.useMoE || (json["num_experts"]?.int ?? 0) > 0 { throw ConfigError("\(source): mixture-of-experts folders are not supported") }
        let problems = c.problems()
        guard problems.isEmpty else { throw ConfigError("\(source): " + problems.joined(separator: "; ")) }
        return c
    }

    /// Loads a state dict in Hugging Face names or MiniMind2's own (`tok_embeddings`, `layers.N.attention.wq`, …).
    /// A tied head may be saved once (under either the embedding's or the head's name).
    public func loadHuggingFace(_ tensors: [String: Tensor]) throws {
        var mapped: [String: Tensor] = [:]
        for (key, value) in tensors {
            if key.hasSuffix("rotary_emb.inv_freq") { continue }                 // a buffer some exports keep
            mapped[MiniMind.hfName(fromMiniMind: key) ?? key] = value
        }
        if config.tieEmbeddings {
            let head = mapped["lm_head.weight"] ?? mapped["model.embed_tokens.weight"]
            mapped["lm_head.weight"] = head
            mapped["model.embed_tokens.weight"] = head
        }
        try load(stateDict: mapped)
    }
}
