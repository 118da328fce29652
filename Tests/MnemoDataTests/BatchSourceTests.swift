// BatchSourceTests.swift — the batch sources and the one train/val rule.
import Testing
@testable import MnemoData
@testable import Torch

@Suite struct BatchSourceTests {
    @Test func theSplitRuleIsNanoGPTsFloorOfTheTrainShare() {
        #expect(TrainValSplit.trainCount(of: 1_115_394, valFraction: 0.1) == 1_003_854)   // tinyshakespeare
        #expect(TrainValSplit.valCount(of: 1_115_394, valFraction: 0.1) == 111_540)
        #expect(TrainValSplit.valCount(of: 120, valFraction: 0.1) == 12)
        #expect(TrainValSplit.valCount(of: 7, valFraction: 0.1) == 1)    // ⌊6.3⌋ = 6 train
        #expect(TrainValSplit.valCount(of: 10, valFraction: 0) == 0)
    }

    @Test func windowsMatchTheLoadersAndCountEveryTarget() throws {
        let tokens = Array(0..<100)
        let source = TokenWindows(tokens, length: 8)
        let batch = source.randomBatch(size: 3, generator: Generator(seed: 7))
        let (x, y) = try RandomWindowLoader(tokens).batch(3, 8, generator: Generator(seed: 7))
        #expect(batch.inputs.toArray(Int64.self) == x.toArray(Int64.self) && batch.targets.toArray(Int64.self) == y.toArray(Int64.self))
        #expect(batch.targetCount == 24)
        #expect(source.exampleCount == 12 && Array(source.evaluationBatches(size: 5, device: .cpu, rank: 0, ranks: 1)).count == 3)
        #expect(TokenWindows(Array(0..<8), length: 8).problem(split: "val")?.contains("the val split has 8 tokens") == true)
    }

    @Test func paddedRowsMaskPaddingAndWeighTheFullPassByTargets() {
        let rows = PaddedDocumentRows(documents: [[5, 6, 7], [8]], rowLength: 6, bos: 1, eos: 2, pad: 0)
        let batch = rows.batch([0, 1], device: .cpu)
        #expect(batch.targets.toArray(Int64.self) == [5, 6, 7, 2, -1, 8, 2, -1, -1, -1])
        #expect(batch.targetCount == 6)
        // a loss of 1 per counted target and 0 elsewhere: the weighted mean is exactly 1
        let mean = rows.fullPassLoss(batchSize: 1) { b in Tensor([1.0], shape: []) * Double(b.targetCount > 0 ? 1 : 0) }
        #expect(mean == 1)
    }

    @Test func aFixedBatchIsTheWholeSplitEveryTime() {
        let x = Tensor([Int64](0..<12), shape: [6, 2]), y = Tensor([Int64](0..<6), shape: [6, 1])
        let source = FixedBatch(inputs: x, targets: y)
        let a = source.randomBatch(size: 2, generator: Generator(seed: 1))
        #expect(a.inputs.shape == [6, 2] && a.targets.toArray(Int64.self) == [0, 1, 2, 3, 4, 5])
        let second = source.randomBatch(size: 2, generator: Generator(seed: 1), device: .cpu, rank: 1, ranks: 2)
        #expect(second.targets.toArray(Int64.self) == [3, 4, 5])    // rank 1 of 2: its contiguous half
        #expect(Array(source.evaluationBatches(size: 4, device: .cpu, rank: 0, ranks: 1)).count == 1)
    }
}
