// RecallScoreTests.swift — the recall task's scorer: exact answers at the marked targets only, split near / far by the
// STM's window, and the losses (over every target and at the queries) against values worked out by hand.
import Foundation
@testable import MnemoStudies
import Testing
import Torch

@Suite struct RecallScoreTests {
    @Test func itScoresOnlyTheMarkedTargetsSplitByTheWindow() {
        // V = 4; position 0: not a query; 1: a near query answered right; 2: a far query answered wrong; 3: a near query
        // whose argmax is another value
        let logits = Tensor([0, 0, 0, 0,
                             0, 0, 5, 0,
                             5, 0, 0, 0,
                             0, 3, 0, 1] as [Float], shape: [1, 4, 4])
        let targets = Tensor([1, 2, 3, 3] as [Int64], shape: [1, 4])
        let gaps = Tensor([0, 7, 40, 32] as [Int64], shape: [1, 4])
        var score = RecallScore()
        score.add(logits: logits, targets: targets, gaps: gaps, window: 32)
        #expect(score.near == 2 && score.nearCorrect == 1 && score.far == 1 && score.farCorrect == 0)
        #expect(score.nearAccuracy == 0.5 && score.farAccuracy == 0 && score.queries == 3 && score.targetCount == 4)
        // −log softmax by hand
        func nll(_ row: [Double], _ t: Int) -> Double { log(row.map(exp).reduce(0, +)) - row[t] }
        let rows: [[Double]] = [[0, 0, 0, 0], [0, 0, 5, 0], [5, 0, 0, 0], [0, 3, 0, 1]]
        let each = zip(rows, [1, 2, 3, 3]).map { nll($0, $1) }
        #expect(abs(score.loss - each.reduce(0, +) / 4) < 1e-5)
        #expect(abs(score.queryLoss! - (each[1] + each[2] + each[3]) / 3) < 1e-5)
        // a second batch adds up; a window of 5 makes the gap-7 query far
        var narrow = RecallScore()
        narrow.add(logits: logits, targets: targets, gaps: gaps, window: 5)
        narrow.add(logits: logits, targets: targets, gaps: gaps, window: 5)
        #expect(narrow.near == 0 && narrow.far == 6 && narrow.farCorrect == 2 && narrow.nearAccuracy == nil)
    }
}
