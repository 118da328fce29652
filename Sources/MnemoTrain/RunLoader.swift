// RunLoader.swift — a trained model back from a run folder: its config, tokenizer and latest weights
// (for `mnemo sample` and `mnemo eval`).
import Foundation
import MnemoData
import MnemoModels
import Torch

public struct LoadedRun {
    public let config: TrainConfig
    public let model: GPT
    public let tokenizer: any Tokenizer
    public let step: Int

    public init(runDirectory: String) throws {
        let configPath = "\(runDirectory)/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ConfigError("\(runDirectory) is not a run folder (no config.json); give the --out folder of `mnemo train`")
        }
        config = try TrainConfig.load(configPath)
        if FileManager.default.fileExists(atPath: "\(runDirectory)/tokenizer.spec"),
           let spec = try? String(contentsOfFile: "\(runDirectory)/tokenizer.spec", encoding: .utf8) {
            tokenizer = try TokenData.tokenizer(spec: spec.trimmingCharacters(in: .whitespacesAndNewlines))
        } else if config.tokenizer == "char" {
            tokenizer = try TokenData.tokenizer(spec: "char:\(runDirectory)/tokenizer.json")
        } else {
            tokenizer = try TokenData.tokenizer(spec: config.tokenizer)
        }
        var modelConfig = config.model
        if modelConfig.vocabSize == 0 { modelConfig.vocabSize = tokenizer.vocabularySize }
        model = GPT(modelConfig)
        guard let folder = Checkpoint.latest(root: "\(runDirectory)/checkpoints") else {
            throw ConfigError("\(runDirectory) has no checkpoint yet")
        }
        try model.load(stateDict: try SafeTensorsIO.load("\(folder)/model.safetensors"))
        let state = try JSONDecoder().decode(CheckpointState.self,
                                             from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/state.json")))
        step = state.step
        model.eval()
    }
}
