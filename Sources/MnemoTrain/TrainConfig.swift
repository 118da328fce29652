// TrainConfig.swift — every setting of a training run, with nanoGPT's names, read from TOML or JSON and
// overridden by `--set key=value`. Unknown keys and wrong types stop with a message that says what to fix.
import Foundation
import MnemoModels
import TOMLKit
import TorchNN

public struct TrainConfig: Sendable, Equatable {
    // data
    public var data = ""                    // a text/jsonl file (tokenized on the fly, 90/10 split) or a folder from `mnemo data prepare`
    public var tokenizer = "char"           // for raw text: char | gpt2:DIR | hf:PATH/tokenizer.json
    public var valFraction = 0.1            // nanoGPT's last 10% for validation
    // model (GPT)
    public var nLayer = 4
    public var nHead = 4
    public var nEmbd = 128
    public var blockSize = 64
    public var vocabSize = 0                // 0: the tokenizer's vocabulary size
    public var dropout = 0.0
    public var bias = false
    public var geluApproximate = false
    // optimisation
    public var batchSize = 12
    public var gradientAccumulationSteps = 1
    public var maxIters = 2000
    public var learningRate = 1e-3
    public var minLR = 1e-4
    public var warmupIters = 100
    public var lrDecayIters = 2000
    public var decayLR = true
    public var beta1 = 0.9
    public var beta2 = 0.99
    public var weightDecay = 0.1            // on ≥2-D parameters only (matmul weights, embeddings)
    public var gradClip = 1.0               // 0 disables clipping
    public var loss = "softmax"             // softmax | stablemax (float64 CE) | log_stablemax (CE in the logits' dtype)
    public var orthogonal = false           // ⊥Grad: remove the gradient's component along the weights before AdamW
    public var orthogonalSkip = ""          // comma-separated name substrings ⊥Grad leaves alone (e.g. "bias,ln_")
    public var orthogonalSkip1D = false     // ⊥Grad leaves 1-D parameters (biases, norm gains) alone
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
    public var seed = 1337
    public var dtype = "float32"            // float32 | bfloat16 (autocast)
    public var device = "cpu"
    public var threads = 0                  // 0: libtorch's default

    public init() {}

    public var model: GPTConfig {
        GPTConfig(blockSize: blockSize, vocabSize: vocabSize, nLayer: nLayer, nHead: nHead, nEmbd: nEmbd,
                  dropout: dropout, bias: bias, geluApproximate: geluApproximate)
    }
}

/// A configuration error: what is wrong and how to fix it.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: fields

extension TrainConfig {
    enum Kind: Sendable { case int, double, bool, string }

    struct Field: Sendable {
        let key: String
        let kind: Kind
        let get: @Sendable (TrainConfig) -> Any
        let set: @Sendable (inout TrainConfig, Any) -> Void
    }

