// ProgressReporter.swift — a line of progress with an ETA for work that takes more than a few seconds and can be
// counted (evaluation passes, tokens of data preparation): silent when the work is quick, so short runs stay quiet,
// and never silent for long, so a long pass does not look like a hang. Work that cannot be counted (one blocking
// write) has SlowTaskNotice instead.
import Foundation

public final class ProgressReporter {
    public let label: String
    public let total: Int
    let output: (String) -> Void
    /// How an amount is written ("1234" by default; bytes as "1.2 GiB", …).
    let amount: (Int) -> String
    /// Extra words after the percentage ("1,234,567 tokens"), or nil.
    let detail: (() -> String)?
    let start = Date()
    public private(set) var done = 0
    var lastReport: Date
    /// Quiet for the first `after` seconds, then a line every `every` seconds.
    let after: TimeInterval, every: TimeInterval

    public init(label: String, total: Int, after: TimeInterval = 5, every: TimeInterval = 10,
                amount: @escaping (Int) -> String = { String($0) }, detail: (() -> String)? = nil,
                output: @escaping (String) -> Void) {
        self.label = label
        self.total = Swift.max(total, 1)
        self.output = output
        self.amount = amount
        self.detail = detail
        self.after = after
        self.every = every
        lastReport = start
    }

    /// Seconds since the reporter was made.
    public var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    /// Counts `n` more units done, and writes a line when one is due: "label: 3/10 (30%), 0m05s elapsed, ETA 0m12s".
    public func advance(by n: Int = 1) {
        done += n
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= after, now.timeIntervalSince(lastReport) >= (lastReport == start ? 0 : every), done < total else { return }
        lastReport = now
        let remaining = elapsed / Double(done) * Double(total - done)
        let extra = detail.map { ", " + $0() } ?? ""
        output(String(format: "%@: %@/%@ (%.0f%%)%@, %@ elapsed, ETA %@", label, amount(done), amount(total),
                      100 * Double(done) / Double(total), extra, formatDuration(elapsed), formatDuration(remaining)))
    }
}
