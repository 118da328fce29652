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
import MnemoSupport
import TOMLKit
import Torch
import TorchNN

public typealias ConfigError = MnemoModels.ConfigError

/// How documents become training examples.
public enum DataLayout: String, CaseIterable, Sendable {
    case packed     // nanoGPT: documents run together, windows cut anywhere
    case padded     // MiniMind: one row per document, padded, the loss masked on padding
    case preference // DPO: {"prompt", "chosen", "rejected"} per line, a chosen and a rejected row per pair
    case chat       // SFT: conversations or Alpaca instructions in ChatML, the loss on the assistant turns only
}

/// What a step minimises.
public enum ObjectiveKind: String, CaseIterable, Sendable {
    case nextToken = "next_token"   // cross-entropy on the next token (pretraining, SFT)
    case dpo                        // Direct Preference Optimization against the frozen starting weights
}

/// The learning-rate schedule when decay_lr is on.
public enum LearningRateScheduleKind: String, CaseIterable, Sendable {
    case cosine     // nanoGPT: linear warmup, cosine to min_lr
    case minimind   // lr/10 + lr/2·(1 + cos(π t / lr_decay_iters)), no warmup
}

/// The optimizer.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case adamw      // decoupled weight decay (torch.optim.AdamW)
    case sgd        // with momentum and L2 weight decay (torch.optim.SGD)
}

/// The dtype the forward pass computes in.
public enum ComputeDType: String, CaseIterable, Sendable {
    case float32
    case bfloat16   // autocast: matmuls in bf16, reductions and the loss in float32
}

/// Who computes float32 linear layers on the CPU: libtorch's BLAS (MKL in the torch wheel, as PyTorch eager) or oneDNN.
public enum CPUMatmul: String, CaseIterable, Sendable {
    case blas
    case onednn     // Runtime.oneDNNKernels: linear layers and short causal attention on oneDNN (same float32 arithmetic)
}