    static func int(_ key: String, _ path: WritableKeyPath<TrainConfig, Int> & Sendable) -> Field {
        Field(key: key, kind: .int, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 as! Int })
    }
    static func double(_ key: String, _ path: WritableKeyPath<TrainConfig, Double> & Sendable) -> Field {
        Field(key: key, kind: .double, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 as! Double })
    }
    static func bool(_ key: String, _ path: WritableKeyPath<TrainConfig, Bool> & Sendable) -> Field {
        Field(key: key, kind: .bool, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 as! Bool })
    }
    static func string(_ key: String, _ path: WritableKeyPath<TrainConfig, String> & Sendable) -> Field {
        Field(key: key, kind: .string, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 as! String })
    }

    static let fields: [Field] = [
        string("data", \.data), string("tokenizer", \.tokenizer), double("val_fraction", \.valFraction),
        int("n_layer", \.nLayer), int("n_head", \.nHead), int("n_embd", \.nEmbd), int("block_size", \.blockSize),
        int("vocab_size", \.vocabSize), double("dropout", \.dropout), bool("bias", \.bias),
        bool("gelu_approximate", \.geluApproximate),
        int("batch_size", \.batchSize), int("gradient_accumulation_steps", \.gradientAccumulationSteps),
        int("max_iters", \.maxIters), double("learning_rate", \.learningRate), double("min_lr", \.minLR),
        int("warmup_iters", \.warmupIters), int("lr_decay_iters", \.lrDecayIters), bool("decay_lr", \.decayLR),
        double("beta1", \.beta1), double("beta2", \.beta2), double("weight_decay", \.weightDecay),
        double("grad_clip", \.gradClip), string("loss", \.loss), bool("orthogonal", \.orthogonal),
        string("orthogonal_skip", \.orthogonalSkip), bool("orthogonal_skip_1d", \.orthogonalSkip1D),
        int("eval_interval", \.evalInterval), int("eval_iters", \.evalIters), bool("eval_full", \.evalFull),
        int("log_interval", \.logInterval), int("checkpoint_interval", \.checkpointInterval),
        int("keep_checkpoints", \.keepCheckpoints), int("sample_tokens", \.sampleTokens),
        double("temperature", \.temperature), int("top_k", \.topK),
        int("seed", \.seed), string("dtype", \.dtype), string("device", \.device), int("threads", \.threads),
    ]

    static var keys: [String] { fields.map(\.key) }

    /// Sets one key from a parsed value (TOML/JSON) with type checking.
    mutating func set(_ key: String, _ value: Any, source: String) throws {
        guard let field = Self.fields.first(where: { $0.key == key }) else {
            let near = Self.keys.filter { $0.contains(key) || key.contains($0) || editDistance($0, key) <= 3 }
            throw ConfigError("\(source): unknown setting '\(key)'" + (near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?)")
                + "; known settings: \(Self.keys.joined(separator: ", "))")
        }
        let converted: Any?
        switch field.kind {
        case .int:
            if let v = value as? Int { converted = v }
            else if let v = value as? Double, v == v.rounded(), Swift.abs(v) < 1e15 { converted = Int(v) }
            else { converted = nil }
        case .double:
            if let v = value as? Double { converted = v } else if let v = value as? Int { converted = Double(v) } else { converted = nil }
        case .bool: converted = value as? Bool
        case .string: converted = value as? String
        }
        guard let v = converted else {
            throw ConfigError("\(source): '\(key)' must be \(field.kind == .int ? "an integer" : field.kind == .double ? "a number" : field.kind == .bool ? "true or false" : "a string"), got \(value)")
        }
        field.set(&self, v)
    }

    /// Applies `key=value` (the value parsed by the key's type).
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError("--set \(text): expected key=value, e.g. --set max_iters=500")
        }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        guard let field = Self.fields.first(where: { $0.key == key }) else {
            try set(key, raw, source: "--set")  // throws the unknown-key message
            return
        }
        let value: Any
        switch field.kind {
        case .int: value = Int(raw) ?? Double(raw).map { $0 as Any } ?? raw
        case .double: value = Double(raw).map { $0 as Any } ?? raw
        case .bool: value = ["true": true, "false": false][raw.lowercased()].map { $0 as Any } ?? raw
        case .string: value = raw
        }
        try set(key, value, source: "--set \(key)")
    }

    /// Reads a TOML (`.toml`) or JSON file; keys not given keep their defaults.
    public static func load(_ path: String) throws -> TrainConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("cannot read config file \(path): no such file or not UTF-8 text")
        }
        var config = TrainConfig()
        let values: [(String, Any)]
        if path.hasSuffix(".json") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw ConfigError("\(path): not a JSON object")
            }
            values = object.map { ($0.key, $0.value is NSNumber && CFGetTypeIDIsBool($0.value) ? (($0.value as! NSNumber).boolValue as Any) : $0.value) }
        } else {
            let table: TOMLTable
            do { table = try TOMLTable(string: text) } catch { throw ConfigError("\(path): invalid TOML: \(error)") }
            values = try table.map { key, value in
                if let v = value.int { return (key, v as Any) }
                if let v = value.double { return (key, v as Any) }
                if let v = value.bool { return (key, v as Any) }
                if let v = value.string { return (key, v as Any) }
                throw ConfigError("\(path): '\(key)' must be a number, boolean or string (tables and arrays are not settings)")
            }
        }
        for (key, value) in values.sorted(by: { $0.0 < $1.0 }) { try config.set(key, value, source: path) }
        return config
    }

    /// Every setting by key, for config.json and reports.
    public var dictionary: [String: Any] {
        Dictionary(uniqueKeysWithValues: Self.fields.map { ($0.key, $0.get(self)) })
    }

    public func jsonData() -> Data {
        (try? JSONSerialization.data(withJSONObject: dictionary, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// Problems that make the run impossible, as messages that say what to fix.
    public func problems() -> [String] {
        var out: [String] = []
        if data.isEmpty { out.append("no training data: set data = \"path/to/text.txt\" (or --set data=...)") }
        for (name, v) in [("batch_size", batchSize), ("max_iters", maxIters), ("gradient_accumulation_steps", gradientAccumulationSteps),
                          ("eval_iters", evalIters), ("log_interval", logInterval)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        if !["float32", "bfloat16"].contains(dtype) { out.append("dtype must be float32 or bfloat16, got \(dtype)") }
        if LossKind(rawValue: loss) == nil { out.append("loss must be softmax, stablemax or log_stablemax, got \(loss)") }
        if !(0..<1).contains(valFraction) { out.append("val_fraction must be in [0, 1), got \(valFraction)") }
        if warmupIters > lrDecayIters && decayLR { out.append("warmup_iters (\(warmupIters)) exceeds lr_decay_iters (\(lrDecayIters))") }
        return out
    }
}

private func CFGetTypeIDIsBool(_ value: Any) -> Bool {
    guard let n = value as? NSNumber else { return false }
    return String(cString: n.objCType) == "c"
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...Swift.max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...Swift.max(b.count, 1) where !b.isEmpty {
            let current = row[j]
            row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}
