// RunLoader.swift — a trained model back from a run folder: its config, tokenizer and latest weights, for any
// registered model (for `mnemo sample` and `mnemo eval`), on the device asked for.
import Foundation
import MnemoSupport
import MnemoData
import MnemoModels
import Torch
import TorchNN

public struct LoadedRun {
    public let config: TrainConfig
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    public let step: Int
    public let device: Device
    /// The folder it was loaded from, and whether that is a Hugging Face model folder (else a run folder).
    public let directory: String
    public let isHuggingFaceFolder: Bool
    /// Ids to put before a prompt: what the folder's tokenizer.json adds to a single text (Llama's `<s>`), as
    /// transformers' `tokenizer(prompt)` does; none for a Mnemo run (it trains on text as it is).
    public private(set) var promptPrefix: [Int] = []
    /// The ids that end a sequence, where generation stops by default (transformers' `generate` stops at the config's
    /// eos_token_id): a Hugging Face folder's eos_token_id (one or a list), else the tokenizer's end-of-text, else none.
    public private(set) var endOfSequence: [Int] = []
    /// The weights are the run's parameter EMA (a run trained with ema_decay samples and evaluates on its average).
    public private(set) var usesAveragedWeights = false
    /// How the run turns logits into probabilities (softmax, or StableMax for StableMax-trained runs).
    public var lossKind: LossKind { config.loss }

    /// Loads `runDirectory`'s latest checkpoint onto `device` (nil: the run's own device when it is available,
    /// else the CPU).
    public init(runDirectory: String, device: Device? = nil) throws {
        if HuggingFaceFolder.isModelFolder(runDirectory) {
            self = try LoadedRun(huggingFaceFolder: runDirectory, device: device)
            return
        }
        directory = runDirectory
        isHuggingFaceFolder = false
        let run = RunFolder(runDirectory)
        guard run.hasConfig else {
            throw ConfigError("\(runDirectory) is not a run folder (no config.json); give the --out folder of `mnemo train`")
        }
        config = try TrainConfig.load(run.config)
        Runtime.oneDNNKernels = config.cpuMatmul == .onednn   // sampling, evaluation and serving compute as training did
        tokenizer = try RunTokenizer.load(run: runDirectory, configTokenizer: config.tokenizer)
        model = try RunBuilder.model(config.model, tokenizer: tokenizer)
        try RunBuilder.adapt(model, config: config)
        guard let folder = run.latestCheckpoint else {
            throw ConfigError("\(runDirectory) has no checkpoint yet")
        }
        usesAveragedWeights = try Checkpoint.loadWeights(folder: folder, into: model, averaged: true)
        endOfSequence = tokenizer.endOfText.map { [$0] } ?? []
        step = try Checkpoint.state(folder: folder).step
        let runDevice = config.device
        self.device = try Self.place(model, on: device ?? ((runDevice == .cpu || Runtime.cudaIsAvailable) ? runDevice : .cpu))
    }

    /// The chat format to talk to this model in: `name` when given (chatml | tokenizer | a tokenizer_config.json's
    /// path); else a Hugging Face folder's own template (its tokenizer_config.json; ChatML without one), or the run's
    /// chat_template read from the run's own copies (RunTokenizer), so the run folder alone is enough.
    public func chatFormat(_ name: String? = nil) throws -> ChatFormat {
        let spec = isHuggingFaceFolder ? "hf:\(directory)/tokenizer.json"
            : (RunTokenizer.savedSpec(run: directory)?.text ?? config.tokenizer)
        if let name { return try TokenData.chatFormat(name, tokenizerSpec: spec, tokenizer: tokenizer) }
        if isHuggingFaceFolder {
            let own = "\(directory)/tokenizer_config.json"
            return try TokenData.chatFormat(FileManager.default.fileExists(atPath: own) ? own : "chatml", tokenizerSpec: spec, tokenizer: tokenizer)
        }
        let copy = "\(directory)/\(RunTokenizer.chatTemplateCopy)"
        let template = ["chatml", "tokenizer"].contains(config.chatTemplate) || !FileManager.default.fileExists(atPath: copy)
            ? config.chatTemplate : copy
        return try TokenData.chatFormat(template, tokenizerSpec: spec, tokenizer: tokenizer)
    }

    /// Moves `model` to `device` (refused when that is CUDA and the loaded libtorch has none) in eval mode.
    static func place(_ model: any LanguageModel, on device: Device) throws -> Device {
        try RunBuilder.checkAvailable(device)
        if device != .cpu { model.to(device) }
        model.eval()
        return device
    }

    /// A Hugging Face model folder (GPT-2, Llama, Qwen2, MiniMind: config.json, model.safetensors or its shards,
    /// and tokenizer.json or GPT-2's vocab.json + merges.txt), for `mnemo sample DIR` as nanoGPT's
    /// `init_from='gpt2'` sampling.
    init(huggingFaceFolder folder: String, device: Device?) throws {
        directory = folder
        isHuggingFaceFolder = true
        let spec = try HuggingFaceImport.spec(folder)
        let built = try spec.build()
        try HuggingFaceImport.loadWeights(folder, into: built)
        var settings = TrainConfig()
        settings.model = spec
        settings.initFrom = folder
        config = settings
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(folder)/tokenizer.json") {
            tokenizer = try TokenData.tokenizer(spec: "hf:\(folder)/tokenizer.json")
            promptPrefix = try PromptPrefix.ids(tokenizerFile: "\(folder)/tokenizer.json")
        } else if fm.fileExists(atPath: "\(folder)/vocab.json") || fm.fileExists(atPath: "\(folder)/encoder.json") {
            tokenizer = try TokenData.tokenizer(spec: "gpt2:\(folder)")
        } else {
            throw ConfigError("\(folder) has no tokenizer: expected tokenizer.json, or vocab.json + merges.txt (encoder.json + vocab.bpe)")
        }
        let eos = (try? HuggingFaceFolder.configJSON(folder))?["eos_token_id"]
        endOfSequence = eos?.int.map { [$0] } ?? eos?.array?.compactMap(\.int) ?? tokenizer.endOfText.map { [$0] } ?? []
        step = 0
        model = built
        self.device = try Self.place(built, on: device ?? .cpu)
    }
}
