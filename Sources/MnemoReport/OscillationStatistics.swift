// OscillationStatistics.swift — how much a loss curve oscillates, defined (CortexGPT's "4–5× oscillations" never
// were): shared/research/cortexgpt.md §10.4.
//
//   windowed ratio  R_W(t) = max L / min L over the points with step in [t − W, t], for every point t whose window
//                   starts at or after `from` (the end of warm-up); summarised by its median, p95 and max
//   rebound         max_t L_t / min_{from ≤ s ≤ t} L_s: how far the loss climbs back above its best so far (R mixes a
//                   downward trend with oscillation; the rebound does not)
//   spike           L_t > 3 × mean(L_{t−10} … L_{t−1}) (the repository's own rule)
//
// On raw per-batch training loss R has a data-noise floor (≈ 1.4–1.7 at 512 tokens per batch for a perfectly stable
// model), so a fixed held-out batch evaluated every few steps is the series that separates the model's oscillation
// from the batches' noise; both are reported.
import Foundation

public struct OscillationSummary: Sendable, Equatable {
    public var median: Double
    public var p95: Double
    public var max: Double
    public var windows: Int
}

public enum OscillationStatistics {
    /// R_W over `series` (step, loss), steps ascending; nil when no full window lies after `from` or a loss ≤ 0 / not
    /// finite makes the ratio meaningless.
    public static func windowedRatio(_ series: [(step: Int, loss: Double)], window: Int, from: Int) -> OscillationSummary? {
        let points = series.filter { $0.step >= from }
        guard !points.isEmpty, points.allSatisfy({ $0.loss.isFinite && $0.loss > 0 }) else { return nil }
        var ratios: [Double] = []
        var lo = 0
        for (i, p) in points.enumerated() where p.step - window >= from {
            while points[lo].step < p.step - window { lo += 1 }
            let slice = points[lo...i].map(\.loss)
            ratios.append(slice.max()! / slice.min()!)
        }
        guard !ratios.isEmpty else { return nil }
        return OscillationSummary(median: percentile(ratios, 0.5), p95: percentile(ratios, 0.95), max: ratios.max()!,
                                  windows: ratios.count)
    }

    /// max_t L_t / min_{from ≤ s ≤ t} L_s (1 for a curve that never rises above its best so far).
    public static func rebound(_ series: [(step: Int, loss: Double)], from: Int) -> Double? {
        var best = Double.infinity, worst = 1.0
        var any = false
        for p in series where p.step >= from && p.loss.isFinite && p.loss > 0 {
            best = Swift.min(best, p.loss)
            worst = Swift.max(worst, p.loss / best)
            any = true
        }
        return any ? worst : nil
    }

    /// Whether `loss` is a spike after `previous` (the last 10 losses; fewer: no verdict).
    public static func isSpike(_ loss: Double, previous: ArraySlice<Double>, factor: Double = 3, window: Int = 10) -> Bool {
        guard previous.count >= window else { return false }
        let recent = previous.suffix(window)
        let mean = recent.reduce(0, +) / Double(recent.count)
        return loss > factor * mean
    }

    /// The q-quantile with linear interpolation between order statistics (numpy's default).
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no values")
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
