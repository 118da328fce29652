// GrokStudyTests.swift — the grokking study's pieces: the modular-arithmetic data and split, the two models, a tiny
// arm end to end (its run folder reads back as a `mnemo report` run, its result converts to the report's record),
// and the two models as LanguageModels (they train through the same interface as GPT).
// The thresholds, the table and the HTML page are tested with the report (GrokReportTests.swift).
import Foundation
import Testing
import MnemoTrain
import TorchOptim
@testable import MnemoData
@testable import MnemoModels
import MnemoReport
@testable import MnemoStudies
@testable import Torch
@testable import TorchNN

@Suite struct GrokStudyTests {
    @Test func modularArithmeticCoversEveryPairAndSplitsBySeed() {
        let data = ModularArithmetic(p: 7, operation: .subtract, trainFraction: 0.4, seed: 3)
        #expect(data.count == 49 && data.trainIndices.count == 19 && data.testIndices.count == 30)
        let all = cat([data.trainIndices, data.testIndices]).sort().values.toArray(Int64.self)
        #expect(all == (0..<49).map(Int64.init))
        // Pair 3·7 + 5 is (3 − 5) mod 7 = 5.
        #expect(data.labels[3 * 7 + 5].itemInt() == 5)
        #expect(ModularOperation.multiply.apply(6, 5, modulo: 7) == 2)
        let again = ModularArithmetic(p: 7, operation: .subtract, trainFraction: 0.4, seed: 3)
        #expect(again.trainIndices.equal(data.trainIndices))
        #expect(!ModularArithmetic(p: 7, operation: .subtract, trainFraction: 0.4, seed: 4).trainIndices.equal(data.trainIndices))

        let x = data.oneHotPairs(data.trainIndices)
        #expect(x.shape == [19, 14] && x.dtype == .float32)
        #expect(x.sum(dims: [1]).toArray(Float.self).allSatisfy { $0 == 2 })
        let first = data.trainIndices[0].itemInt()
        #expect(x[0, first / 7].item() == 1 && x[0, 7 + first % 7].item() == 1)
        #expect(data.tokenPairs(data.trainIndices)[0].toArray(Int64.self) == [Int64(first / 7), Int64(first % 7)])
    }

    @Test func modelsHaveThePapersShapesAndNames() {
        let mlp = GrokMLP(generator: Generator(seed: 1))
        #expect(mlp.namedParameters().map(\.name) == ["layers.0.weight", "layers.1.weight", "layers.2.weight"])
        #expect(mlp.namedParameters().map(\.tensor.shape) == [[200, 226], [200, 200], [113, 200]])
        let bound = 1 / 226.0.squareRoot()
        #expect(mlp.layers[0].weight.abs().max().item() <= bound)
        #expect(mlp(Tensor.zeros([3, 226])).shape == [3, 113])

        let transformer = GrokTransformer(vocabulary: 11, generator: Generator(seed: 1))
        let logits = transformer(Tensor([[1, 2], [3, 4], [5, 6]] as [[Int64]]))
        #expect(logits.shape == [3, 11])
        #expect(transformer.outputLayer.weight.shape == [11, 128])
        // Reading the last position depends on both tokens and on their order.
        let swapped = transformer(Tensor([[2, 1], [4, 3], [6, 5]] as [[Int64]]))
        #expect(!logits.allClose(swapped))
    }

    @Test func grokModelsAreLanguageModelsToo() throws {
        let data = ModularArithmetic(p: 7, operation: .add, trainFraction: 0.5, seed: 0)
        let tokens = data.tokenPairs(data.trainIndices)                                   // (N, 2)
        let mlp = GrokMLP(inputs: 14, outputs: 7, generator: Generator(seed: 1))
        let viaProtocol = mlp.forward(tokens, targets: nil).logits                      // (N, 1, 7)
        #expect(viaProtocol.shape == [tokens.size(0), 1, 7] && mlp.contextLength == 2)
        #expect((viaProtocol.squeeze(1) - mlp(data.oneHotPairs(data.trainIndices))).abs().max().item() == 0)
        let transformer = GrokTransformer(vocabulary: 7, width: 16, heads: 2, feedForward: 32, generator: Generator(seed: 2))
        #expect((transformer.lastLogits(tokens) - transformer(tokens)).abs().max().item() == 0)
        #expect(transformer.generate(tokens, maxNewTokens: 1, generator: Generator(seed: 3)).shape == [tokens.size(0), 3])
        #expect(mlp.outputWeight!.shape == [7, 200] && transformer.outputWeight!.shape == [7, 16])
    }

