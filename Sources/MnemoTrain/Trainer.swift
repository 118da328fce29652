// Trainer.swift — the training loop, short and visible (nanoGPT's train.py), for any `LanguageModel`: warmup +
// cosine learning rate, gradient accumulation, the model's auxiliary losses added to the loss and logged with its
// metrics, step hooks (TrainingHook.swift gives their order), clipping with the pre-clip norm logged,
// evaluation (random-batch estimate and an optional full pass over val), samples, atomic checkpoints, and resume
// that continues exactly.
import Foundation
import MnemoData
import MnemoModels
import MnemoReport
import MnemoSupport
import Torch
import TorchNN
import TorchOptim

public final class Trainer {
    public let config: TrainConfig
    public let runDirectory: String
    public let data: TokenData
    public let model: any LanguageModel
    public let optimizer: any Optimizer
    /// Each optimizer group's learning-rate multiplier (the model's `lrScale`), in group order.
    let lrScales: [Double]
    /// Step hooks, sorted by stage (stable: within a stage, in the order added).
    public private(set) var hooks: [any TrainingHook] = []
    /// The loss of (logits, targets) chosen by `loss` (softmax / StableMax cross-entropy), targets -1 ignored.
    let lossFunction: (Tensor, Tensor) -> Tensor
    /// The training objective's loss: `lossFunction` with label_smoothing (the same function without it).
    let smoothedLossFunction: (Tensor, Tensor) -> Tensor
    /// Clipping groups (param_groups rules with a clip of their own, then "main" under grad_clip): names, parameters, max norms.
    let clipGroups: [(name: String, parameters: [Tensor], maxNorm: Double)]
    /// The parameter EMA (ema_decay > 0): evaluation and samples use its weights.
    public let ema: ParameterEMA?
    /// Every run's stability metrics.
    let stability: StabilityTracker
    /// Their fixed held-out batch: drawn once (a generator of its own), on the device.
    lazy var heldOutBatch: (x: Tensor, y: Tensor) = data.val.randomBatch(
        batchSize: config.batchSize, blockSize: config.blockSize, generator: Generator(seed: 20_251_126), device: device,
        rank: rank, ranks: ranks)
    let lossKind: LossKind
    public let device: Device
    let schedule: any LearningRateSchedule
    /// Separate streams so that evaluation never shifts the training batches (and resume can restore each).
    let dataGenerator: Generator
    let evalGenerator: Generator
    let sampleGenerator: Generator
    var state = CheckpointState(step: 0, bestValLoss: nil, elapsedSeconds: 0, tokensSeen: 0)
    /// metrics.jsonl and log.txt: written by rank 0 only (nil on the other ranks of a data-parallel run).
    let metrics: MetricsWriter?
    let log: FileHandle?
    /// Data parallel: the process group (torchrun / Slurm / by hand, ProcessGroup.fromEnvironment); nil alone.
    public let group: ProcessGroup?
    var rank: Int { group?.rank ?? 0 }
    var ranks: Int { group?.worldSize ?? 1 }
    /// Rank 0 (or the only process): the one that writes the run folder, logs, samples and checkpoints.
    public var isPrimary: Bool { rank == 0 }
    /// Print a live progress line (on a terminal) and log lines.
    public var progress = true
    /// Called after each logged step with the metrics line (tests and benches observe the loop through it).
    public var onLog: ((Int, [String: Double]) -> Void)?

    var checkpointRoot: String { "\(runDirectory)/checkpoints" }

    /// Starts a new run in `runDirectory` (created; an existing run there is an error unless it is empty).
    public convenience init(config: TrainConfig, runDirectory: String, group: ProcessGroup? = nil) throws {
        try self.init(config: config, runDirectory: runDirectory, resuming: false, group: group)
    }

