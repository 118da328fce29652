// ProgressReporter.swift — a line of progress with an ETA for work that takes more than a few seconds
// (evaluation passes, checkpoint writing): silent when the work is quick, so short runs stay quiet, and never
// silent for long, so a long evaluation does not look like a hang.
import Foundation

final class ProgressReporter {
    let label: String
    let total: Int
    let output: (String) -> Void
    let start = Date()
    var done = 0
    var lastReport: Date
    /// Quiet for the first `after` seconds, then a line every `every` seconds.
    let after: TimeInterval, every: TimeInterval

    init(label: String, total: Int, after: TimeInterval = 5, every: TimeInterval = 10, output: @escaping (String) -> Void) {
        self.label = label
        self.total = Swift.max(total, 1)
        self.output = output
        self.after = after
        self.every = every
        lastReport = start
    }

    func advance(by n: Int = 1) {
        done += n
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= after, now.timeIntervalSince(lastReport) >= (lastReport == start ? 0 : every), done < total else { return }
        lastReport = now
        let remaining = elapsed / Double(done) * Double(total - done)
        output(String(format: "%@: %d/%d (%.0f%%), %@ elapsed, ETA %@", label, done, total,
                      100 * Double(done) / Double(total), formatDuration(elapsed), formatDuration(remaining)))
    }
}
