// ProgressTests.swift — long work says what it is doing: ProgressReporter's counted lines with an ETA, quiet at first;
// SlowTaskNotice's lines for a blocking task, none for a quick one and none after it stops; the duration and byte
// texts they use.
import Foundation
import Testing
@testable import MnemoSupport

/// Lines written from another thread.
private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ line: String) { lock.lock(); items.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

@Suite("progress")
struct ProgressTests {
    @Test("quiet during the first seconds; then a line with done/total, percent, elapsed and ETA")
    func counted() {
        var lines: [String] = []
        let quiet = ProgressReporter(label: "evaluating", total: 10) { lines.append($0) }
        for _ in 0..<10 { quiet.advance() }
        #expect(lines.isEmpty)

        let eager = ProgressReporter(label: "train encoding", total: 4 << 20, after: 0, every: 0, amount: humanBytes,
                                     detail: { "1,234 tokens" }) { lines.append($0) }
        eager.advance(by: 1 << 20)
        eager.advance(by: 1 << 20)
        eager.advance(by: 2 << 20)  // done: no line
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("train encoding: 1.0 MiB/4.0 MiB (25%), 1,234 tokens, 0m00s elapsed, ETA "), "\(lines[0])")
        #expect(lines[1].hasPrefix("train encoding: 2.0 MiB/4.0 MiB (50%), "))

        lines = []
        let plain = ProgressReporter(label: "evaluating (estimate)", total: 3, after: 0, every: 0) { lines.append($0) }
        plain.advance()
        #expect(lines.first?.hasPrefix("evaluating (estimate): 1/3 (33%), 0m00s elapsed, ETA ") == true)
    }

    @Test("a blocking task: no line when it is quick, lines while it is slow, none after stop")
    func slowTask() throws {
        let quick = Lines()
        let fast = SlowTaskNotice(after: 5, every: 10, output: quick.append) { _ in "writing" }
        #expect(fast.stop() < 5)
        #expect(quick.all.isEmpty && !fast.announced)

        let slow = Lines()
        let notice = SlowTaskNotice(after: 0.05, every: 0.05, output: slow.append) { seconds in
            String(format: "still writing, %.2f s", seconds)
        }
        Thread.sleep(forTimeInterval: 0.4)
        let seconds = notice.stop()
        let count = slow.all.count
        #expect(seconds >= 0.4 && notice.announced)
        #expect(count >= 2 && slow.all.allSatisfy { $0.hasPrefix("still writing, ") }, "\(slow.all)")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(slow.all.count == count)
    }

    @Test("durations and byte counts as people read them")
    func texts() {
        #expect(formatDuration(245) == "4m05s")
        #expect(formatDuration(7384) == "2h03m")
        #expect(formatDuration(.infinity) == "?")
        #expect(humanBytes(1000) == "1000 bytes")
        #expect(humanBytes(1536) == "1.5 KiB")
        #expect(humanBytes(3 << 30) == "3.0 GiB")
    }
}