    /// Continues the run in `runDirectory` from its latest checkpoint, with its saved config and `overrides`
    /// (`key=value`, as `--set`): more steps, another learning-rate floor or evaluation interval. Settings that
    /// would change what the checkpoint means (the model, the data, the tokenizer, the loss, the seed, the device)
    /// stop with a message naming them. The changed config is saved into the run.
    public static func resume(runDirectory: String, overrides: [String] = [], group: ProcessGroup? = nil) throws -> Trainer {
        let saved = try TrainConfig.load("\(runDirectory)/config.json")
        var config = saved
        for o in overrides { try config.apply(override: o) }
        let frozen = Set(["data", "tokenizer", "val_fraction", "data_layout", "bos_token", "eos_token", "pad_token", "model", "init_from", "loss", "orthogonal", "orthogonal_skip",
                          "orthogonal_skip_1d", "seed", "device"] + saved.model.keys)
        let before = saved.dictionary, after = config.dictionary
        let changed = frozen.filter { key in "\(before[key] ?? "")" != "\(after[key] ?? "")" }.sorted()
        guard changed.isEmpty else {
            throw ConfigError("cannot change \(changed.joined(separator: ", ")) when resuming \(runDirectory): the checkpoint was made with \(changed.map { "\($0) = \(before[$0] ?? "")" }.joined(separator: ", ")); start a new run (--out) to change them")
        }
        let trainer = try Trainer(config: config, runDirectory: runDirectory, resuming: true, group: group)
        if config != saved && trainer.isPrimary { try writeAtomically(config.jsonData(), to: "\(runDirectory)/config.json") }
        return trainer
    }

