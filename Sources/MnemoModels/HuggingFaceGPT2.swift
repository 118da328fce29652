// HuggingFaceGPT2.swift — reading a Hugging Face model folder (config.json; model.safetensors or the shards listed by
// model.safetensors.index.json), and GPT's side of it: the GPTConfig of a GPT-2 config.json. HuggingFaceImport puts
// them together (model_type → model, weights loaded by `loadHuggingFaceGPT2` / `MiniMind.loadHuggingFace`).
import Foundation
import MnemoSupport
import Torch
import TorchNN

public enum HuggingFaceFolder {
    /// config.json of a Hugging Face model folder, checked to be a JSON object.
    public static func configJSON(_ folder: String) throws -> JSONValue {
        let path = "\(folder)/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("\(folder) is not a Hugging Face model folder: no config.json")
        }
        return try object(data, path: path)
    }

    /// Whether `folder` looks like a Hugging Face model folder (config.json naming a model_type).
    public static func isModelFolder(_ folder: String) -> Bool {
        (try? configJSON(folder))?["model_type"]?.string != nil
    }

    /// A JSON object written by transformers or huggingface_hub (config.json, model.safetensors.index.json). Read in
    /// JSONParser's Python dialect: they are written by Python's json.dumps, which writes NaN and Infinity as such.
    private static func object(_ data: Data, path: String) throws -> JSONValue {
        let json: JSONValue
        do { json = try JSONParser.parseFile([UInt8](data), options: .python) } catch {
            throw ConfigError("\(path) \(error.message)")
        }
        guard case .object = json else { throw ConfigError("\(path) is \(json.kindName), not a JSON object") }
        return json
    }

    /// Every tensor of the folder's weights: model.safetensors, or the shards of model.safetensors.index.json.
    public static func tensors(_ folder: String) throws -> [String: Tensor] {
        let fm = FileManager.default
        let single = "\(folder)/model.safetensors", index = "\(folder)/model.safetensors.index.json"
        if fm.fileExists(atPath: single) { return try SafeTensorsIO.load(single) }
        guard let data = fm.contents(atPath: index) else {
            throw ConfigError("\(folder) has no weights: neither model.safetensors nor model.safetensors.index.json "
                              + "(only the safetensors format is read; convert pytorch_model.bin with transformers' save_pretrained)")
        }
        guard let entries = try object(data, path: index)["weight_map"]?.object else {
            throw ConfigError("\(index) has no \"weight_map\" object of tensor name → shard file")
        }
        var map: [String: String] = [:]
        for entry in entries {
            guard let file = entry.value.string else {
                throw ConfigError("\(index): weight_map[\(jsonQuoted(entry.key))] is \(entry.value.kindName), not a shard file name")
            }
            map[entry.key] = file
        }
        var out: [String: Tensor] = [:]
        for shard in Set(map.values).sorted() {
            guard !shard.contains("/") else { throw ConfigError("\(index) names a shard outside the folder: \(shard)") }
            let tensors = try SafeTensorsIO.load("\(folder)/\(shard)")
            for (name, file) in map where file == shard {
                guard let t = tensors[name] else { throw ConfigError("\(folder)/\(shard) lacks \(name), which the index puts there") }
                out[name] = t
            }
        }
        return out
    }
}

extension GPT {
    /// The GPTConfig of a Hugging Face GPT-2 config.json; `dropout` replaces its dropouts (nanoGPT's override_args).
    public static func huggingFaceConfig(_ json: JSONValue, dropout: Double? = nil, source: String = "config.json") throws -> GPTConfig {
        let type = json["model_type"]?.string ?? "(none)"
        guard type == "gpt2" else {
            throw ConfigError("\(source): model_type '\(type)' is not a GPT-2; `gpt` loads model_type \"gpt2\" (GPT2LMHeadModel) only")
        }
        func int(_ keys: String...) throws -> Int {
            for key in keys { if let v = json[key]?.int { return v } }
            throw ConfigError("\(source): no integer \(keys.joined(separator: " or "))")
        }
        let activation = json["activation_function"]?.string ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu"].contains(activation) else {
            throw ConfigError("\(source): activation_function '\(activation)' is not supported (gelu_new, gelu_pytorch_tanh or gelu)")
        }
        if let eps = json["layer_norm_epsilon"]?.double, !(Swift.abs(eps - 1e-5) <= 1e-12) {
            throw ConfigError("\(source): layer_norm_epsilon \(eps) differs from GPT's 1e-5")
        }
        if let tied = json["tie_word_embeddings"]?.bool, !tied {
            throw ConfigError("\(source): tie_word_embeddings = false; `gpt` ties its head to the token embedding")
        }
        return GPTConfig(blockSize: try int("n_positions", "n_ctx"), vocabSize: try int("vocab_size"),
                         nLayer: try int("n_layer"), nHead: try int("n_head"), nEmbd: try int("n_embd"),
                         dropout: dropout ?? (json["resid_pdrop"]?.double ?? 0), bias: true,
                         geluApproximate: activation != "gelu")
    }
}
