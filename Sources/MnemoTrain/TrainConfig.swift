// TrainConfig.swift — every setting of a training run, with nanoGPT's names, read from TOML or JSON and
// overridden by `--set key=value`. Unknown keys and wrong types stop with a message that says what to fix.
//
// The trainer's own settings are here; the model's are its configuration's (ModelRegistry): a run file names the
// model (`model = "gpt"`, the default) and gives its keys either flat beside the trainer's (nanoGPT's habit:
// `n_layer = 4`) or in a `[model]` table (`name = "gpt"` plus its keys). `--set n_layer=2` and
// `--set model.n_layer=2` both reach the model; `--set model=mlp` switches to another model's defaults.
// config.json, written into every run, is flat: the trainer's keys, "model", the model's keys.
import Foundation
import MnemoModels
import TOMLKit
import TorchNN

public typealias ConfigError = MnemoModels.ConfigError

public struct TrainConfig: Sendable, Equatable {
    // data
    public var data = ""                    // a text/jsonl file (tokenized on the fly, 90/10 split) or a folder from `mnemo data prepare`
    public var tokenizer = "char"           // for raw text: char | gpt2:DIR | hf:PATH/tokenizer.json
    public var valFraction = 0.1            // nanoGPT's last 10% for validation
    public var dataLayout = "packed"        // packed (nanoGPT: windows anywhere in the stream) | padded (MiniMind: a row per document)
    public var bosToken = "<|im_start|>"    // padded rows: bos + text + eos, padded with pad (the special tokens
    public var eosToken = "<|im_end|>"      // MiniMind's tokenizer_config.json names: ids 1, 2 and 0)
    public var padToken = "<|endoftext|>"
    // the model: its registry name and its own settings (GPT: n_layer, n_head, n_embd, block_size, vocab_size, …)
    public var model: ModelSpec = try! ModelSpec("gpt")
    public var initFrom = ""                // a Hugging Face GPT-2 folder to start from (nanoGPT's init_from); "": scratch
    // optimisation
    public var batchSize = 12
    public var gradientAccumulationSteps = 1
    public var maxIters = 2000
    public var learningRate = 1e-3
    public var minLR = 1e-4
    public var warmupIters = 100
    public var lrDecayIters = 2000
    public var decayLR = true               // false: a constant learning_rate (no warmup), as nanoGPT
    public var lrSchedule = "cosine"        // cosine (nanoGPT: warmup, cosine to min_lr) | minimind (lr/10 + lr/2·(1+cos(π t/lr_decay_iters)), no warmup)
    public var beta1 = 0.9
    public var beta2 = 0.99
    public var weightDecay = 0.1            // on ≥2-D parameters only (matmul weights, embeddings)
    public var gradClip = 1.0               // 0 disables clipping
    public var loss = "softmax"             // softmax | stablemax (float64 CE) | log_stablemax (CE in the logits' dtype)
    public var orthogonal = false           // ⊥Grad: remove the gradient's component along the weights before AdamW
    public var orthogonalSkip = ""          // comma-separated name substrings ⊥Grad leaves alone (e.g. "bias,ln_")
    public var orthogonalSkip1D = false     // ⊥Grad leaves 1-D parameters (biases, norm gains) alone
    public var labelSmoothing = 0.0         // ε of the training objective (StabilizedLoss's label-smoothed KL: the same
                                            // gradients); evaluation and the logged train_loss stay plain cross-entropy
    public var paramGroups = ""             // "NAME:lr=…,wd=…,clip=…; …" (ParameterGroupRules.swift): own lr, decay, clipping
    public var emaDecay = 0.0               // > 0: parameter EMA (0.999), evaluation and samples on the averaged weights
    // stability metrics (StabilityTracker.swift), on every run
    public var stabilityInterval = 10       // a fixed held-out batch's loss every N steps (0: none)
    public var stabilityWindow = 100        // W of the windowed oscillation ratio, in optimizer steps
    // evaluation, logging, checkpoints, sampling
    public var evalInterval = 250           // 0: evaluate only at the end
    public var evalIters = 200              // random batches per split in the estimate (nanoGPT's estimate_loss)
    public var evalFull = false             // also a deterministic pass over all of val
    public var logInterval = 10
    public var checkpointInterval = 0       // 0: at every evaluation
    public var keepCheckpoints = 2
    public var sampleTokens = 200           // tokens sampled at each evaluation (0: none)
    public var temperature = 0.8
    public var topK = 200
    // runtime
    public var seed = 1337                  // any integer (negative ones wrap to 64 bits, as torch.manual_seed)
    public var dtype = "float32"            // float32 | bfloat16 (autocast)
    public var device = "cpu"
    public var threads = 0                  // 0: libtorch's default

