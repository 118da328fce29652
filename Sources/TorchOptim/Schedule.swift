// Schedule.swift — learning-rate schedules as pure functions of the step (nanoGPT's get_lr and friends).
import Foundation

public protocol LearningRateSchedule: Sendable {
    func callAsFunction(_ step: Int) -> Double
}

public struct ConstantSchedule: LearningRateSchedule {
    public let lr: Double
    public init(_ lr: Double) { self.lr = lr }
    public func callAsFunction(_ step: Int) -> Double { lr }
}

/// Linear warmup from lr/(warmup+1) to lr over `warmupSteps`, then constant.
public struct LinearWarmupSchedule: LearningRateSchedule {
    public let lr: Double
    public let warmupSteps: Int
    public init(lr: Double, warmupSteps: Int) { self.lr = lr; self.warmupSteps = warmupSteps }
    public func callAsFunction(_ step: Int) -> Double {
        step < warmupSteps ? lr * Double(step + 1) / Double(warmupSteps + 1) : lr
    }
}

/// nanoGPT's schedule: linear warmup, cosine decay to `minLR` at `decaySteps`, then `minLR`. When the decay has
/// no length (`decaySteps` ≤ `warmupSteps`, e.g. both 0), the rate is `minLR` from the end of the warmup on —
/// nanoGPT's formula would divide 0 by 0 there.
public struct WarmupCosineSchedule: LearningRateSchedule {
    public let lr: Double
    public let minLR: Double
    public let warmupSteps: Int
    public let decaySteps: Int
    public init(lr: Double, minLR: Double, warmupSteps: Int, decaySteps: Int) {
        self.lr = lr
        self.minLR = minLR
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }
    public func callAsFunction(_ step: Int) -> Double {
        if step < warmupSteps { return lr * Double(step + 1) / Double(warmupSteps + 1) }
        if step > decaySteps || decaySteps <= warmupSteps { return minLR }
        let ratio = Double(step - warmupSteps) / Double(decaySteps - warmupSteps)
        let coefficient = 0.5 * (1 + cos(Double.pi * ratio))  // 1 → 0
        return minLR + coefficient * (lr - minLR)
    }
}

/// MiniMind's pretraining schedule: no warmup, `lr/10 + 0.5·lr·(1 + cos(π·t/T))` — from 1.1·lr at step 0 down to
/// 0.1·lr at T (`totalSteps`), then 0.1·lr.
public struct MiniMindSchedule: LearningRateSchedule {
    public let lr: Double
    public let totalSteps: Int
    public init(lr: Double, totalSteps: Int) { self.lr = lr; self.totalSteps = totalSteps }
    public func callAsFunction(_ step: Int) -> Double {
        let t = Double(Swift.min(step, Swift.max(totalSteps, 1))) / Double(Swift.max(totalSteps, 1))
        return lr / 10 + 0.5 * lr * (1 + cos(Double.pi * t))
    }
}
