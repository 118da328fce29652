// TensorBoardRunTests.swift — every run writes TensorBoard event files beside metrics.jsonl: read back with the rules
// TensorBoard's EventAccumulator applies (files in name order; a SessionLog START at step s drops what was read before
// it at step s or later; every file starts with one), they hold every scalar of metrics.jsonl at its step (as float32) and every sample; a killed
// and resumed run still does; `tensorboard = false` writes none, and turning it on when resuming fills in the past.
import Foundation
import MnemoReport
import MnemoSupport
import Testing
@testable import MnemoTrain

/// What TensorBoard shows for a run folder: each tag's (step, value) points and the texts, in reading order.
private struct TensorBoardView {
    var scalars: [String: [(step: Int, value: Float)]] = [:]
    var texts: [String: [(step: Int, text: String)]] = [:]
    var files = 0

    init(folder: String) throws {
        for path in TensorBoardEventFile.paths(in: folder) {
            files += 1
            for event in try TensorBoardEventFile(contentsOf: path).events {
                let step = Int(event.step)
                switch event.content {
                case .sessionStart:
                    for tag in scalars.keys { scalars[tag]?.removeAll { $0.step >= step } }
                    for tag in texts.keys { texts[tag]?.removeAll { $0.step >= step } }
                case .summary(let values):
                    for value in values {
                        switch value.kind {
                        case .scalar(let number): scalars[value.tag, default: []].append((step, number))
                        case .text(let text): texts[value.tag, default: []].append((step, text))
                        case .other: break
                        }
                    }
                case .fileVersion, .other:
                    break
                }
            }
        }
    }

    /// Issues for every difference from the run's metrics.jsonl and samples/.
    func expectMatches(run: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let log = try MetricsLog(contentsOf: RunFolder(run).metrics)
        #expect(Set(scalars.keys) == Set(log.keys), sourceLocation: sourceLocation)
        for key in log.keys {
            let expected = log.series(key)
            let got = scalars[key] ?? []
            #expect(got.map(\.step) == expected.map(\.step), "\(key): steps", sourceLocation: sourceLocation)
            for (point, (step, value)) in zip(expected, got) {
                let want = Float(point.value)
                // metrics.jsonl writes null for NaN and ±infinity; the event file keeps the float
                #expect(want.isNaN ? !value.isFinite : value == want, "\(key) at step \(step): \(value) vs \(want)",
                        sourceLocation: sourceLocation)
            }
        }
        let sampleFiles = ((try? FileManager.default.contentsOfDirectory(atPath: RunFolder(run).samples)) ?? []).sorted()
        let samples = texts[Trainer.sampleTag] ?? []
        #expect(samples.map { RunFolder(run).sample(step: $0.step) } == sampleFiles.map { "\(RunFolder(run).samples)/\($0)" },
                sourceLocation: sourceLocation)
        for (step, text) in samples {
            #expect(text == (try String(contentsOfFile: RunFolder(run).sample(step: step), encoding: .utf8)),
                    sourceLocation: sourceLocation)
        }
    }
}

@Suite(.serialized) struct TensorBoardRunTests {
    @Test func aRunWritesEveryScalarAndSample() throws {
        let dir = try temporaryFolder("tensorboard")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = "\(dir)/run"
        let trainer = try Trainer(config: tinyConfig(data: try writeCorpus(in: dir)), runDirectory: run)
        trainer.progress = false
        try trainer.run()
        let view = try TensorBoardView(folder: run)
        #expect(view.files == 1)
        #expect(view.scalars["train_loss"]?.count == 20 && view.scalars["val_loss"]?.map(\.step) == [0, 10, 20])
        #expect(view.texts[Trainer.sampleTag]?.map(\.step) == [0, 10, 20])
        try view.expectMatches(run: run)
    }

    @Test func aKilledAndResumedRunShowsWhatMetricsJsonlKeeps() throws {
        let dir = try temporaryFolder("tensorboard-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.maxIters = 30
        config.lrDecayIters = 30
        let run = "\(dir)/run"
        let first = try Trainer(config: config, runDirectory: run)
        first.progress = false
        try first.run(stoppingAt: 15)   // checkpoint at 10; steps 10 … 14 logged, then killed
        let killed = try TensorBoardView(folder: run)
        #expect(killed.scalars["train_loss"]?.last?.step == 14)

        let resumed = try Trainer.resume(runDirectory: run)
        resumed.progress = false
        try resumed.run()
        let view = try TensorBoardView(folder: run)
        #expect(view.files == 2)
        #expect(view.scalars["train_loss"]?.map(\.step) == Array(0..<30))
        #expect(view.scalars["val_loss"]?.map(\.step) == [0, 10, 20, 30])
        try view.expectMatches(run: run)
        // the new file starts with the restart marker at the checkpoint's step
        let second = try TensorBoardEventFile(contentsOf: TensorBoardEventFile.paths(in: run)[1]).events
        #expect(second[1].content == .sessionStart && second[1].step == 10)
        let firstFile = try TensorBoardEventFile(contentsOf: TensorBoardEventFile.paths(in: run)[0]).events
        #expect(firstFile[1].content == .sessionStart && firstFile[1].step == 0)
    }

    @Test func turnedOffWritesNoneAndTurnedOnWhenResumingFillsInThePast() throws {
        let dir = try temporaryFolder("tensorboard-off")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.tensorboard = false
        let run = "\(dir)/run"
        let first = try Trainer(config: config, runDirectory: run)
        first.progress = false
        try first.run(stoppingAt: 15)
        #expect(TensorBoardEventFile.paths(in: run).isEmpty)

        let resumed = try Trainer.resume(runDirectory: run, overrides: ["tensorboard=true"])
        resumed.progress = false
        try resumed.run()
        let view = try TensorBoardView(folder: run)
        #expect(view.files == 1)
        #expect(view.scalars["train_loss"]?.map(\.step) == Array(0..<20))
        try view.expectMatches(run: run)
    }
}