    public init() {}

    /// The GPT settings when the model is GPT (the presets' model); setting it makes the model GPT.
    public var gpt: GPTConfig {
        get { model.configuration as? GPTConfig ?? GPTConfig.defaults }
        set { model = ModelSpec(name: "gpt", newValue) }
    }

    /// The window the trainer cuts from the token stream: the model's context.
    public var blockSize: Int { model.configuration.contextLength }

    /// The seed as libtorch takes it (two's complement for negative values, as torch.manual_seed).
    public var seedBits: UInt64 { UInt64(bitPattern: Int64(seed)) }

    /// Tokens per optimizer step (batch × block × accumulation); nil when the product does not fit.
    public var tokensPerIteration: Int? {
        let (bt, o1) = batchSize.multipliedReportingOverflow(by: blockSize)
        let (all, o2) = bt.multipliedReportingOverflow(by: gradientAccumulationSteps)
        return o1 || o2 ? nil : all
    }
}

// MARK: the trainer's keys

extension TrainConfig {
    static let schema = SettingsSchema<TrainConfig>([
        .string("data", \.data), .string("tokenizer", \.tokenizer), .double("val_fraction", \.valFraction),
        .string("init_from", \.initFrom), .string("data_layout", \.dataLayout), .string("bos_token", \.bosToken),
        .string("eos_token", \.eosToken), .string("pad_token", \.padToken),
        .int("batch_size", \.batchSize), .int("gradient_accumulation_steps", \.gradientAccumulationSteps),
        .int("max_iters", \.maxIters), .double("learning_rate", \.learningRate), .double("min_lr", \.minLR),
        .int("warmup_iters", \.warmupIters), .int("lr_decay_iters", \.lrDecayIters), .bool("decay_lr", \.decayLR),
        .string("lr_schedule", \.lrSchedule),
        .double("beta1", \.beta1), .double("beta2", \.beta2), .double("weight_decay", \.weightDecay),
        .double("grad_clip", \.gradClip), .string("loss", \.loss), .bool("orthogonal", \.orthogonal),
        .string("orthogonal_skip", \.orthogonalSkip), .bool("orthogonal_skip_1d", \.orthogonalSkip1D),
        .double("label_smoothing", \.labelSmoothing), .string("param_groups", \.paramGroups), .double("ema_decay", \.emaDecay),
        .int("stability_interval", \.stabilityInterval), .int("stability_window", \.stabilityWindow),
        .int("eval_interval", \.evalInterval), .int("eval_iters", \.evalIters), .bool("eval_full", \.evalFull),
        .int("log_interval", \.logInterval), .int("checkpoint_interval", \.checkpointInterval),
        .int("keep_checkpoints", \.keepCheckpoints), .int("sample_tokens", \.sampleTokens),
        .double("temperature", \.temperature), .int("top_k", \.topK),
        .int("seed", \.seed), .string("dtype", \.dtype), .string("device", \.device), .int("threads", \.threads),
    ])

    /// The trainer's keys, "model", and the current model's keys.
    public var keys: [String] { Self.schema.keys + ["model"] + model.keys }

