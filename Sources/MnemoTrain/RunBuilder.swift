// RunBuilder.swift — a run's set-up in named parts, each a small function the Trainer (and `mnemo sample | eval`,
// the studies, tests) call: the settings as the run uses them, the device, the data, the model, the optimizer with
// its groups and clipping, the learning-rate schedule, the objective, the hooks. The trainer itself only loops.
import Foundation
import MnemoData
import MnemoModels
import MnemoSupport
import Torch
import TorchNN
import TorchOptim

/// The optimizer and what the loop needs of its groups.
public struct OptimizerSetup {
    public let optimizer: any Optimizer
    /// Each optimizer group's learning-rate multiplier, in group order.
    public let lrScales: [Double]
    /// Clipping groups: each param_groups rule with a clip of its own, then "main" under grad_clip ("all" without
    /// rules); max norm 0 means not clipped (the norm is still measured).
    public let clipGroups: [(name: String, parameters: [Tensor], maxNorm: Double)]
}

public enum RunBuilder {
    /// The settings as the run uses them: starting from a Hugging Face folder (GPT-2, Llama, Qwen2, MiniMind) or a
    /// Mnemo run (InitFrom), that model and its shape replace the settings' (the run's dropout kept), so the saved
    /// config.json describes the model as it is; then every problem at once.
    public static func settings(_ given: TrainConfig, resuming: Bool) throws -> TrainConfig {
        var config = given
        if !config.initFrom.isEmpty && !resuming {
            var dropout: Double? = nil
            if case .double(let d) = config.model.value("dropout") ?? .double(0) { dropout = d }
            config.model = try InitFrom.spec(config.initFrom, dropout: dropout)
        }
        let problems = config.problems()
        guard problems.isEmpty else { throw ConfigError(problems.joined(separator: "\n")) }
        return config
    }

    /// The run's device, refused when it is CUDA and the loaded libtorch has none.
    public static func device(_ config: TrainConfig) throws -> Device {
        try checkAvailable(config.device)
        return config.device
    }

    public static func checkAvailable(_ device: Device) throws {
        if case .cuda = device, !Runtime.cudaIsAvailable {
            throw ConfigError("device \(device) asked for, but the loaded libtorch has no CUDA device (\(Runtime.cudaBackendStatus)); point LIBTORCH at a CUDA libtorch (README) or set device = \"cpu\"")
        }
    }

    /// The train and val sources, each checked to be long enough for one example.
    public static func data(_ config: TrainConfig) throws -> TokenData {
        let data = try TokenData.load(config: config)
        for (name, split) in [("train", data.train), ("val", data.val)] {
            if let problem = split.problem(split: name) { throw ConfigError(problem) }
        }
        return data
    }

    /// The model of `spec`, freshly initialised, its vocabulary filled in from the tokenizer when the settings leave it
    /// at 0. Built inside withError: a model too large for memory is an error message, not a crash.
    public static func model(_ spec: ModelSpec, tokenizer: any Tokenizer) throws -> any LanguageModel {
        var spec = spec
        let vocab = tokenizer.vocabularySize
        if spec.configuration.vocabSize == 0 { spec.configuration.vocabSize = vocab }
        guard vocab <= spec.configuration.vocabSize else {
            throw ConfigError("the tokenizer has \(vocab) tokens but vocab_size is \(spec.configuration.vocabSize); raise vocab_size to at least \(vocab) (or set it to 0 to follow the tokenizer)")
        }
        do { return try withError { try spec.build() } } catch let error as TorchError {
            throw ConfigError("cannot build \(spec.name) with \(spec): \(error)")
        }
    }

    /// What a new run does to its model before the first step: init_from's weights (InitFrom), and the documents a
    /// model asks for (DocumentFilledModel: the memory bank's rows), tokenized like the training text.
    public static func prepare(_ model: any LanguageModel, config: TrainConfig, tokenizer: any Tokenizer) throws {
        if !config.initFrom.isEmpty { try InitFrom.loadWeights(config.initFrom, into: model, tokenizer: tokenizer) }
        if let filled = model as? any DocumentFilledModel, let (setting, path) = filled.documentFile {
            let documents: [String]
            do {
                if path.lowercased().hasSuffix(".json") {
                    documents = try KnowledgeFile.sentences(path)   // ExplicitLM's database_init_path: a row per sentence
                } else {
                    documents = try DataPrepare.readCorpus([path]).sources.flatMap(\.documents)
                        .flatMap { $0.split(separator: "\n").map(String.init) }
                }
            } catch { throw ConfigError("\(setting): \(error)") }
            filled.fill(withDocuments: documents.map { tokenizer.encode($0) })
        }
    }

