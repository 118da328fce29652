// StudyArmRecord.swift — one arm of a study as the study's report sees it: plain data (what the arm is, how long it
// ran, its metrics.jsonl), so that the report needs nothing from the code that trained it. A study converts its own
// arm type to this at the call site (GrokArmResult.record).
import Foundation
import MnemoReport

public struct StudyArmRecord: Sendable {
    /// Unique within its suite; the run folder's name.
    public var name: String
    /// The experiment it belongs to (B1, B2, …): arms of a group share the report's charts.
    public var group: String
    /// What the arm shows, in a few words.
    public var summary: String
    /// What the paper and its reference implementation report for it, shown beside the result; "" if nothing.
    public var expectation: String
    /// Optimizer steps the arm runs.
    public var steps: Int
    /// The fraction of the data it trains on.
    public var trainFraction: Double
    /// It evaluates every this many steps (0: only at the first and the last).
    public var evalEvery: Int
    public var metrics: MetricsLog
    /// Seconds the arm took (its last elapsed_s).
    public var wallSeconds: Double?

    public init(name: String, group: String, summary: String, expectation: String = "", steps: Int,
                trainFraction: Double, evalEvery: Int, metrics: MetricsLog) {
        self.name = name
        self.group = group
        self.summary = summary
        self.expectation = expectation
        self.steps = steps
        self.trainFraction = trainFraction
        self.evalEvery = evalEvery
        self.metrics = metrics
        wallSeconds = metrics.last("elapsed_s")
    }

    /// The first logged step whose test accuracy is at least `threshold` (nil: never within the run).
    public func firstStep(testAccuracy threshold: Double) -> Int? {
        metrics.series("test_acc").first { $0.value >= threshold }?.step
    }

    public func last(_ key: String) -> Double? { metrics.last(key) }

    /// The value of `key` at the logged step nearest to `step`.
    public func value(_ key: String, near step: Int) -> Double? {
        metrics.series(key).min { abs($0.step - step) < abs($1.step - step) }?.value
    }

    /// Optimizer steps per second over the whole arm, evaluations included.
    public var stepsPerSecond: Double? {
        guard let wallSeconds, wallSeconds > 0 else { return nil }
        return Double(steps) / wallSeconds
    }
}
