// SamplingTests.swift — generation's filters against transformers' logits processors (scripts/make_sampling_fixtures.py),
// and stop sequences, padding of stopped rows and streaming on a tiny GPT.
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch

@Suite struct SamplingTests {
    /// The same tokens filtered out (−∞) and the same values elsewhere, to float32 rounding.
    func expectSame(_ got: Tensor, _ want: Tensor, _ name: String) {
        let gotOut = got .== -Double.infinity, wantOut = want .== -Double.infinity
        #expect(gotOut.toArray(Bool.self) == wantOut.toArray(Bool.self), "\(name): filtered tokens")
        let kept = wantOut.logicalNot()
        let difference = (got.maskedFill(gotOut, 0) - want.maskedFill(wantOut, 0)).abs().maskedFill(kept.logicalNot(), 0)
        #expect(difference.max().item() <= 1e-6, "\(name): kept logits")
    }

    @Test func filtersEqualTransformersLogitsProcessors() throws {
        let f = try fixture("sampling").tensors
        let logits = f["logits"]!, sequence = f["sequence"]!
        expectSame(LogitsFilters.repetitionPenalty(logits, sequence: sequence, penalty: 1.3), f["repetition_1_3"]!, "repetition 1.3")
        expectSame(LogitsFilters.topK(logits, k: 5), f["top_k_5"]!, "top-k 5")
        expectSame(LogitsFilters.topP(logits, p: 0.9), f["top_p_0_9"]!, "top-p 0.9")
        expectSame(LogitsFilters.topP(logits, p: 0.5), f["top_p_0_5"]!, "top-p 0.5")
        expectSame(LogitsFilters.topP(logits, p: 1e-4), f["top_p_1e_4"]!, "top-p 1e-4")
        let options = SamplingOptions(temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.2)
        expectSame(LogitsFilters.apply(options, to: logits, sequence: sequence), f["pipeline"]!, "pipeline")
        // top-p 1e-4 keeps exactly one token per row: the most likely
        let kept = (f["top_p_1e_4"]! .!= -Double.infinity).sum(dims: [1]).toArray(Int64.self)
        #expect(kept == [1, 1, 1, 1])
    }

    @Test func badOptionsAreNamed() {
        let bad = SamplingOptions(temperature: 0, topP: 1.5, repetitionPenalty: -1, stopSequences: [[]])
        #expect(bad.problems().count == 4)
        #expect(SamplingOptions(temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1).problems().isEmpty)
    }

    @Test func aRowStopsAtItsStopSequenceAndIsPaddedAndTokensStream() {
        let model = GPT(GPTConfig(blockSize: 16, vocabSize: 11, nLayer: 1, nHead: 2, nEmbd: 16))
        model.eval()
        let prompt = Tensor([1, 2, 3, 4, 5, 6] as [Int64], shape: [2, 3])
        let free = model.generate(prompt, maxNewTokens: 12, sampling: .greedy).toArray(Int64.self)
        let rowA = Array(free[3..<15]), rowB = Array(free[18..<30])
        // stop row A at the first place its greedy tokens show the pair (a_2, a_3)
        let stop = [Int(rowA[2]), Int(rowA[3])]
        let firstA = (0..<11).first { Int(rowA[$0]) == stop[0] && Int(rowA[$0 + 1]) == stop[1] }!
        let firstB = (0..<11).first { Int(rowB[$0]) == stop[0] && Int(rowB[$0 + 1]) == stop[1] }
        var streamed: [[Int64]] = []
        var options = SamplingOptions.greedy
        options.stopSequences = [stop]
        let out = model.generate(prompt, maxNewTokens: 12, sampling: options, onToken: { streamed.append($0.toArray(Int64.self)) })
        let n = out.size(1) - 3
        #expect(streamed.count == n)
        let a = out.toArray(Int64.self)[3..<(3 + n)]
        #expect(Array(a.prefix(firstA + 2)) == Array(rowA.prefix(firstA + 2)), "row A up to its stop")
        #expect(a.dropFirst(firstA + 2).allSatisfy { Int($0) == stop[1] }, "then padded with the stop's last token")
        // generation ends when both rows have stopped, or at the budget
        #expect(n == (firstB.map { Swift.max(firstA, $0) + 2 } ?? 12))
    }
}
