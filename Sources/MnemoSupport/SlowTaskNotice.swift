// SlowTaskNotice.swift — for work that cannot be counted while it runs (a checkpoint's writes and fsyncs): nothing
// when it ends within `after` seconds; otherwise a line then, and another every `every` seconds until `stop()`, from
// a timer thread, so that a long blocking call does not look like a hang. Counted work has ProgressReporter.
import Dispatch
import Foundation

public final class SlowTaskNotice: @unchecked Sendable {
    private let start = Date()
    private let lock = NSLock()
    private let timer: DispatchSourceTimer
    private var stopped = false
    private var announcedFlag = false

    /// Starts the clock. `message` gets the seconds elapsed and returns the line to write.
    public init(after: TimeInterval = 2, every: TimeInterval = 10, output: @escaping @Sendable (String) -> Void,
                message: @escaping @Sendable (TimeInterval) -> String) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mnemo.slow-task-notice"))
        timer.schedule(deadline: .now() + after, repeating: every)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            lock.lock()
            defer { lock.unlock() }
            guard !stopped else { return }
            announcedFlag = true
            output(message(Date().timeIntervalSince(start)))
        }
        timer.resume()
    }

    deinit { stop() }

    /// Whether a line was written.
    public var announced: Bool {
        lock.lock()
        defer { lock.unlock() }
        return announcedFlag
    }

    /// Ends the notices (no line is written after it returns); returns the seconds since the start.
    @discardableResult
    public func stop() -> TimeInterval {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { timer.cancel() }
        return Date().timeIntervalSince(start)
    }
}