public struct TrainConfig: Sendable, Equatable {
    // data
    public var data = ""                    // a text/jsonl file (tokenized on the fly, 90/10 split) or a folder from `mnemo data prepare`
    public var tokenizer = "char"           // for raw text: char | gpt2:DIR | hf:PATH/tokenizer.json
    public var valFraction = 0.1            // nanoGPT's last 10% for validation
    public var dataSeed = 0                 // the split or streams of a generated task (data = "modular:add:113", "recall")
    public var dataLayout = DataLayout.packed  // packed (nanoGPT: windows anywhere in the stream) | padded (MiniMind: a row per document)
    public var bosToken = "<|im_start|>"    // padded rows: bos + text + eos, padded with pad (the special tokens
    public var eosToken = "<|im_end|>"      // MiniMind's tokenizer_config.json names: ids 1, 2 and 0)
    public var padToken = "<|endoftext|>"
    // the model: its registry name and its own settings (GPT: n_layer, n_head, n_embd, block_size, vocab_size, …)
    public var model: ModelSpec = try! ModelSpec("gpt")
    public var initFrom = ""                // a Hugging Face folder or a Mnemo run to start from (InitFrom); "": scratch
    // optimisation
    public var batchSize = 12
    public var gradientAccumulationSteps = 1
    public var maxIters = 2000
    public var learningRate = 1e-3
    public var minLR = 1e-4
    public var warmupIters = 100
    public var lrDecayIters = 2000
    public var decayLR = true               // false: a constant learning_rate (no warmup), as nanoGPT
    public var lrSchedule = LearningRateScheduleKind.cosine   // cosine | minimind (LearningRateScheduleKind)
    public var optimizer = OptimizerKind.adamw
    public var beta1 = 0.9
    public var beta2 = 0.99
    public var adamEps = 1e-8               // AdamW's ε (the grokking paper: 1e-25, so ε never limits the step)
    public var momentum = 0.0               // SGD's momentum
    public var weightDecay = 0.1            // on ≥2-D parameters only (matmul weights, embeddings)
    public var gradClip = 1.0               // 0 disables clipping
    public var loss = LossKind.softmax      // softmax | stablemax (float64 CE) | log_stablemax (CE in the logits' dtype)
    public var orthogonal = false           // ⊥Grad: remove the gradient's component along the weights before AdamW
    public var orthogonalSkip: [String] = []  // name substrings ⊥Grad leaves alone (["bias", "ln_"], or "bias,ln_")
    public var orthogonalSkip1D = false     // ⊥Grad leaves 1-D parameters (biases, norm gains) alone
    public var fused = false                // the head's cross-entropy in chunks (FusedLossModel): softmax, next-token only
    public var labelSmoothing = 0.0         // ε of the training objective (StabilizedLoss's label-smoothed KL: the same
                                            // gradients); evaluation and the logged train_loss stay plain cross-entropy
    public var paramGroups = ""             // "NAME:lr=…,wd=…,clip=…; …" (ParameterGroupRules.swift): own lr, decay, clipping
    public var emaDecay = 0.0               // > 0: parameter EMA (0.999), evaluation and samples on the averaged weights
    public var chatTemplate = "chatml"      // data_layout = chat: chatml (built in) | tokenizer (the tokenizer folder's
                                            // tokenizer_config.json) | a path to a tokenizer_config.json
    public var objective = ObjectiveKind.nextToken  // next_token | dpo (with data_layout = "preference")
    public var dpoBeta = 0.1                // DPO's β: how far from the reference the policy may move
    public var hooks: [String] = []         // hooks by name (HookRegistry): ["grad_norm:wte", "weight_norm:lm_head"]
    // LoRA (peft's LoraConfig): 0 trains every parameter; > 0 freezes them and trains a rank-r adapter on each
    // Linear whose name (the last part of its path) is in lora_targets
    public var loraRank = 0
    public var loraAlpha = 16.0             // scale = lora_alpha / lora_rank
    public var loraDropout = 0.0            // on the adapter's input, in training
    public var loraTargets = ["q_proj", "v_proj", "c_attn"]   // MiniMind/Llama's q and v, GPT's fused qkv
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
    public var tensorboard = true           // also write TensorBoard event files (scalars, samples) beside metrics.jsonl
    // runtime
    public var seed = 1337                  // any integer (negative ones wrap to 64 bits, as torch.manual_seed)
    public var dtype = ComputeDType.float32 // float32 | bfloat16 (autocast)
    public var device = Device.cpu          // cpu | cuda | cuda:N
    public var threads = 0                  // 0: libtorch's default
    public var cpuMatmul = CPUMatmul.blas   // blas | onednn: who runs float32 linear layers on the CPU

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
        .string("data", \.data).frozen, .string("tokenizer", \.tokenizer).frozen, .double("val_fraction", \.valFraction, .fraction).frozen,
        .string("init_from", \.initFrom).frozen, .choice("data_layout", \.dataLayout).frozen, .string("bos_token", \.bosToken).frozen,
        .string("eos_token", \.eosToken).frozen, .string("pad_token", \.padToken).frozen,
        .int("batch_size", \.batchSize, .positive), .int("gradient_accumulation_steps", \.gradientAccumulationSteps, .positive),
        .int("max_iters", \.maxIters, .positive.atMost(1 << 40)), .double("learning_rate", \.learningRate, .nonNegative),
        .double("min_lr", \.minLR, .nonNegative), .int("warmup_iters", \.warmupIters, .nonNegative),
        .int("lr_decay_iters", \.lrDecayIters, .nonNegative), .bool("decay_lr", \.decayLR),
        .choice("lr_schedule", \.lrSchedule), .choice("optimizer", \.optimizer).frozen, .double("adam_eps", \.adamEps, .positive),
        .double("momentum", \.momentum, .fraction), .int("data_seed", \.dataSeed).frozen,
        .double("beta1", \.beta1, .fraction), .double("beta2", \.beta2, .fraction),
        .double("weight_decay", \.weightDecay, .nonNegative),
        .double("grad_clip", \.gradClip, .nonNegative), .choice("loss", \.loss).frozen, .bool("orthogonal", \.orthogonal).frozen,
        .strings("orthogonal_skip", \.orthogonalSkip).frozen, .bool("orthogonal_skip_1d", \.orthogonalSkip1D).frozen,
        .double("label_smoothing", \.labelSmoothing, .fraction), .string("param_groups", \.paramGroups), .bool("fused", \.fused),
        .double("ema_decay", \.emaDecay, SettingRange.fraction.zero(means: "no EMA")),
        .strings("hooks", \.hooks), .choice("objective", \.objective).frozen, .string("chat_template", \.chatTemplate).frozen, .double("dpo_beta", \.dpoBeta, .positive),
        .int("lora_rank", \.loraRank, SettingRange.nonNegative.atMost(65_536)).frozen, .double("lora_alpha", \.loraAlpha, .positive).frozen,
        .double("lora_dropout", \.loraDropout, .fraction), .strings("lora_targets", \.loraTargets).frozen,
        .int("stability_interval", \.stabilityInterval, .nonNegative), .int("stability_window", \.stabilityWindow, .positive),
        .int("eval_interval", \.evalInterval, .nonNegative), .int("eval_iters", \.evalIters, .positive.atMost(1_000_000)),
        .bool("eval_full", \.evalFull),
        .int("log_interval", \.logInterval, .positive), .int("checkpoint_interval", \.checkpointInterval, .nonNegative),
        .int("keep_checkpoints", \.keepCheckpoints, .positive), .int("sample_tokens", \.sampleTokens, .nonNegative.atMost(1_000_000)),
        .double("temperature", \.temperature, .positive), .int("top_k", \.topK, .nonNegative), .bool("tensorboard", \.tensorboard),
        .int("seed", \.seed).frozen, .choice("dtype", \.dtype), .parsed("device", \.device, expected: "cpu, cuda or cuda:N", parse: { Device($0) }, text: \.description).frozen,
        .int("threads", \.threads, .nonNegative.atMost(4096)), .choice("cpu_matmul", \.cpuMatmul),
    ])

    /// Settings a resumed run may not change (fields marked `.frozen` in the schema, and the model), beside the
    /// model's own keys.
    public static var frozenOnResume: [String] { schema.fields.filter(\.frozenOnResume).map(\.key) + ["model"] }

    /// Stops when `self` (a resumed run's settings with its overrides) changes a frozen setting of `saved`.
    public func checkResumable(from saved: TrainConfig, run: String) throws {
        let before = saved.dictionary, after = dictionary
        let changed = (Self.frozenOnResume + saved.model.keys).filter { key in
            "\(before[key] ?? "")" != "\(after[key] ?? "")"
        }.sorted()
        guard changed.isEmpty else {
            throw ConfigError("cannot change \(changed.joined(separator: ", ")) when resuming \(run): the checkpoint was made with \(changed.map { "\($0) = \(saved.value(of: $0))" }.joined(separator: ", ")); start a new run (--out) to change them")
        }
    }

    /// A setting's value as config.json writes it (for messages).
    func value(of key: String) -> String {
        if let value = Self.schema.values(of: self).first(where: { $0.key == key })?.value { return value.description }
        if key == "model" { return model.name }
        return model.value(key)?.description ?? ""
    }

    /// The trainer's keys, "model", and the current model's keys.
    public var keys: [String] { Self.schema.keys + ["model"] + model.keys }

    /// Sets one key from a parsed value (TOML/JSON) or `--set` text, with type checking. `model.KEY` names a
    /// model key explicitly; `model` switches the model (to its defaults).
    public mutating func set(_ key: String, _ value: Any, source: String) throws {
        if key == "model" {
            let text = (value as? CommandLineText).map { $0.unquoted ?? $0.text } ?? value as? String
            guard let name = text else { throw ConfigError("\(source): 'model' must be a model name (\(ModelRegistry.names.joined(separator: ", "))), got \(value)") }
            if name != model.name { model = try ModelSpec(name) }
            return
        }
        if key.hasPrefix("model.") {
            let inner = String(key.dropFirst("model.".count))
            if inner == "name" { return try set("model", value, source: source) }
            if !model.has(inner) && Self.contextLengthAliases.contains(inner) { return try model.set(model.contextLengthKey, value, source: source) }
            guard model.has(inner) else { throw ConfigError(unknownSettingMessage(inner, source: source, known: model.keys)) }
            return try model.set(inner, value, source: source)
        }
        if key == "param_groups", let rules = value as? [Any] { return try set(key, try ParameterGroupRule.text(of: rules), source: source) }
        if Self.schema.field(key) != nil { return try Self.schema.set(key, value, on: &self, source: source) }
        if model.has(key) { return try model.set(key, value, source: source) }
        if Self.contextLengthAliases.contains(key) { return try model.set(model.contextLengthKey, value, source: source) }
        throw ConfigError(unknownSettingMessage(key, source: source, known: keys))
    }

    /// The one key for the window on every model: `context_length` (nanoGPT's block_size works on every model too;
    /// each model's own name — block_size, max_seq_len — stays).
    public static let contextLengthAliases = ["context_length", "block_size"]

    /// Whether `key` names a setting of this run (the trainer's, the model's, or "model").
    func knows(_ key: String) -> Bool {
        let bare = key.hasPrefix("model.") ? String(key.dropFirst("model.".count)) : key
        return key == "model" || bare == "name" || Self.contextLengthAliases.contains(bare) || Self.schema.field(bare) != nil
            || model.has(bare)
    }

    /// The message for keys no setting of this run has, all at once: which other model owns each, or the nearest keys.
    func strayKeysMessage(_ stray: [String], source: String) -> String {
        let lines = stray.map { key -> String in
            let bare = key.hasPrefix("model.") ? String(key.dropFirst("model.".count)) : key
            let owners = ModelRegistry.all.filter { $0.keys.contains(bare) }.map(\.name)
            if !owners.isEmpty {
                return "'\(key)' is a setting of model \(owners.joined(separator: " / ")), not of \(model.name) (set model = \"\(owners[0])\" to use it)"
            }
            let near = keys.filter { $0.contains(bare) || bare.contains($0) || editDistance($0, bare) <= 2 }
            return "'\(key)'" + (near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?)")
        }
        return "\(source): \(stray.count == 1 ? "unknown setting" : "\(stray.count) unknown settings") for model \(model.name):\n  "
            + lines.joined(separator: "\n  ") + "\nknown settings: \(keys.joined(separator: ", "))"
    }

    /// Applies `key=value` (the value parsed by the key's type).
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError("--set \(text): expected key=value, e.g. --set max_iters=500")
        }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        try set(key, CommandLineText(raw), source: "--set \(key)")
    }

    /// Reads a TOML (`.toml`) or JSON file; keys not given keep their defaults (the model's defaults for its
    /// keys). The model is chosen before any other key is read; keys that are no setting of the run are all named
    /// in one error.
    public static func load(_ path: String) throws -> TrainConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("cannot read config file \(path): no such file or not UTF-8 text")
        }
        var values: [(String, Any)] = []
        func add(_ key: String, _ value: Any) throws {
            guard let table = value as? [String: Any] else { return values.append((key, value)) }
            guard key == "model" else {
                throw ConfigError("\(path): '\(key)' is a table; the only settings table is [model] (param_groups takes an array of tables)")
            }
            for (k, v) in table { values.append(("model.\(k)", v)) }
        }
        if path.hasSuffix(".json") {
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(text, options: .python) } catch {
                throw ConfigError("\(path): not valid JSON: \(error)")
            }
            guard case .object(let members) = parsed else { throw ConfigError("\(path): not a JSON object") }
            for member in members { try add(member.key, try plain(member.value, key: member.key, path: path)) }
        } else {
            let table: TOMLTable
            do { table = try TOMLTable(string: text) } catch { throw ConfigError("\(path): invalid TOML: \(error)") }
            for (key, value) in table { try add(key, try plain(value, key: key, path: path)) }
        }
        // The model first (it decides which keys exist), then the rest in a fixed order.
        func isModelName(_ key: String) -> Bool { key == "model" || key == "model.name" }
        var config = TrainConfig()
        for (key, value) in values where isModelName(key) { try config.set(key, value, source: path) }
        let rest = values.filter { !isModelName($0.0) }.sorted { $0.0 < $1.0 }
        let stray = rest.map(\.0).filter { !config.knows($0) }
        guard stray.isEmpty else { throw ConfigError(config.strayKeysMessage(stray, source: path)) }
        for (key, value) in rest { try config.set(key, value, source: path) }
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
        (try? JSONSerialization.data(withJSONObject: dictionary, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Settings that are allowed but probably not meant, as messages (printed when a run starts).
    public func warnings() -> [String] {
        var out: [String] = []
        if decayLR && lrSchedule == .cosine && warmupIters > maxIters {
            out.append("warmup_iters (\(warmupIters)) is longer than the run (max_iters \(maxIters)): the learning rate never reaches learning_rate")
        }
        return out
    }

    /// Problems that make the run impossible, as messages that say what to fix. Every number is range-checked
    /// here, so a bad setting stops before any work (and never reaches libtorch as a NaN or an overflow).
    public func problems() -> [String] {
        var out: [String] = []
        if data.isEmpty { out.append("no training data: set data = \"path/to/text.txt\" (or --set data=...)") }
        out += Self.schema.problems(of: self)   // every number against the range its key declares
        if (objective == .dpo) != (dataLayout == .preference) {
            out.append("objective = \"dpo\" and data_layout = \"preference\" go together (DPO trains on preference pairs)")
        }
        do { _ = try ParameterGroupRule.parse(paramGroups) } catch { out.append("\(error)") }
        if warmupIters > lrDecayIters && decayLR && lrSchedule == .cosine { out.append("warmup_iters (\(warmupIters)) exceeds lr_decay_iters (\(lrDecayIters))") }
        if batchSize > 0 && gradientAccumulationSteps > 0 && blockSize > 0 {
            if let tokens = tokensPerIteration, tokens <= 1 << 40 {} else {
                out.append("batch_size × block_size × gradient_accumulation_steps (\(batchSize) × \(blockSize) × \(gradientAccumulationSteps)) is too large")
            }
        }
        // (loop lengths and sizes that can only be typos — eval_iters, sample_tokens, threads — have upper bounds
        // in the schema: they would run for ages or exhaust memory, not fail)
        if batchSize > 0, blockSize > 0, batchSize.multipliedReportingOverflow(by: blockSize).overflow || batchSize * blockSize > 1 << 24 {
            out.append("batch_size × block_size (\(batchSize) × \(blockSize)) is over 2^24 tokens per micro-batch; use gradient_accumulation_steps for bigger batches")
        }
        var shape = model.configuration
        if shape.vocabSize == 0 { shape.vocabSize = 1 }   // 0 follows the tokenizer: its size is known only at start
        out += shape.problems()
        return out
    }
}

/// A JSON value as a setting takes it: Int, Double, Bool, String, [Any], [String: Any].
private func plain(_ value: JSONValue, key: String, path: String) throws -> Any {
    switch value {
    case .integer(let v): return v
    case .number: return value.double ?? .nan
    case .bool(let v): return v
    case .string(let v): return v
    case .array(let items): return try items.map { try plain($0, key: key, path: path) }
    case .object(let members):
        return Dictionary(try members.map { ($0.key, try plain($0.value, key: key, path: path)) }, uniquingKeysWith: { $1 })
    case .null: throw ConfigError("\(path): '\(key)' is null; give a value or leave the key out")
    }
}

/// A TOML value as a setting takes it: Int, Double, Bool, String, [Any], [String: Any].
private func plain(_ value: any TOMLValueConvertible, key: String, path: String) throws -> Any {
    if let v = value.int { return v }
    if let v = value.double { return v }
    if let v = value.bool { return v }
    if let v = value.string { return v }
    if let array = value.array { return try array.map { try plain($0, key: key, path: path) } }
    if let table = value.table {
        var out: [String: Any] = [:]
        for (k, v) in table { out[k] = try plain(v, key: "\(key).\(k)", path: path) }
        return out
    }
    throw ConfigError("\(path): '\(key)' must be a number, boolean, string, array or table (dates are not settings)")
}
