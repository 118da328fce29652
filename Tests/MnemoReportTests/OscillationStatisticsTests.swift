// OscillationStatisticsTests.swift — the stability metrics' definitions on series worked out by hand.
import Testing
@testable import MnemoReport

@Suite struct OscillationStatisticsTests {
    @Test func windowedRatioUsesFullWindowsAfterWarmup() throws {
        // steps 0…6, window 2, from step 2: windows end at 4, 5, 6 → [2,3,4], [3,4,5], [4,5,6]
        let losses = [9.0, 9.0, 2.0, 4.0, 1.0, 2.0, 2.0]
        let series = losses.enumerated().map { (step: $0.offset, loss: $0.element) }
        let r = try #require(OscillationStatistics.windowedRatio(series, window: 2, from: 2))
        // ratios: 4/1 = 4, 4/1 = 4, 2/1 = 2
        #expect(r.windows == 3 && r.max == 4 && r.median == 4)
        #expect(Swift.abs(r.p95 - 4) < 1e-12)
        #expect(OscillationStatistics.windowedRatio(series, window: 10, from: 2) == nil, "no full window")
        // sparse series (a fixed batch every 10 steps): a window holds the points within it
        let sparse = [(step: 0, loss: 3.0), (step: 10, loss: 2.0), (step: 20, loss: 2.5), (step: 30, loss: 2.0)]
        let s = try #require(OscillationStatistics.windowedRatio(sparse, window: 10, from: 0))
        #expect(s.windows == 3 && s.max == 1.5 && s.median == 1.25)
    }

    @Test func reboundSeesClimbsAboveTheBestSoFar() throws {
        let series = [(step: 0, loss: 5.0), (step: 1, loss: 2.0), (step: 2, loss: 3.0), (step: 3, loss: 1.0), (step: 4, loss: 1.5)]
        #expect(OscillationStatistics.rebound(series, from: 0) == 1.5)
        #expect(OscillationStatistics.rebound(series, from: 3) == 1.5)
        #expect(OscillationStatistics.rebound([(step: 0, loss: 3.0), (step: 1, loss: 2.0)], from: 0) == 1, "a falling curve")
    }

    @Test func spikeRuleIsThreeTimesTheMeanOfTheLastTen() {
        let calm = Array(repeating: 2.0, count: 10)[...]
        #expect(OscillationStatistics.isSpike(6.01, previous: calm))
        #expect(!OscillationStatistics.isSpike(6.0, previous: calm))
        #expect(!OscillationStatistics.isSpike(100, previous: calm.prefix(9)), "fewer than 10: no verdict")
    }

    @Test func percentileInterpolatesLikeNumpy() {
        #expect(OscillationStatistics.percentile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(Swift.abs(OscillationStatistics.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.95) - 10.5) < 1e-12)
    }
}
