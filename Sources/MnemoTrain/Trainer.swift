// Trainer.swift — the training loop, short and visible (nanoGPT's train.py): warmup + cosine learning rate,
// gradient accumulation, clipping with the pre-clip norm logged, evaluation (random-batch estimate and an
// optional full pass over val), samples, atomic checkpoints, and resume that continues exactly.
import Foundation
import MnemoData
import MnemoModels
import Torch
import TorchNN
import TorchOptim

public final class Trainer {
    public let config: TrainConfig
    public let runDirectory: String
    public let data: TokenData
    public let model: GPT
    public let optimizer: any Optimizer
    /// The loss of (logits, targets) chosen by `loss` (softmax / StableMax cross-entropy), targets -1 ignored.
    let lossFunction: (Tensor, Tensor) -> Tensor
    let lossKind: LossKind
    public let device: Device
    let schedule: any LearningRateSchedule
    /// Separate streams so that evaluation never shifts the training batches (and resume can restore each).
    let dataGenerator: Generator
    let evalGenerator: Generator
    let sampleGenerator: Generator
    var state = CheckpointState(step: 0, bestValLoss: nil, elapsedSeconds: 0, tokensSeen: 0)
    let metrics: MetricsWriter
    let log: FileHandle
    /// Print a live progress line (on a terminal) and log lines.
    public var progress = true
    /// Called after each logged step with the metrics line (tests and benches observe the loop through it).
    public var onLog: ((Int, [String: Double]) -> Void)?

    var checkpointRoot: String { "\(runDirectory)/checkpoints" }

    /// Starts a new run in `runDirectory` (created; an existing run there is an error unless it is empty).
    public convenience init(config: TrainConfig, runDirectory: String) throws {
        try self.init(config: config, runDirectory: runDirectory, resuming: false)
    }

    /// Continues the run in `runDirectory` from its latest checkpoint, with its saved config.
    public static func resume(runDirectory: String) throws -> Trainer {
        let config = try TrainConfig.load("\(runDirectory)/config.json")
        return try Trainer(config: config, runDirectory: runDirectory, resuming: true)
    }

