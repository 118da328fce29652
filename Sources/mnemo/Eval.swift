// Eval.swift — `mnemo eval RUN`: the deterministic loss over all of val (and train) for a run's latest checkpoint.
import ArgumentParser
import Foundation
import MnemoTrain
import Torch
import TorchNN

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
            let b = loaded.config.batchSize, t = loaded.config.blockSize
            // the run's own loss (softmax or StableMax cross-entropy), targets never ignored here
            let lossFn = lossFunction(loaded.lossKind, ignoreIndex: -1)
            func loss(_ split: TokenSplit) -> Double {
                split.fullPassLoss(batchSize: b, blockSize: t, device: loaded.device) { x, y in
                    lossFn(loaded.model.forward(x, targets: y).logits, y)
                }
            }
            print(String(format: "step %d: val loss %.4f (%d tokens)", loaded.step, loss(data.val), data.val.count))
            if train { print(String(format: "step %d: train loss %.4f (%d tokens)", loaded.step, loss(data.train), data.train.count)) }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