    static func tinyArm(_ name: String, model: GrokModelKind = .mlp, loss: LossKind = .softmax,
                        orthogonal: Bool = false) -> GrokArm {
        var arm = GrokArm(name: name, group: "T", summary: "tiny")
        arm.modulus = 7
        arm.steps = 6
        arm.evalEvery = 2
        arm.model = model
        arm.loss = loss
        arm.orthogonal = orthogonal
        arm.lr = 0.01
        return arm
    }

    @Test(arguments: [(GrokModelKind.mlp, LossKind.softmax, true), (.mlp, .stablemax, false), (.transformer, .softmax, true)])
    func anArmWritesARunFolder(_ model: GrokModelKind, _ loss: LossKind, _ orthogonal: Bool) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("grok-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let arm = Self.tinyArm("tiny-\(model.rawValue)-\(loss.rawValue)", model: model, loss: loss, orthogonal: orthogonal)
        let timing = try GrokTrainer.run(arm, directory: "\(root)/\(arm.name)")
        #expect(timing.wallSeconds > 0 && timing.secondsPerStep != nil)

        let run = try RunRecord(directory: "\(root)/\(arm.name)")
        #expect(run.config["loss"] == loss.rawValue && run.config["val_fraction"] == "0.6" && run.config["data"] == "modular:add:7")
        let described = try String(contentsOfFile: "\(root)/\(arm.name)/arm.json", encoding: .utf8)
        #expect(described.contains("\"study\" : \"grok\"") && described.contains("\"train_fraction\" : 0.4"))
        // each step: the evaluation's line, then the training line (none after the last step)
        #expect(run.metrics.records.map(\.step) == [0, 0, 2, 2, 4, 4, 6])
        for key in ["train_loss", "val_loss", "train_acc", "test_acc", "sc_fraction", "zero_loss_fraction",
                    "median_margin", "weight_norm", "update_cos", "lr", "elapsed_s"] {
            #expect(run.metrics.keys.contains(key), "\(key)")
        }
        #expect(run.metrics.series("update_cos").count == 3)  // no update after the last step
        let result = try GrokArmResult(arm: arm, root: root)
        #expect(result.stepsPerSecond != nil)
        #expect(result.last("weight_norm")! > 0)
        let record = result.record
        #expect(record.name == arm.name && record.group == "T" && record.steps == 6 && record.evalEvery == 2)
        #expect(record.stepsPerSecond == result.stepsPerSecond && record.metrics.series("test_acc").count == 4)
    }
}

/// The arm as an ordinary run: its settings, an SGD arm's step, and the task refused when it cannot be one.
@Suite(.serialized) struct GrokRunTests {
    @Test func anSGDArmTakesTorchSGDsStepThroughTheTrainer() throws {
        var arm = GrokStudyTests.tinyArm("tiny-sgd")
        arm.optimizer = .sgd
        arm.momentum = 0.9
        arm.weightDecay = 0.5
        arm.steps = 1
        let config = try GrokTrainer.config(arm)
        #expect(config.optimizer == .sgd && config.momentum == 0.9 && config.gradClip == 0 && !config.decayLR)
        #expect(config.data == "modular:add:7" && config.valFraction == 1 - arm.trainFraction)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("grok-sgd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try Trainer(config: config, runDirectory: root)
        trainer.progress = false
        #expect(trainer.optimizer is SGD)
        let before = trainer.model.parameters().map { $0.detached().clone() }
        // one full-batch step by hand: the same loss, the gradient, and SGD's first step p ← p − lr·(g + wd·p)
        let batch = trainer.data.train.randomBatch(size: 1, generator: Generator(seed: 0))
        trainer.objective.loss(trainer.model, on: batch, training: true).total.backward()
        let grads = trainer.model.parameters().map { $0.grad!.clone() }
        trainer.optimizer.zeroGrad()
        try trainer.run()
        for ((p, b), g) in zip(zip(trainer.model.parameters(), before), grads) {
            let expected = b - (g + b * arm.weightDecay) * arm.lr
            #expect((p.detached() - expected).abs().max().item() < 1e-6)
        }
    }

    @Test func aModularTaskNeedsAnOperationAModulusAndATestSet() {
        #expect(ModularArithmetic.parse(spec: "modular:add:113")! == (.add, 113))
        #expect(ModularArithmetic.parse(spec: "modular:divide:113") == nil && ModularArithmetic.parse(spec: "modular:add:1") == nil)
        var c = TrainConfig()
        c.data = "modular:add:7"
        c.valFraction = 0
        #expect { _ = try TokenData.load(config: c) } throws: { "\($0)".contains("needs a test set") }
        c.data = "modular:pow:7"
        #expect { _ = try TokenData.load(config: c) } throws: { "\($0)".contains("modular:OP:P") }
    }
}