    init(config given: TrainConfig, runDirectory: String, resuming: Bool, group: ProcessGroup? = nil) throws {
        self.group = group
        let primary = (group?.rank ?? 0) == 0
        var config = given
        // Starting from a Hugging Face folder (GPT-2, Llama, Qwen2, MiniMind): its config.json gives the model and its
        // shape (the run's dropout kept);
        // the saved config.json then describes the model as it is, so resume and sampling rebuild it.
        if !config.initFrom.isEmpty && !resuming {
            var dropout: Double? = nil
            if case .double(let d) = config.model.value("dropout") ?? .double(0) { dropout = d }
            config.model = try HuggingFaceImport.spec(config.initFrom, dropout: dropout)
        }
        let problems = config.problems()
        guard problems.isEmpty else { throw ConfigError(problems.joined(separator: "\n")) }
        self.config = config
        self.runDirectory = runDirectory
        let fm = FileManager.default
        if !resuming, fm.fileExists(atPath: "\(runDirectory)/metrics.jsonl") {
            throw ConfigError("\(runDirectory) already holds a run; resume it with --resume or choose another --out")
        }
        if primary {
            try fm.createDirectory(atPath: "\(runDirectory)/checkpoints", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: "\(runDirectory)/samples", withIntermediateDirectories: true)
        }

        if config.threads > 0 { Runtime.threads = config.threads }
        Random.seed(config.seedBits)
        data = try TokenData.load(config: config)
        var spec = config.model
        let vocab = data.tokenizer.vocabularySize
        if spec.configuration.vocabSize == 0 { spec.configuration.vocabSize = vocab }
        guard vocab <= spec.configuration.vocabSize else {
            throw ConfigError("the tokenizer has \(vocab) tokens but vocab_size is \(spec.configuration.vocabSize); raise vocab_size to at least \(vocab) (or set it to 0 to follow the tokenizer)")
        }
        for (name, split) in [("train", data.train), ("val", data.val)] where split.count <= config.blockSize {
            throw ConfigError("the \(name) split has \(split.count) tokens, not more than block_size \(config.blockSize); use more data or a smaller block_size")
        }
        guard let device = Device(config.device) else {
            throw ConfigError("device '\(config.device)': use cpu, cuda or cuda:N")
        }
        if case .cuda = device, !Runtime.cudaIsAvailable {
            throw ConfigError("device \(config.device) asked for, but the loaded libtorch has no CUDA device (\(Runtime.cudaBackendStatus)); point LIBTORCH at a CUDA libtorch (README) or set device = \"cpu\"")
        }
        self.device = device
        // Built inside withError: a model too large for memory is an error message, not a crash.
        let built: any LanguageModel
        do { built = try withError { try spec.build() } } catch let error as TorchError {
            throw ConfigError("cannot build \(spec.name) with \(spec): \(error)")
        }
        model = built
        if !config.initFrom.isEmpty && !resuming { try HuggingFaceImport.loadWeights(config.initFrom, into: model) }
        if device != .cpu { model.to(device) }
        if let group, device != .cpu {
            throw ConfigError("data-parallel training (\(group.worldSize) ranks) runs on the CPU through Gloo here; device \(config.device) needs NCCL, which this build does not have yet — set device = \"cpu\"")
        }
        if let group, let state = model.rankLocalState {
            throw ConfigError("data-parallel training (\(group.worldSize) ranks) would let each rank's \(state) drift apart (it is written from that rank's batches, not averaged); train this model on one process")
        }

        // The model's groups (nanoGPT's: decay on ≥2-D tensors only), each with the run's betas and its own decay and lr scale.
        let rules = try ParameterGroupRule.parse(config.paramGroups)
        let groups = ParameterGroupRule.apply(rules, to: model.parameterGroups()).filter { !$0.parameters.isEmpty }
        for rule in rules where !groups.contains(where: { $0.name.hasPrefix(rule.match + "/") }) {
            throw ConfigError("param_groups: no parameter name contains \"\(rule.match)\"; names look like \(model.namedParameters().prefix(3).map(\.name).joined(separator: ", "))")
        }
        optimizer = AdamW(groups: groups.map { g in
            ParameterGroup(params: g.parameters.map(\.tensor), names: g.parameters.map(\.name), lr: config.learningRate * g.lrScale,
                           weightDecay: g.weightDecay ?? config.weightDecay, betas: (config.beta1, config.beta2), label: g.name)
        })
        lrScales = groups.map(\.lrScale)
        // clipping groups: each rule with a clip of its own, every other parameter together under grad_clip
        var clipping: [(name: String, parameters: [Tensor], maxNorm: Double)] = []
        for g in groups {
            let rule = rules.first { g.name.hasPrefix($0.match + "/") && $0.clip != nil }
            let name = rule?.match ?? (rules.isEmpty ? "all" : "main"), tensors = g.parameters.map(\.tensor)
            if let i = clipping.firstIndex(where: { $0.name == name }) { clipping[i].parameters += tensors }
            else { clipping.append((name, tensors, rule?.clip ?? config.gradClip)) }
        }
        clipGroups = clipping
        ema = config.emaDecay > 0 ? ParameterEMA(model: model, decay: config.emaDecay) : nil
        lossKind = LossKind(rawValue: config.loss) ?? .softmax
        lossFunction = TorchNN.lossFunction(lossKind, ignoreIndex: -1)
        smoothedLossFunction = config.labelSmoothing > 0 ? TorchNN.lossFunction(lossKind, ignoreIndex: -1, labelSmoothing: config.labelSmoothing)
                                                         : lossFunction
        if !config.decayLR {
            schedule = ConstantSchedule(config.learningRate)
        } else if config.lrSchedule == "minimind" {
            schedule = MiniMindSchedule(lr: config.learningRate, totalSteps: config.lrDecayIters)
        } else {
            schedule = WarmupCosineSchedule(lr: config.learningRate, minLR: config.minLR, warmupSteps: config.warmupIters,
                                            decaySteps: config.lrDecayIters)
        }
        dataGenerator = Generator(seed: config.seedBits)
        evalGenerator = Generator(seed: config.seedBits &+ 1)
        // Batches are drawn on the CPU (the same windows on every device); sampling draws on the model's device,
        // whose multinomial accepts only a generator of its own device.
        sampleGenerator = Generator(seed: config.seedBits &+ 2, device: device)
        var builtIn: [any TrainingHook] = []
        if config.orthogonal {
            builtIn.append(OrthogonalGradientHook(
                skipSubstrings: config.orthogonalSkip.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                skipOneDimensional: config.orthogonalSkip1D))
        }
        if let group { builtIn.append(GradientSynchronizationHook(group: group)) }
        builtIn.append(SoftmaxCollapseHook(lossKind: lossKind))
        hooks = Trainer.ordered(builtIn)

        if resuming {
            guard let folder = Checkpoint.latest(root: "\(runDirectory)/checkpoints") else {
                throw ConfigError("\(runDirectory) has no complete checkpoint to resume from")
            }
            state = try Checkpoint.load(folder: folder, model: model, optimizer: optimizer,
                                        generators: Trainer.checkpointed(dataGenerator, evalGenerator, sampleGenerator, device))
            if let ema {
                let path = "\(folder)/\(ParameterEMA.fileName)"
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ConfigError("\(folder) has no \(ParameterEMA.fileName): the run was not trained with ema_decay; resume it without --set ema_decay")
                }
                try ema.load(try SafeTensorsIO.load(path, device: device))
            }
            if primary { try Trainer.dropMetrics(from: state.step, path: "\(runDirectory)/metrics.jsonl") }
        } else if primary {
            try writeAtomically(config.jsonData(), to: "\(runDirectory)/config.json")
            try RunTokenizer.save(data, into: runDirectory)
        }
        if !resuming, let mini = model as? MiniMind, mini.config.useMemory, !mini.config.memoryFile.isEmpty {
            // the explicit memory bank's rows from a file, tokenized like the training text (before the first step,
            // so the first checkpoint holds them)
            let corpus: DataPrepare.Corpus
            do { corpus = try DataPrepare.readCorpus([mini.config.memoryFile]) } catch {
                throw ConfigError("memory_file: \(error)")
            }
            let documents = corpus.sources.flatMap(\.documents).flatMap { $0.split(separator: "\n").map(String.init) }
            let tokenizer = data.tokenizer
            mini.fillMemory(documents.map { tokenizer.encode($0) })
        }
        stability = StabilityTracker(window: config.stabilityWindow, warmup: config.decayLR ? config.warmupIters : 0,
                                     state: state.stability ?? StabilityState())
        stability.truncate(before: state.step)
        let savedRanks = state.worldSize ?? 1
        state.worldSize = group?.worldSize ?? 1
        if primary {
            let metricsPath = "\(runDirectory)/metrics.jsonl"
            metrics = try MetricsWriter(path: metricsPath, mode: .append)
            let logPath = "\(runDirectory)/log.txt"
            if !fm.fileExists(atPath: logPath) { fm.createFile(atPath: logPath, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: logPath) else { throw ConfigError("cannot write \(logPath)") }
            log = handle
            _ = try? handle.seekToEnd()
        } else {
            metrics = nil
            log = nil
        }
        if let group {
            // every rank starts from rank 0's weights (a fresh init differs per process only if seeds differ; a
            // resumed run loaded the same checkpoint everywhere — broadcast anyway, as DDP does)
            try group.broadcast(model.parameters() + model.namedBuffers().map(\.tensor))
        }
        if resuming && savedRanks != ranks {
            say("resuming a run trained on \(savedRanks) rank(s) with \(ranks): the weights and the optimizer state carry over, "
                + "the global batch becomes \(ranks) × batch_size and the batches differ from an uninterrupted run")
        }
    }