    init(config: TrainConfig, runDirectory: String, resuming: Bool) throws {
        let problems = config.problems()
        guard problems.isEmpty else { throw ConfigError(problems.joined(separator: "\n")) }
        self.config = config
        self.runDirectory = runDirectory
        let fm = FileManager.default
        if !resuming, fm.fileExists(atPath: "\(runDirectory)/metrics.jsonl") {
            throw ConfigError("\(runDirectory) already holds a run; resume it with --resume or choose another --out")
        }
        try fm.createDirectory(atPath: "\(runDirectory)/checkpoints", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(runDirectory)/samples", withIntermediateDirectories: true)

        if config.threads > 0 { Runtime.threads = config.threads }
        Random.seed(UInt64(config.seed))
        data = try TokenData.load(config: config)
        var modelConfig = config.model
        let vocab = data.tokenizer.vocabularySize
        if modelConfig.vocabSize == 0 { modelConfig.vocabSize = vocab }
        guard vocab <= modelConfig.vocabSize else {
            throw ConfigError("the tokenizer has \(vocab) tokens but vocab_size is \(modelConfig.vocabSize); raise vocab_size to at least \(vocab) (or set it to 0 to follow the tokenizer)")
        }
        let modelProblems = modelConfig.problems()
        guard modelProblems.isEmpty else { throw ConfigError(modelProblems.joined(separator: "\n")) }
        for (name, split) in [("train", data.train), ("val", data.val)] where split.count <= config.blockSize {
            throw ConfigError("the \(name) split has \(split.count) tokens, not more than block_size \(config.blockSize); use more data or a smaller block_size")
        }
        guard let device = Device(config.device) else {
            throw ConfigError("device '\(config.device)': use cpu, cuda or cuda:N")
        }
        if case .cuda = device, !Runtime.cudaIsAvailable {
            throw ConfigError("device \(config.device) asked for, but the loaded libtorch has no CUDA device; point LIBTORCH at a CUDA libtorch (README) or set device = \"cpu\"")
        }
        self.device = device
        model = GPT(modelConfig)
        if device != .cpu { model.to(device) }

        // Weight decay on ≥2-D tensors (matmul weights, embeddings) only; biases and norms are not decayed.
        let named = model.namedParameters()
        let decay = named.filter { $0.tensor.ndim >= 2 }, noDecay = named.filter { $0.tensor.ndim < 2 }
        let adamW = AdamW(groups: [
            ParameterGroup(params: decay.map(\.tensor), names: decay.map(\.name), lr: config.learningRate,
                           weightDecay: config.weightDecay, betas: (config.beta1, config.beta2), label: "decay"),
            ParameterGroup(params: noDecay.map(\.tensor), names: noDecay.map(\.name), lr: config.learningRate,
                           weightDecay: 0, betas: (config.beta1, config.beta2), label: "no_decay"),
        ])
        optimizer = config.orthogonal
            ? orthogonalized(adamW, skipSubstrings: config.orthogonalSkip.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                             skipOneDimensional: config.orthogonalSkip1D)
            : adamW
        lossKind = LossKind(rawValue: config.loss) ?? .softmax
        lossFunction = TorchNN.lossFunction(lossKind, ignoreIndex: -1)
        schedule = config.decayLR
            ? WarmupCosineSchedule(lr: config.learningRate, minLR: config.minLR, warmupSteps: config.warmupIters,
                                   decaySteps: config.lrDecayIters)
            : LinearWarmupSchedule(lr: config.learningRate, warmupSteps: config.warmupIters)
        dataGenerator = Generator(seed: UInt64(config.seed))
        evalGenerator = Generator(seed: UInt64(config.seed) &+ 1)
        // Batches are drawn on the CPU (the same windows on every device); sampling draws on the model's device,
        // whose multinomial accepts only a generator of its own device.
        sampleGenerator = Generator(seed: UInt64(config.seed) &+ 2, device: device)

        let metricsPath = "\(runDirectory)/metrics.jsonl"
        if resuming {
            guard let folder = Checkpoint.latest(root: "\(runDirectory)/checkpoints") else {
                throw ConfigError("\(runDirectory) has no complete checkpoint to resume from")
            }
            state = try Checkpoint.load(folder: folder, model: model, optimizer: optimizer,
                                        generators: Trainer.checkpointed(dataGenerator, evalGenerator, sampleGenerator, device))
            try Trainer.dropMetrics(from: state.step, path: metricsPath)
        } else {
            try writeAtomically(config.jsonData(), to: "\(runDirectory)/config.json")
            if data.tokenizerSpec == "char", let chars = data.tokenizer as? CharTokenizer {
                try chars.save(to: "\(runDirectory)/tokenizer.json")
            } else {
                // where the tokenizer lives, for `mnemo sample` / `mnemo eval`
                try writeAtomically(Data(data.tokenizerSpec.utf8), to: "\(runDirectory)/tokenizer.spec")
            }
        }
        metrics = try MetricsWriter(path: metricsPath, mode: .append)
        let logPath = "\(runDirectory)/log.txt"
        if !fm.fileExists(atPath: logPath) { fm.createFile(atPath: logPath, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: logPath) else { throw ConfigError("cannot write \(logPath)") }
        log = handle
        _ = try? log.seekToEnd()
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
        log.write(Data((line + "\n").utf8))
    }

    /// Writes a line to standard output at once (unbuffered: progress shows as it happens, also in a pipe).
    func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    // MARK: evaluation

    /// nanoGPT's estimate_loss: mean loss over `eval_iters` random batches of each split, in eval mode.
    public func estimateLoss() -> (train: Double, val: Double) {
        model.eval()
        defer { model.train() }
        return withNoGrad {
            func mean(_ split: TokenSplit) -> Double {
                var total = 0.0
                for _ in 0..<config.evalIters {
                    let (x, y) = split.randomBatch(batchSize: config.batchSize, blockSize: config.blockSize,
                                                   generator: evalGenerator, device: device)
                    total += forwardLoss(x, y).item()
                }
                return total / Double(config.evalIters)
            }
            return (mean(data.train), mean(data.val))
        }
    }

    /// Loss over all of val in consecutive windows (deterministic; weighted by tokens).
    public func fullValidationLoss() -> Double {
        model.eval()
        defer { model.train() }
        return data.val.fullPassLoss(batchSize: config.batchSize, blockSize: config.blockSize, device: device,
                                     forwardLoss)
    }

    func forwardLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
        if config.dtype == "bfloat16" {
            return withAutocast(device: device, dtype: .bfloat16) { lossFunction(model(x), y) }
        }
        return lossFunction(model(x), y)
    }

    /// Softmax-collapse diagnostics on one val batch (the grokking paper's): fraction of positions whose float32
    /// softmax is exactly one-hot, fraction of exactly-zero losses, median logit margin, and the norm of the
    /// output layer (the tied embedding).
    func collapseDiagnostics() -> [String: Double] {
        model.eval()
        defer { model.train() }
        return withNoGrad {
            let (x, y) = data.val.randomBatch(batchSize: config.batchSize, blockSize: config.blockSize,
                                              generator: evalGenerator, device: device)
            let logits = model(x).float()
            let flat = logits.reshape([-1, logits.size(-1)]), targets = y.reshape([-1])
            let perSample = TorchNN.lossFunction(lossKind, reduction: .none)(flat, targets)
            let stats = SoftmaxCollapse.stats(logits: flat, targets: targets, perSampleLosses: perSample)
            return ["sc_fraction": stats.collapsedFraction, "zero_loss_fraction": stats.zeroLossFraction ?? .nan,
                    "median_margin": stats.medianMargin,
                    "head_weight_norm": SoftmaxCollapse.weightNorm([model.headWeight])]
        }
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

    // MARK: the loop

    /// Trains from the current step to max_iters (inclusive, evaluating at the end as nanoGPT does).
    /// Returns the last evaluation's val loss. `stoppingAt` ends the loop right after the checkpoint of that
    /// step is written, as a killed run would (for resume tests).
    @discardableResult
    public func run(stoppingAt stop: Int? = nil) throws -> Double? {
        let b = config.batchSize, t = config.blockSize, accumulation = config.gradientAccumulationSteps
        let tokensPerIter = b * t * accumulation
        say("mnemo train: \(model.parameterCount(nonEmbedding: true).formatted()) parameters (non-embedding), "
            + "\(data.train.count.formatted()) train / \(data.val.count.formatted()) val tokens, vocab \(data.tokenizer.vocabularySize), "
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
            optimizer.setLearningRate(lr)

            let isEval = step % evalEvery == 0 || step == config.maxIters
            if isEval && !(step == resumedAt && step > 0) {
                var values: [String: Double] = [:]
                let (trainLoss, valLoss) = estimateLoss()
                values["train_loss_est"] = trainLoss
                values["val_loss"] = valLoss
                if config.evalFull { values["val_loss_full"] = fullValidationLoss() }
                for (key, value) in collapseDiagnostics() { values[key] = value }
                lastVal = valLoss
                if valLoss < (state.bestValLoss ?? .infinity) { state.bestValLoss = valLoss }
                values["lr"] = lr
                try metrics.write(step: step, values)
                say(String(format: "step %d: train loss %.4f, val loss %.4f", step, trainLoss, valLoss)
                    + (values["val_loss_full"].map { String(format: ", val loss (full pass) %.4f", $0) } ?? ""))
                if config.sampleTokens > 0 {
                    let text = sample(tokens: config.sampleTokens)
                    try? text.write(toFile: "\(runDirectory)/samples/step_\(String(format: "%06d", step)).txt",
                                    atomically: true, encoding: .utf8)
                }
            }
            if step % checkpointEvery == 0 && step > 0 && step != resumedAt || step == config.maxIters {
                state.elapsedSeconds += Date().timeIntervalSince(clock)
                clock = Date()
                try Checkpoint.save(root: checkpointRoot, model: model, optimizer: optimizer, generators: generators,
                                    state: state, keep: config.keepCheckpoints)
            }
            if step == config.maxIters || step == stop { break }
            if isEval { windowStart = Date(); windowTokens = 0 }  // throughput counts training time only

            // forward / backward over the micro-batches, gradients accumulating
            var lossValue = 0.0
            for _ in 0..<accumulation {
                let (x, y) = data.train.randomBatch(batchSize: b, blockSize: t, generator: dataGenerator, device: device)
                let loss = forwardLoss(x, y) / Double(accumulation)
                loss.backward()
                lossValue += loss.item()
            }
            guard lossValue.isFinite else {
                throw ConfigError("the loss became \(lossValue) at step \(step); the last checkpoint is intact — lower learning_rate or set grad_clip")
            }
            let gradNorm = config.gradClip > 0 ? clipGradNorm(optimizer.allParameters, maxNorm: config.gradClip)
                                               : Kernels.totalNorm(optimizer.allParameters.compactMap(\.grad))
            optimizer.step()
            optimizer.zeroGrad()
            state.tokensSeen += tokensPerIter
            windowTokens += tokensPerIter
            state.step += 1

            if step % config.logInterval == 0 {
                let now = Date()
                let tokPerS = Double(windowTokens) / Swift.max(now.timeIntervalSince(windowStart), 1e-9)
                windowTokens = 0
                windowStart = now
                let elapsed = state.elapsedSeconds + now.timeIntervalSince(clock)
                let values: [String: Double] = ["train_loss": lossValue, "lr": lr, "grad_norm": gradNorm,
                                                "tok_per_s": tokPerS, "elapsed_s": elapsed]
                try metrics.write(step: step, values)
                onLog?(step, values)
                let remaining = Double(config.maxIters - step) * Double(tokensPerIter) / Swift.max(tokPerS, 1)
                let line = String(format: "iter %d: loss %.4f, lr %.2e, grad norm %.3f, %.0f tok/s, ETA %@",
                                  step, lossValue, lr, gradNorm, tokPerS, formatDuration(remaining))
                log.write(Data((line + "\n").utf8))
                if progress { emit(line) }
            }
        }
        state.elapsedSeconds += Date().timeIntervalSince(clock)
        return lastVal
    }
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
