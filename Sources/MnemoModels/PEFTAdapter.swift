// PEFTAdapter.swift — LoRA adapters in peft's folder layout, the way the ecosystem stores them:
//
//   adapter_config.json          {"peft_type": "LORA", "r", "lora_alpha", "lora_dropout", "target_modules", "bias":
//                                 "none", "task_type": "CAUSAL_LM", "base_model_name_or_path", "fan_in_fan_out", …}
//   adapter_model.safetensors    base_model.model.<module path>.lora_A.weight (r, in) and .lora_B.weight (out, r)
//
// Module paths are the Hugging Face names Mnemo's models already use (GPT-2's transformer.h.N.attn.c_attn, Llama's
// model.layers.N.self_attn.q_proj, …), so `PeftModel.from_pretrained(AutoModelForCausalLM…, folder)` loads what
// `write` saves onto the exported base. A MiniMind in MiniMind2's interleaved RoPE layout is exported with
// rotate-half rows (HuggingFaceExport), so the rows of its q_proj / k_proj adapters' B are permuted the same way.
// GPT-2's attention is a Conv1D in transformers: peft marks it fan_in_fan_out, and A and B keep Linear's layout.
import Foundation
import MnemoSupport
import Torch
import TorchNN

public enum PEFTAdapter {
    public static let configFile = "adapter_config.json"
    public static let weightsFile = "adapter_model.safetensors"

    /// The model's Linears that carry an adapter, by module path.
    public static func adapted(_ model: Module) -> [(path: String, layer: Linear)] {
        model.namedModules().compactMap { entry in
            guard let layer = entry.module as? Linear, layer.lora_A != nil else { return nil }
            return (entry.name, layer)
        }
    }

    /// Row order that turns one head's interleaved q/k rows into rotate-half rows (nil when the model needs none).
    static func rotateHalfOrder(_ model: Module) -> (order: Tensor, headDim: Int)? {
        guard let mini = model as? MiniMind, mini.config.ropeLayout == .interleaved else { return nil }
        return (HuggingFaceExport.rotateHalfOrder(headDim: mini.config.headDim), mini.config.headDim)
    }

    /// Writes the model's adapters into `folder` (created). `baseModel` names the base for peft (its folder or hub id).
    public static func write(_ model: Module, baseModel: String, to folder: String) throws {
        let layers = adapted(model)
        guard let first = layers.first?.layer, let a = first.lora_A else {
            throw ConfigError("the model carries no LoRA adapter (train with lora_rank > 0)")
        }
        let rank = a.weight.size(0)
        let targets = Set(layers.map { String($0.path.split(separator: ".").last ?? "") }).sorted()
        let permutation = rotateHalfOrder(model)
        var tensors: [String: Tensor] = [:]
        for (path, layer) in layers {
            guard let a = layer.lora_A, let b = layer.lora_B else { continue }
            var bWeight = b.weight.detached()
            if let (order, d) = permutation, path.hasSuffix(".q_proj") || path.hasSuffix(".k_proj") {
                let heads = bWeight.size(0) / d
                bWeight = bWeight.reshape([heads, d, rank]).indexSelect(dim: 1, index: order).reshape([heads * d, rank])
            }
            tensors["base_model.model.\(path).lora_A.weight"] = a.weight.detached().contiguous()
            tensors["base_model.model.\(path).lora_B.weight"] = bWeight.contiguous()
        }
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": first.loraScale * Double(rank),
            "lora_dropout": first.loraDropout, "target_modules": targets, "bias": "none",
            "fan_in_fan_out": model is GPT, "base_model_name_or_path": baseModel, "inference_mode": true,
            "init_lora_weights": true, "use_rslora": false, "use_dora": false, "modules_to_save": NSNull(),
        ]
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json, to: "\(folder)/\(configFile)")
        try SafeTensorsIO.save(tensors, to: "\(folder)/\(weightsFile)", metadata: ["format": "pt"])
    }

    /// Attaches the adapter saved in `folder` to the model's matching Linears and loads its weights.
    public static func load(_ folder: String, into model: Module) throws {
        let source = "\(folder)/\(configFile)"
        guard let data = FileManager.default.contents(atPath: source) else {
            throw ConfigError("\(folder) is not a peft adapter folder: no \(configFile)")
        }
        let json: JSONValue
        do { json = try JSONParser.parseFile([UInt8](data), options: .python) } catch { throw ConfigError("\(source): \(error)") }
        guard json["peft_type"]?.string == "LORA" else { throw ConfigError("\(source): peft_type must be LORA") }
        guard let rank = json["r"]?.int, rank > 0, let alpha = json["lora_alpha"]?.double else {
            throw ConfigError("\(source): needs a positive integer r and a number lora_alpha")
        }
        if json["use_dora"]?.bool == true || json["use_rslora"]?.bool == true {
            throw ConfigError("\(source): DoRA and rsLoRA adapters are not supported")
        }
        for key in ["rank_pattern", "alpha_pattern"] where !(json[key]?.object?.isEmpty ?? true) {
            throw ConfigError("\(source): a per-layer \(key) is not supported (one r and lora_alpha for every layer)")
        }
        let weights = try SafeTensorsIO.load("\(folder)/\(weightsFile)")
        let permutation = rotateHalfOrder(model)
        let layers = model.namedModules().compactMap { entry in (entry.module as? Linear).map { (entry.name, $0) } }
        var loaded = 0
        for (path, layer) in layers {
            guard let a = weights["base_model.model.\(path).lora_A.weight"],
                  var b = weights["base_model.model.\(path).lora_B.weight"] else { continue }
            guard a.shape == [rank, layer.inFeatures], b.shape == [layer.outFeatures, rank] else {
                throw ConfigError("\(folder): the adapter of \(path) has shapes \(a.shape) and \(b.shape); this layer needs [\(rank), \(layer.inFeatures)] and [\(layer.outFeatures), \(rank)]")
            }
            if let (order, d) = permutation, path.hasSuffix(".q_proj") || path.hasSuffix(".k_proj") {
                let inverse = order.argsort(dim: 0)
                b = b.reshape([layer.outFeatures / d, d, rank]).indexSelect(dim: 1, index: inverse).reshape([layer.outFeatures, rank])
            }
            if layer.lora_A == nil { layer.attachLoRA(rank: rank, alpha: alpha, dropout: json["lora_dropout"]?.double ?? 0) }
            withNoGrad {
                layer.lora_A!.weight.copy_(a)
                layer.lora_B!.weight.copy_(b)
            }
            loaded += 1
        }
        let expected = weights.keys.filter { $0.hasSuffix(".lora_A.weight") }.count
        guard loaded == expected, loaded > 0 else {
            throw ConfigError("\(folder): \(expected) adapted layers in the file, \(loaded) of them found in the model; is it this model's adapter?")
        }
    }

    /// Folds every adapter into its layer's weight (the merged model has no adapter left).
    public static func merge(_ model: Module) {
        for (_, layer) in adapted(model) { layer.mergeLoRA() }
    }
}
