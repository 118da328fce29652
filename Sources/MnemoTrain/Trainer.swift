// Trainer.swift — the training loop, short and visible (nanoGPT's train.py), for any `LanguageModel`, any batch
// source and any objective: warmup + cosine learning rate, gradient accumulation, the objective's auxiliary losses
// logged, hooks around the step (TrainingHook.swift gives their order), clipping with the pre-clip norm logged,
// evaluation (random-batch estimate and an optional full pass over val), samples, atomic checkpoints, and resume that
// continues exactly. RunBuilder.swift makes every part it uses; this file only runs them.
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
    public let folder: RunFolder
    public var runDirectory: String { folder.path }
    public let data: TokenData
    public let model: any LanguageModel
    public let device: Device
    public let optimizer: any Optimizer
    /// What a step minimises; replace it before `run` to train another objective on the same loop.
    public var objective: any Objective
    /// Each optimizer group's learning-rate multiplier (the model's `lrScale`), in group order.
    let lrScales: [Double]
    /// Clipping groups: names, parameters, max norms (0: measured, not clipped).
    let clipGroups: [(name: String, parameters: [Tensor], maxNorm: Double)]
    let schedule: any LearningRateSchedule
    /// Step hooks, sorted by stage (stable: within a stage, in the order added).
    public private(set) var hooks: [any TrainingHook] = []
    /// Separate streams so that evaluation never shifts the training batches (and resume can restore each).
    let dataGenerator: Generator
    let evalGenerator: Generator
    let sampleGenerator: Generator
    var state = CheckpointState(step: 0, bestValLoss: nil, elapsedSeconds: 0, tokensSeen: 0)
    /// metrics.jsonl and log.txt: written by rank 0 only (nil on the other ranks of a data-parallel run).
    var metrics: MetricsWriter?
    /// This process's TensorBoard event file (rank 0, unless `tensorboard = false`): every metrics line, and the samples.
    var events: TensorBoardWriter?
    var log: FileHandle?
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

    /// Starts a new run in `runDirectory` (created; an existing run there is an error unless it is empty).
    public convenience init(config: TrainConfig, runDirectory: String, group: ProcessGroup? = nil) throws {
        try self.init(config: config, runDirectory: runDirectory, resuming: false, group: group)
    }

    /// Continues the run in `runDirectory` from its latest checkpoint, with its saved config and `overrides`
    /// (`key=value`, as `--set`): more steps, another learning-rate floor or evaluation interval. Settings that
    /// would change what the checkpoint means (TrainConfig.frozenOnResume and the model's keys) stop with a message
    /// naming them. The changed config is saved into the run.
    public static func resume(runDirectory: String, overrides: [String] = [], group: ProcessGroup? = nil) throws -> Trainer {
        let saved = try TrainConfig.load(RunFolder(runDirectory).config)
        var config = saved
        for o in overrides { try config.apply(override: o) }
        try config.checkResumable(from: saved, run: runDirectory)
        let trainer = try Trainer(config: config, runDirectory: runDirectory, resuming: true, group: group)
        if config != saved && trainer.isPrimary { try writeAtomically(config.jsonData(), to: trainer.folder.config) }
        return trainer
    }

    init(config given: TrainConfig, runDirectory: String, resuming: Bool, group: ProcessGroup? = nil) throws {
        self.group = group
        let primary = (group?.rank ?? 0) == 0
        config = try RunBuilder.settings(given, resuming: resuming)
        folder = RunFolder(runDirectory)
        if !resuming && folder.holdsRun {
            throw ConfigError("\(runDirectory) already holds a run; resume it with --resume or choose another --out")
        }
        if primary { try folder.create() }
        for warning in config.warnings() { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }

        if config.threads > 0 { Runtime.threads = config.threads }
        Runtime.oneDNNKernels = config.cpuMatmul == .onednn
        Random.seed(config.seedBits)
        data = try RunBuilder.data(config)
        device = try RunBuilder.device(config)
        model = try RunBuilder.model(config.model, tokenizer: data.tokenizer)
        if !resuming { try RunBuilder.prepare(model, config: config, tokenizer: data.tokenizer) }
        try RunBuilder.adapt(model, config: config)
        if device != .cpu { model.to(device) }
        try RunBuilder.checkDataParallel(group, model: model, device: device)
        let setup = try RunBuilder.optimizer(config, model: model)
        (optimizer, lrScales, clipGroups) = (setup.optimizer, setup.lrScales, setup.clipGroups)
        schedule = RunBuilder.schedule(config)
        objective = try RunBuilder.objective(config, model: model, tokenizer: data.tokenizer, folder: folder, resuming: resuming,
                                             primary: primary)
        dataGenerator = Generator(seed: config.seedBits)
        evalGenerator = Generator(seed: config.seedBits &+ 1)
        // Batches are drawn on the CPU (the same windows on every device); sampling draws on the model's device,
        // whose multinomial accepts only a generator of its own device.
        sampleGenerator = Generator(seed: config.seedBits &+ 2, device: device)
        hooks = Trainer.ordered(try RunBuilder.hooks(config, model: model, data: data, group: group, folder: folder))

        if resuming {
            guard let checkpoint = folder.latestCheckpoint else {
                throw ConfigError("\(runDirectory) has no complete checkpoint to resume from")
            }
            state = try Checkpoint.load(folder: checkpoint, model: model, optimizer: optimizer, generators: generators)
            for case let hook as any CheckpointedHook in hooks { try hook.restore(folder: checkpoint, state: state, device: device) }
            if primary { try Trainer.dropMetrics(from: state.step, path: folder.metrics) }
        } else if primary {
            try writeAtomically(config.jsonData(), to: folder.config)
            try RunTokenizer.save(data, into: runDirectory)
            try RunTokenizer.saveChatTemplate(config, into: runDirectory)
        }
        let savedRanks = state.worldSize ?? 1
        state.worldSize = group?.worldSize ?? 1
        if primary {
            metrics = try MetricsWriter(path: folder.metrics, mode: .append)
            if config.tensorboard { events = try Trainer.openEvents(folder, resumingAt: resuming ? state.step : nil) }
            if !FileManager.default.fileExists(atPath: folder.log) { _ = FileManager.default.createFile(atPath: folder.log, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: folder.log) else { throw ConfigError("cannot write \(folder.log)") }
            log = handle
            _ = try? handle.seekToEnd()
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
    var generators: [String: Generator] {
        var all = ["data": dataGenerator, "eval": evalGenerator, "sample": sampleGenerator]
        if case .cuda = device { all["global_cuda"] = Generator.defaultGenerator(for: device) }
        return all
    }

    /// Removes metric lines the resumed run will write again: training lines from `step` on and evaluation
    /// lines after it (the evaluation at `step` ran before its checkpoint was taken).
    static func dropMetrics(from step: Int, path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            guard case .object(let members)? = try? JSONParser.parse(String(line), options: .python),
                  case .integer(let s)? = members.first(where: { $0.key == "step" })?.value else { return false }
            return s < step || (s == step && !members.contains { $0.key == "train_loss" })
        }
        try writeAtomically(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: path)
    }

    /// A new event file for this process, which starts with a session start (SessionLog START) at the step it trains
    /// from: TensorBoard then drops what an earlier process logged from that step on, as metrics.jsonl's lines were
    /// dropped (TensorBoard's server ignores a run's first session start, so a fresh run writes one at step 0 for a
    /// resume's to count). A resumed run then writes again what metrics.jsonl kept at its step (the evaluation that
    /// preceded the checkpoint) and that step's sample. A run that had no event files before (written with
    /// `tensorboard = false`, or before Mnemo wrote them) gets all of metrics.jsonl and its samples.
    static func openEvents(_ folder: RunFolder, resumingAt step: Int?) throws -> TensorBoardWriter {
        let earlier = TensorBoardEventFile.paths(in: folder.path)
        let writer = try TensorBoardWriter(folder: folder.path)
        guard let step else {
            try writer.writeSessionStart(step: 0)
            return writer
        }
        let from = earlier.isEmpty ? 0 : step
        try writer.writeSessionStart(step: from)
        let log = try MetricsLog(contentsOf: folder.metrics)
        var sampled = Set<Int>()
        for record in log.records where record.step >= from {
            try writer.writeScalars(step: record.step, record.values)
            guard sampled.insert(record.step).inserted,
                  let text = try? String(contentsOfFile: folder.sample(step: record.step), encoding: .utf8) else { continue }
            try writer.writeText(step: record.step, tag: sampleTag, text)
        }
        return writer
    }

    /// The tag of the samples in TensorBoard's text tab.
    static let sampleTag = "samples"

    /// Writes a metrics line to metrics.jsonl and, as scalars, to the event file.
    func writeMetrics(step: Int, _ values: [String: Double]) throws {
        try metrics?.write(step: step, values)
        try events?.writeScalars(step: step, values)
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

    func emitIfProgress(_ line: String) { if progress { emit(line) } }

    /// The mean over ranks of each value (the values themselves without a group). Every rank must call it at the same
    /// point; a failed collective (a dead peer) is an error.
    func meanOverRanks(_ values: [Double]) throws -> [Double] {
        guard let group, !values.isEmpty else { return values }
        let t = Tensor(values, shape: [values.count])
        try group.allReduceSum(t)
        return t.toArray(Double.self).map { $0 / Double(group.worldSize) }
    }

    // MARK: evaluation

    /// The objective's losses on one batch, under bf16 autocast when dtype = bfloat16.
    func loss(_ batch: Batch, training: Bool = false) -> ObjectiveLoss {
        config.dtype == .bfloat16
            ? withAutocast(device: device, dtype: .bfloat16) { objective.loss(model, on: batch, training: training) }
            : objective.loss(model, on: batch, training: training)
    }

    /// Runs `body` on the weights evaluation uses: the parameter EMA's when the run keeps one, else the trained ones.
    public func averaged<R>(_ body: () throws -> R) rethrows -> R {
        guard let weights = hooks.lazy.compactMap({ $0 as? any EvaluationWeightsHook }).first else { return try body() }
        return try weights.withEvaluationWeights(body)
    }

    /// nanoGPT's estimate_loss: mean loss over `eval_iters` random batches of each split, in eval mode. Data parallel:
    /// the ranks share each batch (as in training) and their means are averaged.
    public func estimateLoss() throws -> (train: Double, val: Double) {
        model.eval()
        defer { model.train() }
        let local = withNoGrad {
            let progress = ProgressReporter(label: "evaluating (estimate)", total: 2 * config.evalIters, output: emitIfProgress)
            func mean(_ split: any BatchSource) -> Double {
                var total = 0.0
                for _ in 0..<config.evalIters {
                    let batch = split.randomBatch(size: config.batchSize, generator: evalGenerator, device: device, rank: rank, ranks: ranks)
                    total += loss(batch).task.item()
                    progress.advance()
                }
                return total / Double(config.evalIters)
            }
            return [mean(data.train), mean(data.val)]
        }
        let mean = try meanOverRanks(local)
        return (mean[0], mean[1])
    }

    /// Loss over all of val, every example once (deterministic; weighted by targets). Data parallel: the ranks split
    /// the pass and add up their sums.
    public func fullValidationLoss() throws -> Double {
        model.eval()
        defer { model.train() }
        let progress = ProgressReporter(label: "evaluating (full pass)",
                                        total: (data.val.exampleCount + config.batchSize - 1) / config.batchSize, output: emitIfProgress)
        let sums = data.val.fullPassSums(batchSize: config.batchSize, device: device, rank: rank, ranks: ranks) { batch in
            defer { progress.advance() }
            return loss(batch).task
        }
        let mean = try meanOverRanks([sums.total, sums.targets])
        return mean[0] / Swift.max(mean[1], 1)
    }

    /// The task loss of one batch in eval mode on the evaluation weights, averaged over ranks (hooks' `evaluate`).
    func evaluationLoss(_ batch: Batch) throws -> Double {
        try averaged {
            model.eval()
            defer { model.train() }
            return try meanOverRanks([withNoGrad { loss(batch).task.item() }])[0]
        }
    }

    /// A sample continuing a newline (or token 0), decoded.
    public func sample(tokens: Int) -> String {
        model.eval()
        defer { model.train() }
        let start = data.tokenizer.encode("\n").first ?? 0
        let out = model.generate(Tensor([Int64(start)], shape: [1, 1], device: device), maxNewTokens: tokens,
                                 temperature: config.temperature, topK: config.topK, generator: sampleGenerator,
                                 probabilities: objective.probabilities)
        return data.tokenizer.decode(out.toArray(Int64.self).map { Int($0) })
    }

    /// What hooks see at `step`.
    func context(step: Int) -> StepContext {
        var context = StepContext(step: step, model: model, optimizer: optimizer, device: device)
        context.dtype = config.dtype
        context.rank = rank
        context.ranks = ranks
        context.evaluate = { [unowned self] in try self.evaluationLoss($0) }
        context.say = { [unowned self] in self.say($0) }
        return context
    }

    /// One evaluation: the loss estimate (and full pass), the hooks' metrics on one val batch, a sample. `started`: when
    /// the run's clock started (elapsed_s counts from it, resumed time included).
    func evaluate(step: Int, lr: Double, started: Date) throws -> Double {
        try averaged {
            var values: [String: Double] = [:]
            let (trainLoss, valLoss) = try estimateLoss()
            values["train_loss_est"] = trainLoss
            values["val_loss"] = valLoss
            if config.evalFull { values["val_loss_full"] = try fullValidationLoss() }
            guard trainLoss.isFinite && valLoss.isFinite && (values["val_loss_full"]?.isFinite ?? true) else {
                try? writeMetrics(step: step, values)
                throw ConfigError("evaluation at step \(step) gave train loss \(trainLoss), val loss \(valLoss): the weights are no longer finite; the last checkpoint is intact — lower learning_rate, weight_decay or beta2, or set grad_clip")
            }
            var context = context(step: step)
            context.evaluationBatch = data.val.randomBatch(size: config.batchSize, generator: evalGenerator, device: device,
                                                           rank: rank, ranks: ranks)
            for hook in hooks { for (key, value) in try hook.atEvaluation(context) { values[key] = value } }
            if valLoss < (state.bestValLoss ?? .infinity) { state.bestValLoss = valLoss }
            values["lr"] = lr
            values["elapsed_s"] = state.elapsedSeconds + Date().timeIntervalSince(started)
            try writeMetrics(step: step, values)
            say(String(format: "step %d: train loss %.4f, val loss %.4f", step, trainLoss, valLoss)
                + (values["val_loss_full"].map { String(format: ", val loss (full pass) %.4f", $0) } ?? ""))
            if config.sampleTokens > 0 && isPrimary {
                let text = sample(tokens: config.sampleTokens)
                try? text.write(toFile: folder.sample(step: step), atomically: true, encoding: .utf8)
                try events?.writeText(step: step, tag: Trainer.sampleTag, text)
            }
            return valLoss
        }
    }

    func saveCheckpoint() throws {
        guard isPrimary else { return }
        var files: [String: [String: Tensor]] = [:]
        for case let hook as any CheckpointedHook in hooks { files.merge(hook.checkpoint(&state)) { $1 } }
        try Checkpoint.save(root: folder.checkpoints, model: model, optimizer: optimizer, generators: generators, state: state,
                            keep: config.keepCheckpoints, progress: progress, extraFiles: files)
    }

    // MARK: the loop

    /// Trains from the current step to max_iters (inclusive, evaluating at the end as nanoGPT does).
    /// Returns the last evaluation's val loss. `stoppingAt` ends the loop right after the checkpoint of that
    /// step is written, as a killed run would (for resume tests).
    @discardableResult
    public func run(stoppingAt stop: Int? = nil) throws -> Double? {
        let accumulation = config.gradientAccumulationSteps
        let tokensPerIter = (config.tokensPerIteration ?? 0) * ranks
        let trainable = optimizer.allParameters.reduce(0) { $0 + $1.count }, all = model.parameterCount
        say("mnemo train: \(groupedThousands(model.parameterCount(nonEmbedding: true))) parameters (non-embedding), "
            + (trainable < all ? "\(groupedThousands(trainable)) of \(groupedThousands(all)) trained (LoRA), " : "")
            + "\(groupedThousands(data.train.tokenCount)) train / \(groupedThousands(data.val.tokenCount)) val tokens, vocab \(data.tokenizer.vocabularySize), "
            + "\(tokensPerIter) tokens per iteration, libtorch \(Runtime.loadedVersion), \(Runtime.threads) threads")
        for (name, split) in [("train", data.train), ("val", data.val)] { if let note = split.note { say("\(name): \(note)") } }
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

            let start = context(step: step)
            for hook in hooks { try hook.atStepStart(start) }
            if !start.metrics.isEmpty { try writeMetrics(step: step, start.metrics.drain()) }
            let isEval = step % evalEvery == 0 || step == config.maxIters
            if isEval && !(step == resumedAt && step > 0) {   // a resumed run's checkpoint follows this step's evaluation
                lastVal = try evaluate(step: step, lr: lr, started: clock)
            }
            if step % checkpointEvery == 0 && step > 0 && step != resumedAt || step == config.maxIters {
                state.elapsedSeconds += Date().timeIntervalSince(clock)
                clock = Date()
                try saveCheckpoint()
            }
            if step == config.maxIters || step == stop { break }
            if isEval { windowStart = Date(); windowTokens = 0 }  // throughput counts training time only

            // forward / backward over the micro-batches, gradients accumulating
            // the losses stay on the device until the step's end: one host sync per step, not per micro-batch
            var taskSum: Tensor? = nil
            var auxiliarySums: [(name: String, weight: Double, sum: Tensor)] = []
            var objectiveMetrics: [String: Tensor] = [:]
            for _ in 0..<accumulation {
                let batch = data.train.randomBatch(size: config.batchSize, generator: dataGenerator, device: device,
                                                   rank: rank, ranks: ranks)
                let loss = loss(batch, training: true)
                (loss.total / Double(accumulation)).backward()
                let task = loss.task.detached().double() / Double(accumulation)
                taskSum = taskSum.map { $0 + task } ?? task
                for (i, aux) in loss.auxiliaryLosses.enumerated() {
                    let value = aux.value.detached().double() / Double(accumulation)
                    if i < auxiliarySums.count { auxiliarySums[i].sum = auxiliarySums[i].sum + value }
                    else { auxiliarySums.append((aux.name, aux.weight, value)) }
                }
                objectiveMetrics = loss.metrics     // the last micro-batch's
            }
            let lossValue = taskSum?.item() ?? .nan
            let auxiliary = auxiliarySums.map { (name: $0.name, weight: $0.weight, value: $0.sum.item()) }
            let totalValue = auxiliary.reduce(lossValue) { $0 + $1.weight * $1.value }
            guard totalValue.isFinite else {
                throw ConfigError("the loss became \(totalValue) at step \(step); the last checkpoint is intact — lower learning_rate or set grad_clip")
            }
            var context = context(step: step)
            context.logsThisStep = step % config.logInterval == 0
            for hook in hooks { try hook.afterBackward(context) }
            // clipping, per clipping group: each group's pre-clip norm goes to the hooks (stability metrics), the logged
            // grad_norm is the norm over all parameters before clipping
            var groupNorms: [String: Double] = [:]
            for group in clipGroups {
                groupNorms[group.name] = group.maxNorm > 0 ? clipGradNorm(group.parameters, maxNorm: group.maxNorm)
                                                           : Kernels.totalNorm(group.parameters.compactMap(\.grad))
            }
            let gradNorm = clipGroups.count == 1 ? groupNorms[clipGroups[0].name]!
                                                 : groupNorms.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            optimizer.step()
            context.loss = lossValue
            context.gradientNorms = groupNorms
            for hook in hooks { try hook.afterOptimizerStep(context) }
            optimizer.zeroGrad()
            state.tokensSeen += tokensPerIter
            windowTokens += tokensPerIter
            state.step += 1

            guard context.logsThisStep else {
                if !context.metrics.isEmpty { try writeMetrics(step: step, context.metrics.drain()) }
                continue
            }
            // data parallel: the logged losses are the means over ranks (every rank takes part)
            let averaged = try meanOverRanks([lossValue] + auxiliary.map(\.value))
            let now = Date()
            let tokPerS = Double(windowTokens) / Swift.max(now.timeIntervalSince(windowStart), 1e-9)
            windowTokens = 0
            windowStart = now
            let elapsed = state.elapsedSeconds + now.timeIntervalSince(clock)
            var values: [String: Double] = ["train_loss": averaged[0], "lr": lr, "grad_norm": gradNorm,
                                            "tok_per_s": tokPerS, "elapsed_s": elapsed]
            for (aux, value) in zip(auxiliary, averaged.dropFirst()) { values[aux.name] = value }
            for (name, value) in objectiveMetrics { values[name] = value.item() }
            for (name, value) in context.metrics.drain() { values[name] = value }
            try writeMetrics(step: step, values)
            onLog?(step, values)
            let remaining = Double(config.maxIters - step) * Double(tokensPerIter) / Swift.max(tokPerS, 1)
            let line = String(format: "iter %d: loss %.4f, lr %.2e, grad norm %.3f, %.0f tok/s, ETA %@",
                              step, averaged[0], lr, gradNorm, tokPerS, formatDuration(remaining))
            log?.write(Data((line + "\n").utf8))
            if progress { emit(line) }
        }
        state.elapsedSeconds += Date().timeIntervalSince(clock)
        return lastVal
    }
}
