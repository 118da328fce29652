// ModelThread.swift — one dedicated thread on which every tensor of the served model is touched: the serial executor
// of the generation scheduler (GenerationScheduler.swift).
//
// libtorch tensors may move between threads but must not be used from two at once, and libtorch's grad mode is
// per thread. Swift's default actor executor runs an actor's work on whichever thread of the shared pool is free, and
// a decode step holds that thread for its whole length; this executor instead runs the scheduler's jobs one after
// another on a thread of its own, so model work never competes with the HTTP handlers for the shared pool and the
// model is only ever seen by one thread. It refuses nothing and never stops: the server lives as long as the process.
import Foundation

public final class ModelThread: SerialExecutor, @unchecked Sendable {
    // @unchecked: `pending` is only read or written while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []

    public init(name: String = "mnemo-model") {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        pending.append(unowned)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let job = pending.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