    /// LoRA (lora_rank > 0): an adapter on every Linear whose last path component is in lora_targets, and every
    /// other parameter frozen (requires_grad false: the optimizer never sees it). Called on every build of the run's
    /// model — new, resumed, loaded — before weights are loaded, so checkpoints hold the adapter.
    public static func adapt(_ model: any LanguageModel, config: TrainConfig) throws {
        guard config.loraRank > 0 else { return }
        let linears = model.namedModules().compactMap { entry in (entry.module as? Linear).map { (entry.name, $0) } }
        let targets = linears.filter { config.loraTargets.contains(String($0.0.split(separator: ".").last ?? "")) }
        guard !targets.isEmpty else {
            let names = Set(linears.map { String($0.0.split(separator: ".").last ?? "") }).sorted()
            throw ConfigError("lora_targets \(config.loraTargets) name no Linear of this model; its Linears are \(names.joined(separator: ", "))")
        }
        for (path, layer) in targets {
            guard config.loraRank <= Swift.min(layer.inFeatures, layer.outFeatures) else {
                throw ConfigError("lora_rank \(config.loraRank) exceeds \(path)'s smaller side (\(layer.inFeatures) → \(layer.outFeatures)); a LoRA rank is below both")
            }
            layer.attachLoRA(rank: config.loraRank, alpha: config.loraAlpha, dropout: config.loraDropout)
        }
        for (name, p) in model.namedParameters() where !name.contains(".lora_A.") && !name.contains(".lora_B.") {
            p.requiresGrad = false
        }
    }

    /// Data parallel's limits: CPU (Gloo) only, and no model whose state each rank writes from its own batches.
    public static func checkDataParallel(_ group: ProcessGroup?, model: any LanguageModel, device: Device) throws {
        guard let group else { return }
        if device != .cpu {
            throw ConfigError("data-parallel training (\(group.worldSize) ranks) runs on the CPU through Gloo here; device \(device) needs NCCL, which this build does not have yet — set device = \"cpu\"")
        }
        if let state = model.rankLocalState {
            throw ConfigError("data-parallel training (\(group.worldSize) ranks) would let each rank's \(state) drift apart (it is written from that rank's batches, not averaged); train this model on one process")
        }
    }

    /// AdamW (or SGD) over the model's groups (nanoGPT's: decay on ≥ 2-D tensors only) split by param_groups, each with
    /// the run's betas and ε and its own decay and lr scale; and the clipping groups.
    public static func optimizer(_ config: TrainConfig, model: any LanguageModel) throws -> OptimizerSetup {
        let rules = try ParameterGroupRule.parse(config.paramGroups)
        let trainable = model.parameterGroups().map { group in
            var g = group
            g.parameters = group.parameters.filter { $0.tensor.requiresGrad }     // frozen parameters (LoRA's base) stay out
            return g
        }
        let groups = ParameterGroupRule.apply(rules, to: trainable).filter { !$0.parameters.isEmpty }
        for rule in rules where !groups.contains(where: { $0.name.hasPrefix(rule.match + "/") }) {
            throw ConfigError("param_groups: no parameter name contains \"\(rule.match)\"; names look like \(model.namedParameters().prefix(3).map(\.name).joined(separator: ", "))")
        }
        let parameterGroups = groups.map { g in
            ParameterGroup(params: g.parameters.map(\.tensor), names: g.parameters.map(\.name), lr: config.learningRate * g.lrScale,
                           weightDecay: g.weightDecay ?? config.weightDecay, betas: (config.beta1, config.beta2),
                           eps: config.adamEps, label: g.name)
        }
        let optimizer: any Optimizer = switch config.optimizer {
        case .adamw: AdamW(groups: parameterGroups)
        case .sgd: SGD(groups: parameterGroups, momentum: config.momentum)
        }
        var clipping: [(name: String, parameters: [Tensor], maxNorm: Double)] = []
        for g in groups {
            let rule = rules.first { g.name.hasPrefix($0.match + "/") && $0.clip != nil }
            let name = rule?.match ?? (rules.isEmpty ? "all" : "main"), tensors = g.parameters.map(\.tensor)
            if let i = clipping.firstIndex(where: { $0.name == name }) { clipping[i].parameters += tensors }
            else { clipping.append((name, tensors, rule?.clip ?? config.gradClip)) }
        }
        return OptimizerSetup(optimizer: optimizer, lrScales: groups.map(\.lrScale), clipGroups: clipping)
    }

