// StabilityTracker.swift — the stability metrics of every run (OscillationStatistics.swift defines them): the raw
// batch loss of every optimizer step, the loss of one fixed held-out batch every `stability_interval` steps (in eval
// mode, on the weights evaluation uses: the EMA's when there is one), spikes as events, and each clipping group's
// gradient norm. At every evaluation the trainer logs
//   osc_raw_p50 / _p95 / _max      R_W of the batch losses (W = stability_window steps, windows after warm-up)
//   osc_fixed_p50 / _p95 / _max    R_W of the fixed batch's losses
//   rebound_raw, rebound_fixed     max_t L_t / min_{s ≤ t} L_s after warm-up
//   spikes                         steps with L_t > 3 × mean of the previous 10 so far (each is also its own line,
//                                  {"step": t, "spike_loss": L, "spike_ratio": L / mean})
//   grad_norm_p90/GROUP            p90 of each clipping group's pre-clip gradient norm after warm-up
// Its history is part of each checkpoint (state.json), so a resumed run reports what an uninterrupted one would.
import Foundation
import MnemoReport

public struct StabilityState: Codable, Sendable, Equatable {
    public var trainLoss: [Double] = []          // index = step
    public var heldOutStep: [Int] = []
    public var heldOutLoss: [Double] = []
    public var spikeSteps: [Int] = []
    public var groupNorms: [String: [Double]] = [:]   // index = step
    public init() {}
}

public final class StabilityTracker {
    public private(set) var state: StabilityState
    let window: Int
    let warmup: Int

    public init(window: Int, warmup: Int, state: StabilityState = StabilityState()) {
        self.window = window
        self.warmup = warmup
        self.state = state
    }

    /// Keeps the history up to a checkpoint at `step` only: batch losses of the steps before it, held-out losses up
    /// to it (the checkpoint is written after step `step`'s held-out evaluation).
    public func truncate(before step: Int) {
        state.trainLoss = Array(state.trainLoss.prefix(step))
        let kept = state.heldOutStep.filter { $0 <= step }.count
        state.heldOutStep = Array(state.heldOutStep.prefix(kept))
        state.heldOutLoss = Array(state.heldOutLoss.prefix(kept))
        state.spikeSteps = state.spikeSteps.filter { $0 < step }
        state.groupNorms = state.groupNorms.mapValues { Array($0.prefix(step)) }
    }

    /// Records step `step`'s batch loss and gradient norms; returns the spike ratio when the loss is a spike.
    @discardableResult
    public func record(step: Int, loss: Double, groupNorms: [String: Double]) -> Double? {
        let previous = state.trainLoss.suffix(10)
        let spike = OscillationStatistics.isSpike(loss, previous: previous)
        state.trainLoss.append(loss)
        for (group, norm) in groupNorms { state.groupNorms[group, default: []].append(norm) }
        guard spike else { return nil }
        state.spikeSteps.append(step)
        return loss / (previous.reduce(0, +) / Double(previous.count))
    }

    public func recordHeldOut(step: Int, loss: Double) {
        state.heldOutStep.append(step)
        state.heldOutLoss.append(loss)
    }

    /// The metrics of the history so far (keys in the file header); series too short for a window are left out.
    public func metrics() -> [String: Double] {
        var out: [String: Double] = ["spikes": Double(state.spikeSteps.count)]
        let raw = state.trainLoss.enumerated().map { (step: $0.offset, loss: $0.element) }
        let fixed = zip(state.heldOutStep, state.heldOutLoss).map { (step: $0.0, loss: $0.1) }
        for (name, series) in [("raw", raw), ("fixed", fixed)] {
            if let r = OscillationStatistics.windowedRatio(series, window: window, from: warmup) {
                out["osc_\(name)_p50"] = r.median
                out["osc_\(name)_p95"] = r.p95
                out["osc_\(name)_max"] = r.max
            }
            if let r = OscillationStatistics.rebound(series, from: warmup) { out["rebound_\(name)"] = r }
        }
        for (group, norms) in state.groupNorms {
            let after = Array(norms.dropFirst(warmup)).filter(\.isFinite)
            if !after.isEmpty { out["grad_norm_p90/\(group)"] = OscillationStatistics.percentile(after, 0.9) }
        }
        return out
    }
}