    /// Sets one key from a parsed value (TOML/JSON) or `--set` text, with type checking. `model.KEY` names a
    /// model key explicitly; `model` switches the model (to its defaults).
    public mutating func set(_ key: String, _ value: Any, source: String) throws {
        if key == "model" {
            guard let name = value as? String else { throw ConfigError("\(source): 'model' must be a model name (\(ModelRegistry.names.joined(separator: ", "))), got \(value)") }
            if name != model.name { model = try ModelSpec(name) }
            return
        }
        if key.hasPrefix("model.") {
            let inner = String(key.dropFirst("model.".count))
            if inner == "name" { return try set("model", value, source: source) }
            guard model.has(inner) else { throw ConfigError(unknownSettingMessage(inner, source: source, known: model.keys)) }
            return try model.set(inner, value, source: source)
        }
        if Self.schema.field(key) != nil { return try Self.schema.set(key, value, on: &self, source: source) }
        if model.has(key) { return try model.set(key, value, source: source) }
        throw ConfigError(unknownSettingMessage(key, source: source, known: keys))
    }

    /// Applies `key=value` (the value parsed by the key's type).
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError("--set \(text): expected key=value, e.g. --set max_iters=500")
        }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        try set(key, raw, source: "--set \(key)")
    }

    /// Reads a TOML (`.toml`) or JSON file; keys not given keep their defaults (the model's defaults for its
    /// keys). The model is chosen before any other key is read.
    public static func load(_ path: String) throws -> TrainConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("cannot read config file \(path): no such file or not UTF-8 text")
        }
        var values: [(String, Any)] = []
        if path.hasSuffix(".json") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw ConfigError("\(path): not a JSON object")
            }
            for (key, value) in object {
                if let table = value as? [String: Any] {
                    guard key == "model" else { throw ConfigError("\(path): '\(key)' must be a number, boolean or string") }
                    for (k, v) in table { values.append(("model.\(k)", plain(v))) }
                } else {
                    values.append((key, plain(value)))
                }
            }
        } else {
            let table: TOMLTable
            do { table = try TOMLTable(string: text) } catch { throw ConfigError("\(path): invalid TOML: \(error)") }
            func scalar(_ key: String, _ value: TOMLValueConvertible) throws -> Any {
                if let v = value.int { return v }
                if let v = value.double { return v }
                if let v = value.bool { return v }
                if let v = value.string { return v }
                throw ConfigError("\(path): '\(key)' must be a number, boolean or string (arrays are not settings)")
            }
            for (key, value) in table {
                if let inner = value.table {
                    guard key == "model" else { throw ConfigError("\(path): [\(key)] is not a settings table (only [model] is)") }
                    for (k, v) in inner { values.append(("model.\(k)", try scalar("model.\(k)", v))) }
                } else {
                    values.append((key, try scalar(key, value)))
                }
            }
        }
        // The model first (it decides which keys exist), then the rest in a fixed order.
        func isModelName(_ key: String) -> Bool { key == "model" || key == "model.name" }
        var config = TrainConfig()
        for (key, value) in values where isModelName(key) { try config.set(key, value, source: path) }
        for (key, value) in values.filter({ !isModelName($0.0) }).sorted(by: { $0.0 < $1.0 }) {
            try config.set(key, value, source: path)
        }
        return config
    }

    /// Every setting by key, for config.json and reports: the trainer's, "model", the model's.
    public var dictionary: [String: Any] {
        var out: [String: Any] = [:]
        for (key, value) in Self.schema.values(of: self) { out[key] = value.any }
        out["model"] = model.name
        for (key, value) in model.values { out[key] = value.any }
        return out
    }

    public func jsonData() -> Data {
        (try? JSONSerialization.data(withJSONObject: dictionary, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// Problems that make the run impossible, as messages that say what to fix. Every number is range-checked
    /// here, so a bad setting stops before any work (and never reaches libtorch as a NaN or an overflow).
    public func problems() -> [String] {
        var out: [String] = []
        if data.isEmpty { out.append("no training data: set data = \"path/to/text.txt\" (or --set data=...)") }
        for (name, v) in [("batch_size", batchSize), ("max_iters", maxIters), ("gradient_accumulation_steps", gradientAccumulationSteps),
                          ("eval_iters", evalIters), ("log_interval", logInterval), ("keep_checkpoints", keepCheckpoints)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        for (name, v) in [("warmup_iters", warmupIters), ("lr_decay_iters", lrDecayIters), ("eval_interval", evalInterval),
                          ("checkpoint_interval", checkpointInterval), ("sample_tokens", sampleTokens), ("top_k", topK),
                          ("threads", threads)] where v < 0 {
            out.append("\(name) must be 0 or more, got \(v)")
        }
        for (name, v) in [("learning_rate", learningRate), ("min_lr", minLR), ("weight_decay", weightDecay), ("grad_clip", gradClip)]
            where !(v.isFinite && v >= 0) {
            out.append("\(name) must be a finite number ≥ 0, got \(v)")
        }
        for (name, v) in [("beta1", beta1), ("beta2", beta2)] where !(v >= 0 && v < 1) {
            out.append("\(name) must be in [0, 1), got \(v)")
        }
        if !(labelSmoothing >= 0 && labelSmoothing < 1) { out.append("label_smoothing must be in [0, 1), got \(labelSmoothing)") }
        if !(emaDecay >= 0 && emaDecay < 1) { out.append("ema_decay must be in [0, 1) (0: no EMA), got \(emaDecay)") }
        if stabilityInterval < 0 { out.append("stability_interval must be 0 or more, got \(stabilityInterval)") }
        if stabilityWindow <= 0 { out.append("stability_window must be positive, got \(stabilityWindow)") }
        do { _ = try ParameterGroupRule.parse(paramGroups) } catch { out.append("\(error)") }
        if !(temperature.isFinite && temperature > 0) { out.append("temperature must be a finite number > 0, got \(temperature)") }
        if !["float32", "bfloat16"].contains(dtype) { out.append("dtype must be float32 or bfloat16, got \(dtype)") }
        if LossKind(rawValue: loss) == nil { out.append("loss must be softmax, stablemax or log_stablemax, got \(loss)") }
        if !(valFraction >= 0 && valFraction < 1) { out.append("val_fraction must be in [0, 1), got \(valFraction)") }
        if !["packed", "padded"].contains(dataLayout) { out.append("data_layout must be packed or padded, got \(dataLayout)") }
        if !["cosine", "minimind"].contains(lrSchedule) { out.append("lr_schedule must be cosine or minimind, got \(lrSchedule)") }
        if warmupIters > lrDecayIters && decayLR && lrSchedule == "cosine" { out.append("warmup_iters (\(warmupIters)) exceeds lr_decay_iters (\(lrDecayIters))") }
        if batchSize > 0 && gradientAccumulationSteps > 0 && blockSize > 0 {
            if let tokens = tokensPerIteration, tokens <= 1 << 40 {} else {
                out.append("batch_size × block_size × gradient_accumulation_steps (\(batchSize) × \(blockSize) × \(gradientAccumulationSteps)) is too large")
            }
        }
        if maxIters > 1 << 40 { out.append("max_iters must be at most 2^40, got \(maxIters)") }
        // Loop lengths and sizes that can only be typos (they would run for ages or exhaust memory, not fail).
        for (name, v, limit) in [("eval_iters", evalIters, 1_000_000), ("sample_tokens", sampleTokens, 1_000_000),
                                 ("threads", threads, 4096)] where v > limit {
            out.append("\(name) must be at most \(limit), got \(v)")
        }
        if batchSize > 0, blockSize > 0, batchSize.multipliedReportingOverflow(by: blockSize).overflow || batchSize * blockSize > 1 << 24 {
            out.append("batch_size × block_size (\(batchSize) × \(blockSize)) is over 2^24 tokens per micro-batch; use gradient_accumulation_steps for bigger batches")
        }
        var shape = model.configuration
        if shape.vocabSize == 0 { shape.vocabSize = 1 }   // 0 follows the tokenizer: its size is known only at start
        out += shape.problems()
        return out
    }
}

/// JSON numbers arrive as NSNumber: booleans become Bool, integers Int, the rest Double.
private func plain(_ value: Any) -> Any {
    guard let n = value as? NSNumber else { return value }
    let type = String(cString: n.objCType)
    if type == "c" { return n.boolValue }
    if type == "d" || type == "f" { return n.doubleValue }
    return n.intValue
}