    /// nanoGPT's warmup + cosine, MiniMind's schedule, or a constant rate (decay_lr = false).
    public static func schedule(_ config: TrainConfig) -> any LearningRateSchedule {
        guard config.decayLR else { return ConstantSchedule(config.learningRate) }
        if config.lrSchedule == .minimind { return MiniMindSchedule(lr: config.learningRate, totalSteps: config.lrDecayIters) }
        return WarmupCosineSchedule(lr: config.learningRate, minLR: config.minLR, warmupSteps: config.warmupIters,
                                    decaySteps: config.lrDecayIters)
    }

    /// Next-token cross-entropy under the run's loss kind and label smoothing, or DPO against the weights the run starts
    /// from: a new run copies them from `model` and keeps them in RUN/reference.safetensors, a resumed or loaded run
    /// reads them back from there.
    public static func objective(_ config: TrainConfig, model: any LanguageModel, tokenizer: any Tokenizer, folder: RunFolder,
                                 resuming: Bool, primary: Bool = true) throws -> any Objective {
        if config.fused {
            guard let fusable = model as? any FusedLossModel else { throw ConfigError("fused = true: \(config.model) has no fused loss") }
            var problems: [String] = []
            if config.objective != .nextToken { problems.append("objective = \(config.objective.rawValue) reads the logits") }
            if config.loss != .softmax { problems.append("loss = \(config.loss.rawValue) is not the softmax cross-entropy") }
            if config.labelSmoothing > 0 { problems.append("label_smoothing needs the logits") }
            if let problem = fusable.fusedLossProblem { problems.append(problem) }
            guard problems.isEmpty else { throw ConfigError("fused = true fuses the head with the softmax cross-entropy of next-token training: " + problems.joined(separator: "; ")) }
            fusable.fusedLoss = true
        }
        switch config.objective {
        case .nextToken:
            return NextTokenObjective(lossKind: config.loss, labelSmoothing: config.labelSmoothing)
        case .dpo:
            let reference = try self.model(config.model, tokenizer: tokenizer)
            try adapt(reference, config: config)
            let path = "\(folder.path)/reference.safetensors"
            if resuming {
                guard FileManager.default.fileExists(atPath: path) else { throw ConfigError("\(folder.path) has no reference.safetensors (DPO's reference weights)") }
                try reference.load(stateDict: try SafeTensorsIO.load(path))
            } else {
                let start = model.stateDict()
                try reference.load(stateDict: start)
                if primary { try SafeTensorsIO.save(start.mapValues { $0.to(.cpu) }, to: path) }
            }
            if let device = model.parameters().first?.device, device != .cpu { reference.to(device) }
            return DPOObjective(reference: reference, beta: config.dpoBeta, lossKind: config.loss)
        }
    }

    /// The hooks every run has, then those its settings ask for: ⊥Grad (orthogonal), data parallel's all-reduce, the
    /// softmax-collapse diagnostics, the model's after-step work, the parameter EMA (ema_decay), the stability
    /// metrics, the residual diagnostics (models with a residual stream), and the config's `hooks` entries.
    public static func hooks(_ config: TrainConfig, model: any LanguageModel, data: TokenData,
                             group: ProcessGroup?, folder: RunFolder? = nil) throws -> [any TrainingHook] {
        var hooks: [any TrainingHook] = []
        if config.orthogonal {
            hooks.append(OrthogonalGradientHook(skipSubstrings: config.orthogonalSkip, skipOneDimensional: config.orthogonalSkip1D))
        }
        if let group { hooks.append(GradientSynchronizationHook(group: group)) }
        hooks.append(SoftmaxCollapseHook(lossKind: config.loss))
        if let observer = model as? any OptimizerStepObserver { hooks.append(ModelUpdateHook(observer)) }
        if config.emaDecay > 0 { hooks.append(ParameterEMA(model: model, decay: config.emaDecay)) }
        hooks.append(StabilityHook(window: config.stabilityWindow, warmup: config.decayLR ? config.warmupIters : 0,
                                   interval: config.stabilityInterval, lastStep: config.maxIters, val: data.val,
                                   batchSize: config.batchSize))
        if let diagnosed = model as? any ResidualDiagnostics {
            hooks.append(ResidualDiagnosticsHook(diagnosed, val: data.val, batchSize: config.batchSize))
        }
        let inputs = HookInputs(model: model, tokenizer: data.tokenizer, config: config, folder: folder)
        for entry in config.hooks { hooks.append(try HookRegistry.make(entry, run: inputs)) }
        return hooks
    }
}
