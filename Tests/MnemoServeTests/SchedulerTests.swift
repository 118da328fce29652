// SchedulerTests.swift — the generation scheduler without HTTP: concurrent requests advance together (a later
// request's first text arrives before an earlier one ends) and each gets what it would get alone — prompts of
// different lengths decoding in one batch, joining and leaving it, and past the context; a consumer that
// gives up (cancel, or its task cancelled) frees its slot; requests beyond the slots wait; text stops (StopText)
// never release text a stop string removes.
import Foundation
import MnemoModels
import MnemoServe
import Testing
import Torch

/// The order in which events arrive from several generations.
actor EventLog {
    var entries: [(job: Int, finished: Bool)] = []
    func add(_ job: Int, finished: Bool) { entries.append((job, finished)) }
}

func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
}

@Suite struct SchedulerTests {
    @Test func concurrentRequestsAdvanceTogether() async throws {
        let (server, expected) = try tinyServer { model in greedyText(model, "abc", tokens: 20) }
        var greedy = GenerationParameters()
        greedy.temperature = 0
        let log = EventLog()
        var generations: [Generation] = []
        for _ in 0..<3 {
            generations.append(await server.scheduler.submit(GenerationJob(prompt: ids("abc"), maxTokens: 20, parameters: greedy)))
        }
        let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, generation) in generations.enumerated() {
                group.addTask {
                    var text = ""
                    for await event in generation.events {
                        if case .text(let piece) = event { text += piece; await log.add(i, finished: false) }
                        if case .finished = event { await log.add(i, finished: true) }
                    }
                    return (i, text)
                }
            }
            var out = Array(repeating: "", count: 3)
            for try await (i, text) in group { out[i] = text }
            return out
        }
        #expect(texts == Array(repeating: expected, count: 3))
        let entries = await log.entries
        let firstFinish = try #require(entries.firstIndex { $0.finished })
        let lastStart = try #require((0..<3).compactMap { job in entries.firstIndex { $0.job == job } }.max())
        #expect(lastStart < firstFinish, "every request streams before any one finishes")
    }

    @Test func requestsOfDifferentLengthsDecodeTogetherAsAlone() async throws {
        // context 32: the longest prompt outgrows it (the batch gives way to recomputed windows), the shortest
        // request ends early and a waiting one takes its slot and row
        let prompts = ["a", "The quick brown fox", "jumps over the lazy dog.", "Hi", "0123456789"]
        let budgets = [24, 20, 16, 5, 12]
        let (server, expected) = try tinyServer(slots: 4) { model in
            zip(prompts, budgets).map { greedyText(model, $0, tokens: $1) }
        }
        var greedy = GenerationParameters()
        greedy.temperature = 0
        var generations: [Generation] = []
        for (prompt, budget) in zip(prompts, budgets) {
            generations.append(await server.scheduler.submit(GenerationJob(prompt: ids(prompt), maxTokens: budget, parameters: greedy)))
        }
        let texts = await withTaskGroup(of: (Int, String).self) { group in
            for (i, generation) in generations.enumerated() {
                group.addTask {
                    var text = ""
                    for await event in generation.events { if case .finished(let result) = event { text = result.text } }
                    return (i, text)
                }
            }
            var out = Array(repeating: "", count: prompts.count)
            for await (i, text) in group { out[i] = text }
            return out
        }
        #expect(texts == expected)
    }

    @Test func aConsumerThatGivesUpFreesItsSlot() async throws {
        let (server, _) = try tinyServer(slots: 1)
        let scheduler = server.scheduler
        let job = GenerationJob(prompt: ids("abc"), maxTokens: 29, parameters: GenerationParameters())
        let first = await scheduler.submit(job)
        let second = await scheduler.submit(job)
        var iterator = first.events.makeAsyncIterator()
        _ = await iterator.next()
        #expect(scheduler.load.snapshot.active == 1)
        #expect(scheduler.load.snapshot.waiting == 1)
        await first.cancel()
        // the waiting request takes the freed slot and runs to its end
        var finished = false
        for await event in second.events { if case .finished(let result) = event { finished = result.tokens.count == 29 } }
        #expect(finished)
        try await waitUntil { scheduler.load.snapshot.active == 0 }
        #expect(scheduler.load.snapshot.cancelled == 1)

        // a consuming task that is cancelled cancels its request
        let third = await scheduler.submit(job)
        let reader = Task { for await _ in third.events {} }
        reader.cancel()
        _ = await reader.value
        try await waitUntil { scheduler.load.snapshot.active == 0 && scheduler.load.snapshot.cancelled == 2 }
        #expect(scheduler.load.snapshot.cancelled == 2)
        #expect(scheduler.load.snapshot.active == 0)
    }

    @Test func stopTextHoldsBackWhatAStopMightRemove() {
        var stop = StopText(["<|end|>", "\n\n"])
        #expect(stop.add("Hello <").release == "Hello ")
        #expect(stop.add("|e").release == "")
        #expect(stop.add("x world\n").release == "<|ex world")
        let last = stop.add("\nmore")
        #expect(last.release == "" && last.stopped)

        var plain = StopText(["STOP"])
        #expect(plain.add("ST").release == "")
        #expect(plain.add("ar").release == "STar")
        #expect(plain.add("t S").release == "t ")
        #expect(plain.finish() == "S")

        var none = StopText([])
        #expect(none.add("abc").release == "abc")
    }
}