    /// Adds a step hook (see TrainingHook.swift for when each entry point runs).
    public func addHook(_ hook: any TrainingHook) { hooks = Trainer.ordered(hooks + [hook]) }

    static func ordered(_ hooks: [any TrainingHook]) -> [any TrainingHook] {
        hooks.enumerated().sorted { ($0.element.stage, $0.offset) < ($1.element.stage, $1.offset) }.map(\.element)
    }

    /// Every stream a checkpoint keeps; on CUDA also the device's default generator (dropout draws from it).
    var generators: [String: Generator] { Trainer.checkpointed(dataGenerator, evalGenerator, sampleGenerator, device) }

    static func checkpointed(_ data: Generator, _ eval: Generator, _ sample: Generator, _ device: Device) -> [String: Generator] {
        var all = ["data": data, "eval": eval, "sample": sample]
        if case .cuda = device { all["global_cuda"] = Generator.defaultGenerator(for: device) }
        return all
    }

    /// Removes metric lines the resumed run will write again: training lines from `step` on and evaluation
    /// lines after it (the evaluation at `step` ran before its checkpoint was taken).
    static func dropMetrics(from step: Int, path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let s = object["step"] as? Int else { return false }
            return s < step || (s == step && object["train_loss"] == nil)
        }
        try writeAtomically(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: path)
    }

    func say(_ line: String) {
        if progress { emit(line) }
        log?.write(Data((line + "\n").utf8))
    }

    /// Writes a line to standard output at once (unbuffered: progress shows as it happens, also in a pipe); rank 0
    /// only in a data-parallel run.
    func emit(_ line: String) {
        guard isPrimary else { return }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The mean over ranks of each value (the values themselves without a group). Every rank must call it at the same
    /// point; a failed collective (a dead peer) is an error.
    func meanOverRanks(_ values: [Double]) throws -> [Double] {
        guard let group, !values.isEmpty else { return values }
        let t = Tensor(values, shape: [values.count])
        try group.allReduceSum(t)
        return t.toArray(Double.self).map { $0 / Double(group.worldSize) }
    }

    // MARK: evaluation

    /// nanoGPT's estimate_loss: mean loss over `eval_iters` random batches of each split, in eval mode. Data parallel:
    /// the ranks share each batch (as in training) and their means are averaged.
    public func estimateLoss() throws -> (train: Double, val: Double) {
        let local = localEstimate()
        let mean = try meanOverRanks([local.train, local.val])
        return (mean[0], mean[1])
    }

    func localEstimate() -> (train: Double, val: Double) {
        model.eval()
        defer { model.train() }
        return withNoGrad {
            let progress = ProgressReporter(label: "evaluating (estimate)", total: 2 * config.evalIters, output: emitIfProgress)
            func mean(_ split: TokenSplit) -> Double {
                var total = 0.0
                for _ in 0..<config.evalIters {
                    let (x, y) = split.randomBatch(batchSize: config.batchSize, blockSize: config.blockSize,
                                                   generator: evalGenerator, device: device, rank: rank, ranks: ranks)
                    total += computeLoss(x, y).task.item()
                    progress.advance()
                }
                return total / Double(config.evalIters)
            }
            return (mean(data.train), mean(data.val))
        }
    }

    /// The residual stream's size per layer (resid_in/i, resid_mid/i, resid_norm/i, resid_out) on one fixed val batch
    /// (the same tokens at every evaluation: a generator of its own, seeded once), for models with a residual stream.
    func residualDiagnostics() -> [String: Double] {
        guard let diagnosed = model as? any ResidualDiagnostics else { return [:] }
        model.eval()
        defer { model.train() }
        let (x, _) = data.val.randomBatch(batchSize: Swift.min(config.batchSize, 8), blockSize: config.blockSize,
                                          generator: Generator(seed: 20_241_231), device: device)
        return diagnosed.residualStatistics(x).metrics
    }

    /// Loss over all of val in consecutive windows (deterministic; weighted by tokens). Data parallel: the ranks
    /// split the pass and add up their sums.
    public func fullValidationLoss() throws -> Double {
        model.eval()
        defer { model.train() }
        let windows = Swift.max(1, (data.val.count - 1) / Swift.max(config.blockSize, 1))
        let progress = ProgressReporter(label: "evaluating (full pass)", total: (windows + config.batchSize - 1) / config.batchSize,
                                        output: emitIfProgress)
        let sums = data.val.fullPassSums(batchSize: config.batchSize, blockSize: config.blockSize, device: device,
                                         rank: rank, ranks: ranks) { x, y in
            defer { progress.advance() }
            return computeLoss(x, y).task
        }
        let mean = try meanOverRanks([sums.total, sums.tokens])
        return mean[0] / Swift.max(mean[1], 1)
    }

    /// One forward pass and its losses: the task loss (the run's loss kind on the model's logits), and the
    /// total that is back-propagated (task + Σ weight · auxiliary). Under bf16 autocast when dtype = bfloat16.
    struct StepLoss {
        var task: Tensor
        var total: Tensor
        var output: ModelOutput
    }

    /// `training`: the objective uses label_smoothing (the returned task loss stays the plain loss, for logging).
    func computeLoss(_ x: Tensor, _ y: Tensor, training: Bool = false) -> StepLoss {
        func body() -> StepLoss {
            let output = model.forward(x, targets: y)
            let smoothed = training && config.labelSmoothing > 0
            let objective = smoothed ? smoothedLossFunction(output.logits, y) : lossFunction(output.logits, y)
            let task = smoothed ? withNoGrad { lossFunction(output.logits.detached(), y) } : objective
            var total = output.taskWeight == 1 ? objective : objective * output.taskWeight
            for aux in output.auxiliaryLosses { total = total + aux.value * aux.weight }
            return StepLoss(task: task, total: total, output: output)
        }
        return config.dtype == "bfloat16" ? withAutocast(device: device, dtype: .bfloat16) { body() } : body()
    }

    /// A sample continuing a newline (or token 0), decoded.
    public func sample(tokens: Int) -> String {
        model.eval()
        defer { model.train() }
        let start = data.tokenizer.encode("\n").first ?? 0
        let out = model.generate(Tensor([Int64(start)], shape: [1, 1], device: device), maxNewTokens: tokens,
                                 temperature: config.temperature, topK: config.topK, generator: sampleGenerator,
                                 probabilities: probabilities(lossKind))
        return data.tokenizer.decode(out.toArray(Int64.self).map { Int($0) })
    }

    func emitIfProgress(_ line: String) { if progress { emit(line) } }

    /// Runs `body` on the weights evaluation uses: the EMA's when the run keeps one, else the trained ones.
    func averaged<R>(_ body: () throws -> R) rethrows -> R {
        guard let ema else { return try body() }
        return try ema.withAveragedWeights(body)
    }

    /// The loss of one fixed val batch (the same tokens all run long: a generator of its own), in eval mode: the
    /// stability metrics' held-out series. Data parallel: the ranks' halves are averaged.
    func heldOutLoss() throws -> Double {
        model.eval()
        defer { model.train() }
        let (x, y) = heldOutBatch
        let local = withNoGrad { computeLoss(x, y).task.item() }
        return try meanOverRanks([local])[0]
    }

    // MARK: the loop

    /// Trains from the current step to max_iters (inclusive, evaluating at the end as nanoGPT does).
    /// Returns the last evaluation's val loss. `stoppingAt` ends the loop right after the checkpoint of that
    /// step is written, as a killed run would (for resume tests).
    @discardableResult
    public func run(stoppingAt stop: Int? = nil) throws -> Double? {
        let b = config.batchSize, t = config.blockSize, accumulation = config.gradientAccumulationSteps
        let tokensPerIter = (config.tokensPerIteration ?? 0) * ranks
        say("mnemo train: \(groupedThousands(model.parameterCount(nonEmbedding: true))) parameters (non-embedding), "
            + "\(groupedThousands(data.train.count)) train / \(groupedThousands(data.val.count)) val tokens, vocab \(data.tokenizer.vocabularySize), "
            + "\(tokensPerIter) tokens per iteration, libtorch \(Runtime.loadedVersion), \(Runtime.threads) threads")
        let evalEvery = config.evalInterval > 0 ? config.evalInterval : config.maxIters
        let checkpointEvery = config.checkpointInterval > 0 ? config.checkpointInterval : evalEvery
        let resumedAt = state.step
        var lastVal: Double? = nil
        var clock = Date()
        var windowTokens = 0
        var windowStart = Date()
        model.train()

        while state.step <= config.maxIters {
            let step = state.step
            let lr = schedule(step)
            for (group, scale) in zip(optimizer.groups, lrScales) { group.lr = lr * scale }

            if config.stabilityInterval > 0 && step % config.stabilityInterval == 0 && step < config.maxIters
                && !(step == resumedAt && step > 0) {   // a resumed run's checkpoint holds this step's value
                let loss = try averaged { try heldOutLoss() }
                stability.recordHeldOut(step: step, loss: loss)
                try metrics?.write(step: step, ["stability_loss": loss])
            }
            let isEval = step % evalEvery == 0 || step == config.maxIters
            if isEval && !(step == resumedAt && step > 0) { try averaged {
                var values: [String: Double] = [:]
                let (trainLoss, valLoss) = try estimateLoss()
                values["train_loss_est"] = trainLoss
                values["val_loss"] = valLoss
                if config.evalFull { values["val_loss_full"] = try fullValidationLoss() }
                guard trainLoss.isFinite && valLoss.isFinite && (values["val_loss_full"]?.isFinite ?? true) else {
                    try? metrics?.write(step: step, values)
                    throw ConfigError("evaluation at step \(step) gave train loss \(trainLoss), val loss \(valLoss): the weights are no longer finite; the last checkpoint is intact — lower learning_rate, weight_decay or beta2, or set grad_clip")
                }
                // hooks' metrics (softmax collapse, …) on one val batch
                let (vx, vy) = data.val.randomBatch(batchSize: config.batchSize, blockSize: config.blockSize,
                                                    generator: evalGenerator, device: device, rank: rank, ranks: ranks)
                let context = StepContext(step: step, model: model, optimizer: optimizer, device: device,
                                          evaluationBatch: (vx, vy), dtype: config.dtype)
                for hook in hooks { for (key, value) in hook.atEvaluation(context) { values[key] = value } }
                for (key, value) in residualDiagnostics() { values[key] = value }
                for (key, value) in stability.metrics() { values[key] = value }
                lastVal = valLoss
                if valLoss < (state.bestValLoss ?? .infinity) { state.bestValLoss = valLoss }
                values["lr"] = lr
                try metrics?.write(step: step, values)
                say(String(format: "step %d: train loss %.4f, val loss %.4f", step, trainLoss, valLoss)
                    + (values["val_loss_full"].map { String(format: ", val loss (full pass) %.4f", $0) } ?? ""))
                if config.sampleTokens > 0 && isPrimary {
                    let text = sample(tokens: config.sampleTokens)
                    try? text.write(toFile: "\(runDirectory)/samples/step_\(String(format: "%06d", step)).txt",
                                    atomically: true, encoding: .utf8)
                }
            } }
            if step % checkpointEvery == 0 && step > 0 && step != resumedAt || step == config.maxIters {
                state.elapsedSeconds += Date().timeIntervalSince(clock)
                clock = Date()
                if isPrimary {
                    state.stability = stability.state
                    try Checkpoint.save(root: checkpointRoot, model: model, optimizer: optimizer, generators: generators,
                                        state: state, keep: config.keepCheckpoints, progress: progress,
                                        extraFiles: ema.map { [ParameterEMA.fileName: $0.stateDict] } ?? [:])
                }
            }
            if step == config.maxIters || step == stop { break }
            if isEval { windowStart = Date(); windowTokens = 0 }  // throughput counts training time only

            // forward / backward over the micro-batches, gradients accumulating
            // the losses stay on the device until the step's end: one host sync per step, not per micro-batch
            var taskSum: Tensor? = nil
            var auxiliarySums: [(name: String, weight: Double, sum: Tensor)] = []
            var modelMetrics: [String: Tensor] = [:]
            for _ in 0..<accumulation {
                let (x, y) = data.train.randomBatch(batchSize: b, blockSize: t, generator: dataGenerator, device: device,
                                                    rank: rank, ranks: ranks)
                let loss = computeLoss(x, y, training: true)
                (loss.total / Double(accumulation)).backward()
                let task = loss.task.detached().double() / Double(accumulation)
                taskSum = taskSum.map { $0 + task } ?? task
                for (i, aux) in loss.output.auxiliaryLosses.enumerated() {
                    let value = aux.value.detached().double() / Double(accumulation)
                    if i < auxiliarySums.count { auxiliarySums[i].sum = auxiliarySums[i].sum + value }
                    else { auxiliarySums.append((aux.name, aux.weight, value)) }
                }
                modelMetrics = loss.output.metrics     // the last micro-batch's
            }
            let lossValue = taskSum?.item() ?? .nan
            let auxiliary = auxiliarySums.map { (name: $0.name, weight: $0.weight, value: $0.sum.item()) }
            let totalValue = auxiliary.reduce(lossValue) { $0 + $1.weight * $1.value }
            guard totalValue.isFinite else {
                throw ConfigError("the loss became \(totalValue) at step \(step); the last checkpoint is intact — lower learning_rate or set grad_clip")
            }
            let context = StepContext(step: step, model: model, optimizer: optimizer, device: device)
            for hook in hooks { try hook.afterBackward(context) }
            // clipping, per clipping group (one group "all" without param_groups): each group's pre-clip norm is kept
            // for the stability metrics, the logged grad_norm is the norm over all parameters before clipping
            var groupNorms: [String: Double] = [:]
            for group in clipGroups {
                groupNorms[group.name] = group.maxNorm > 0 ? clipGradNorm(group.parameters, maxNorm: group.maxNorm)
                                                           : Kernels.totalNorm(group.parameters.compactMap(\.grad))
            }
            let gradNorm = clipGroups.count == 1 ? groupNorms[clipGroups[0].name]!
                                                 : groupNorms.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            optimizer.step()
            for hook in hooks { hook.afterOptimizerStep(context) }
            (model as? any OptimizerStepObserver)?.afterOptimizerStep(step: step)   // the memory bank's EMA, consolidation
            ema?.update()
            if let ratio = stability.record(step: step, loss: lossValue, groupNorms: groupNorms) {
                try metrics?.write(step: step, ["spike_loss": lossValue, "spike_ratio": ratio])
                say(String(format: "iter %d: loss spike %.4f (%.1f× the mean of the previous 10)", step, lossValue, ratio))
            }
            optimizer.zeroGrad()
            state.tokensSeen += tokensPerIter
            windowTokens += tokensPerIter
            state.step += 1

            if step % config.logInterval == 0 {
                // data parallel: the logged losses are the means over ranks (every rank takes part)
                let averaged = try meanOverRanks([lossValue] + auxiliary.map(\.value))
                let lossValue = averaged[0]
                let auxiliary = zip(auxiliary, averaged.dropFirst()).map { (name: $0.name, weight: $0.weight, value: $1) }
                let now = Date()
                let tokPerS = Double(windowTokens) / Swift.max(now.timeIntervalSince(windowStart), 1e-9)
                windowTokens = 0
                windowStart = now
                let elapsed = state.elapsedSeconds + now.timeIntervalSince(clock)
                var values: [String: Double] = ["train_loss": lossValue, "lr": lr, "grad_norm": gradNorm,
                                                "tok_per_s": tokPerS, "elapsed_s": elapsed]
                for aux in auxiliary { values[aux.name] = aux.value }
                for (name, value) in modelMetrics { values[name] = value.item() }
                try metrics?.write(step: step, values)
                onLog?(step, values)
                let remaining = Double(config.maxIters - step) * Double(tokensPerIter) / Swift.max(tokPerS, 1)
                let line = String(format: "iter %d: loss %.4f, lr %.2e, grad norm %.3f, %.0f tok/s, ETA %@",
                                  step, lossValue, lr, gradNorm, tokPerS, formatDuration(remaining))
                log?.write(Data((line + "\n").utf8))
                if progress { emit(line) }
            }
        }
        state.elapsedSeconds += Date().timeIntervalSince(clock)
        return lastVal
    }
}
