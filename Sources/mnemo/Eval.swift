// Eval.swift — `mnemo eval RUN`: the deterministic loss over all of val (and train) for a run's latest checkpoint.
import ArgumentParser
import Foundation
import MnemoData
import MnemoSupport
import MnemoTrain
import Torch

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Loss of a run's latest checkpoint over its whole val split.")

    @Argument(help: "Run folder (the --out of `mnemo train`).") var runFolder: String
    @Flag(help: "Also the full pass over train (slow for big corpora).") var train = false
    @Option(help: "cpu, cuda or cuda:N (default: the run's device when available, else cpu).") var device: String?

    func run() throws {
        Runtime.checkVersion()
        do {
            let loaded = try LoadedRun(runDirectory: runFolder, device: try parseDevice(device))
            let data = try TokenData.load(config: loaded.config)
            // the run's own objective's task loss (softmax or StableMax cross-entropy, masked targets left out)
            let objective = try RunBuilder.objective(loaded.config, model: loaded.model, tokenizer: loaded.tokenizer,
                                                     folder: RunFolder(runFolder), resuming: true)
            func loss(_ split: any BatchSource) -> Double {
                split.fullPassLoss(batchSize: loaded.config.batchSize, device: loaded.device) { batch in
                    objective.loss(loaded.model, on: batch, training: false).task
                }
            }
            print(String(format: "step %d: val loss %.4f (%d tokens)", loaded.step, loss(data.val), data.val.tokenCount))
            if train { print(String(format: "step %d: train loss %.4f (%d tokens)", loaded.step, loss(data.train), data.train.tokenCount)) }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
