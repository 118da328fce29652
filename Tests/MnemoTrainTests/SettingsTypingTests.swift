// SettingsTypingTests.swift — typed settings: choices parsed once, lists and tables from TOML, `--set` values written
// as in a config file, one context_length key, every stray key named at once, warnings.
import Foundation
import Testing
import TorchNN
@testable import MnemoModels
@testable import MnemoTrain

@Suite struct SettingsTypingTests {
    func write(_ text: String, _ name: String) throws -> (dir: String, path: String) {
        let dir = try temporaryFolder("settings")
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (dir, path)
    }

    @Test func setValuesMayBeWrittenAsInTheConfigFile() throws {
        var c = TrainConfig()
        try c.apply(override: "dtype=\"bfloat16\"")          // a TOML string: the quotes are not part of the value
        #expect(c.dtype == .bfloat16)
        try c.apply(override: "data='runs/a b.txt'")
        #expect(c.data == "runs/a b.txt")
        try c.apply(override: "orthogonal_skip=[\"bias\", 'ln_']")
        #expect(c.orthogonalSkip == ["bias", "ln_"])
        try c.apply(override: "orthogonal_skip=bias,wpe")    // the comma form keeps working
        #expect(c.orthogonalSkip == ["bias", "wpe"])
        try c.apply(override: "hooks=grad_norm:wte,weight_norm:lm_head")
        #expect(c.hooks == ["grad_norm:wte", "weight_norm:lm_head"])
        #expect { try c.apply(override: "dtype=float16") } throws: { "\($0)".contains("must be one of float32, bfloat16, got float16") }
        try c.apply(override: "device=cuda")                // parsed once, when read
        #expect(c.device == .cuda(0) && "\(c.dictionary["device"]!)" == "cuda:0")
        #expect { try c.apply(override: "device=gpu") } throws: { "\($0)".contains("'device' must be cpu, cuda or cuda:N, got gpu") }
        #expect { try c.apply(override: "loss=\"sparsemax\"") } throws: { "\($0)".contains("one of softmax, stablemax, log_stablemax") }
    }

    @Test func tomlArraysAndTablesAreSettings() throws {
        let (dir, path) = try write("""
            data = "x.txt"
            loss = "stablemax"
            orthogonal_skip = ["bias", "ln_"]
            hooks = ["grad_norm:wte"]
            [[param_groups]]
            match = "wte"
            lr = 0.5
            clip = 0.25
            [[param_groups]]
            match = "lm_head"
            wd = 0
            """, "run.toml")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try TrainConfig.load(path)
        #expect(c.loss == .stablemax && c.orthogonalSkip == ["bias", "ln_"] && c.hooks == ["grad_norm:wte"])
        let rules = try ParameterGroupRule.parse(c.paramGroups)
        #expect(rules == [ParameterGroupRule(match: "wte", lrScale: 0.5, weightDecay: nil, clip: 0.25),
                          ParameterGroupRule(match: "lm_head", lrScale: 1, weightDecay: 0, clip: nil)])
        // config.json round trip: lists as JSON arrays, choices as their names
        let json = "\(dir)/config.json"
        try c.jsonData().write(to: URL(fileURLWithPath: json))
        #expect(try TrainConfig.load(json) == c)
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains("\"orthogonal_skip\" : [") && text.contains("\"loss\" : \"stablemax\""))
    }

    @Test func contextLengthIsTheWindowOnEveryModel() throws {
        for (model, key) in [("gpt", "block_size"), ("minimind", "max_seq_len"), ("mlp", "block_size")] {
            var c = TrainConfig()
            try c.apply(override: "model=\(model)")
            try c.apply(override: "context_length=48")
            #expect(c.blockSize == 48 && c.model.value(key) == .int(48), "\(model)")
            try c.apply(override: "block_size=40")          // nanoGPT's name works on every model
            try c.apply(override: "model.context_length=40")
            #expect(c.blockSize == 40, "\(model)")
        }
    }

    @Test func everyStrayKeyIsNamedAtOnceWithTheModelThatOwnsIt() throws {
        let (dir, path) = try write("""
            data = "x.txt"
            n_layers = 2
            n_kv_heads = 1
            learnng_rate = 0.1
            """, "stray.toml")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try TrainConfig.load(path)
            Issue.record("stray keys must be refused")
        } catch {
            let message = "\(error)"
            #expect(message.contains("3 unknown settings for model gpt"))
            #expect(message.contains("'n_layers' is a setting of model minimind"))
            #expect(message.contains("'n_kv_heads' is a setting of model minimind"))
            #expect(message.contains("'learnng_rate' (did you mean 'learning_rate'?)"))
        }
    }

    @Test func warmupLongerThanTheRunIsAWarningNotAnError() throws {
        var c = tinyConfig(data: "x.txt")
        c.maxIters = 10; c.warmupIters = 15; c.lrDecayIters = 20
        #expect(c.problems().isEmpty)
        #expect(c.warnings().contains { $0.contains("warmup_iters (15) is longer than the run (max_iters 10)") })
        c.warmupIters = 5
        #expect(c.warnings().isEmpty)
    }

    @Test func aResumedRunRefusesToChangeAFrozenSetting() throws {
        let saved = tinyConfig(data: "x.txt")
        var changed = saved
        try changed.apply(override: "loss=stablemax")
        #expect { try changed.checkResumable(from: saved, run: "runs/r") } throws: { "\($0)".contains("cannot change loss") }
        var longer = saved
        try longer.apply(override: "max_iters=40")
        try longer.checkResumable(from: saved, run: "runs/r")
        // declared per field in the schema (`.frozen`)
        #expect(Set(TrainConfig.frozenOnResume) == ["data", "tokenizer", "val_fraction", "data_seed", "data_layout", "bos_token",
                                                    "eos_token", "pad_token", "model", "init_from", "loss", "optimizer",
                                                    "orthogonal", "orthogonal_skip", "orthogonal_skip_1d", "seed", "device",
                                                    "lora_rank", "lora_alpha", "lora_targets", "objective", "chat_template"])
    }
}

@Suite struct SettingRangeTests {
    @Test func rangesAreDeclaredWithTheirKeysAndCheckedAtOnce() {
        var c = tinyConfig(data: "x.txt")
        #expect(c.problems().isEmpty)
        c.batchSize = 0; c.threads = 5000; c.beta2 = 1; c.adamEps = 0; c.learningRate = .nan; c.emaDecay = -0.5
        let problems = c.problems()
        for message in ["batch_size must be positive, got 0", "threads must be at most 4096, got 5000",
                        "beta2 must be in [0, 1), got 1.0", "adam_eps must be a finite number > 0, got 0.0",
                        "learning_rate must be a finite number ≥ 0, got nan", "ema_decay must be in [0, 1) (0: no EMA), got -0.5"] {
            #expect(problems.contains(message), "\(message) in \(problems)")
        }
        // every numeric key of the trainer declares a range, except the seeds (any integer)
        let unchecked = TrainConfig.schema.fields.filter { [.int, .double].contains($0.kind) && $0.range == nil }.map(\.key)
        #expect(unchecked.sorted() == ["data_seed", "seed"])
    }
}
