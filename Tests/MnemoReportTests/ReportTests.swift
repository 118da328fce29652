// Run directories and the HTML report: config flattening and diffs, final figures, load errors, and a report that
// has one chart per series, escapes everything and fetches nothing.

import Foundation
import Testing
@testable import MnemoReport

private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A run directory with a nested config, a metrics log (val_loss every 4th line), two checkpoints and a sample.
private func writeRun(in folder: URL, name: String, lr: String, extra: [String: Double] = [:]) throws -> URL {
    let run = folder.appendingPathComponent(name)
    let fm = FileManager.default
    try fm.createDirectory(at: run.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
    try fm.createDirectory(at: run.appendingPathComponent("samples"), withIntermediateDirectories: true)
    let config = """
        {"model": {"n_layer": 2, "n_embd": 64, "bias": false},
         "optim": {"lr": \(lr), "betas": [0.9, 0.95]},
         "data": {"path": "/data/<shards>", "tokenizer": null}}
        """
    try config.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    let writer = try MetricsWriter(path: run.appendingPathComponent("metrics.jsonl").path, mode: .truncate)
    for step in stride(from: 0, through: 200, by: 10) {
        var values: [String: Double] = [
            "train_loss": 5 - Double(step) / 100, "lr": 1e-3, "grad_norm": 1,
            "tok_per_s": step == 0 ? 100 : 1000, "elapsed_s": Double(step) / 10,
        ]
        if step % 40 == 0 { values["val_loss"] = step == 160 ? 2.5 : 5.1 - Double(step) / 100 }
        for (key, value) in extra { values[key] = value }
        try writer.write(step: step, values)
    }
    try Data("x".utf8).write(to: run.appendingPathComponent("checkpoints/step_000100.safetensors"))
    try Data("x".utf8).write(to: run.appendingPathComponent("checkpoints/step_000200.safetensors"))
    try "Once <upon> a time".write(to: run.appendingPathComponent("samples/step_000200.txt"), atomically: true,
                                   encoding: .utf8)
    return run
}

@Suite("run records and reports")
struct ReportTests {
    @Test("config.json flattens to dotted keys with the source's number text")
    func flatten() throws {
        let json = try RunJSON.parse(#"""
            {"model": {"n_layer": 6, "dropout": 0.0, "bias": false, "name": "gpt"},
             "optim": {"lr": 3e-4, "betas": [0.9, 0.95], "empty": {}},
             "blocks": [{"width": 1}, {"width": 2}], "tokenizer": null, "tags": ["a", "b"]}
            """#)
        let flat = RunRecord.flatten(json)
        #expect(flat == [
            "model.n_layer": "6", "model.dropout": "0.0", "model.bias": "false", "model.name": "gpt",
            "optim.lr": "3e-4", "optim.betas": "[0.9, 0.95]", "optim.empty": "{}",
            "blocks.0.width": "1", "blocks.1.width": "2", "tokenizer": "null", "tags": "[a, b]",
        ])
    }

    @Test("settings that differ: changed values and keys some runs lack; equal ones left out")
    func configDiff() {
        let log = MetricsLog(records: [])
        let runs = [
            RunRecord(name: "a", config: ["lr": "3e-4", "layers": "6", "seed": "1", "only.a": "x"], metrics: log),
            RunRecord(name: "b", config: ["lr": "6e-4", "layers": "6", "seed": "1"], metrics: log),
            RunRecord(name: "c", config: ["lr": "3e-4", "layers": "6", "seed": "1"], metrics: log),
        ]
        #expect(Report.differingSettings(runs) == ["lr", "only.a"])
        #expect(Report.differingSettings([runs[1], runs[2]]) == ["lr"])
        #expect(Report.differingSettings([runs[0]]).isEmpty)
        #expect(Report.differingSettings([runs[1], runs[1]]).isEmpty)
    }

    @Test("a run directory loads: name, config, metrics, figures, checkpoints, samples")
    func loadRunDirectory() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try writeRun(in: folder, name: "base", lr: "3e-4").path
        let run = try RunRecord(directory: path)
        #expect(run.name == "base")
        #expect(run.config["optim.lr"] == "3e-4")
        #expect(run.config["data.path"] == "/data/<shards>")
        #expect(run.warnings.isEmpty)
        #expect(run.checkpoints == ["step_000100.safetensors", "step_000200.safetensors"])
        #expect(run.latestSample?.name == "step_000200.txt")
        #expect(run.latestSample?.text == "Once <upon> a time")

        let summary = run.summary
        #expect(summary.steps == 200)
        #expect(summary.lastTrainLoss == 3)
        #expect(summary.lastValLoss.map { abs($0 - 3.1) < 1e-12 } == true)
        #expect(summary.bestValLoss == 2.5)
        #expect(summary.bestValStep == 160)
        #expect(summary.meanTokensPerSecond == 1000)  // the first (warm-up) point is left out
        #expect(summary.wallSeconds == 20)
    }

    @Test("load errors name the file and say what to fix")
    func loadErrors() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fm = FileManager.default

        var error = #expect(throws: RunRecordError.self) { try RunRecord(directory: folder.path + "/nope") }
        #expect(error?.description.contains("no such run directory") == true)

        let empty = folder.appendingPathComponent("empty")
        try fm.createDirectory(at: empty, withIntermediateDirectories: true)
        error = #expect(throws: RunRecordError.self) { try RunRecord(directory: empty.path) }
        #expect(error?.description.contains("metrics.jsonl") == true)

        let file = folder.appendingPathComponent("file.txt")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        error = #expect(throws: RunRecordError.self) { try RunRecord(directory: file.path) }
        #expect(error?.description.contains("not a directory") == true)

        let badConfig = try writeRun(in: folder, name: "bad", lr: "3e-4")
        try "{\n  \"lr\": 3e-4,\n  \"x\": [1, 2,]\n}".write(to: badConfig.appendingPathComponent("config.json"),
                                                          atomically: true, encoding: .utf8)
        error = #expect(throws: RunRecordError.self) { try RunRecord(directory: badConfig.path) }
        #expect(error?.description.contains("config.json:3:14:") == true, "\(String(describing: error))")

        let badMetrics = try writeRun(in: folder, name: "badmetrics", lr: "3e-4")
        try "{\"step\": 0}\n{oops}\n{\"step\": 1}\n".write(to: badMetrics.appendingPathComponent("metrics.jsonl"),
                                                          atomically: true, encoding: .utf8)
        error = #expect(throws: RunRecordError.self) { try RunRecord(directory: badMetrics.path) }
        #expect(error?.description.contains("metrics.jsonl:2:") == true, "\(String(describing: error))")

        // A missing config.json is only a warning.
        let noConfig = try writeRun(in: folder, name: "noconfig", lr: "3e-4")
        try fm.removeItem(at: noConfig.appendingPathComponent("config.json"))
        let run = try RunRecord(directory: noConfig.path)
        #expect(run.config.isEmpty)
        #expect(run.warnings.count == 1 && run.warnings[0].contains("config.json"))
    }

    @Test("the report: one <svg per chart, escaped names and values, no external resources")
    func reportHTML() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let hostile = "<script>alert(1)</script>"
        let a = try RunRecord(directory: writeRun(in: folder, name: "base", lr: "3e-4").path)
        let b = try RunRecord(directory: writeRun(in: folder, name: hostile, lr: "6e-4",
                                                  extra: ["test_acc": 0.5, "sc_fraction": 0.25]).path)
        let out = folder.appendingPathComponent("report.html").path
        try Report.write(runs: [a, b], to: out, title: "Compare & <contrast>")
        let html = try String(contentsOfFile: out, encoding: .utf8)

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // Five known series + test_acc + sc_fraction; elapsed_s is not charted.
        #expect(html.components(separatedBy: "<svg").count - 1 == 7)
        for title in ["Training loss", "Validation loss", "Learning rate", "Gradient norm", "Throughput",
                      ">test_acc<", ">sc_fraction<"] {
            #expect(html.contains(title), "missing chart \(title)")
        }
        #expect(!html.contains(">elapsed_s<"))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("Compare &amp; &lt;contrast&gt;"))
        #expect(html.contains("/data/&lt;shards&gt;"))
        #expect(html.contains("Once &lt;upon&gt; a time"))
        // Self-contained: nothing to fetch.
        for marker in ["src=", "href=", "<link", "@import", "url(http", "<img"] {
            #expect(!html.contains(marker), "found \(marker)")
        }
        // The differing-settings table lists optim.lr and not the shared keys outside <details>.
        let beforeDetails = html.components(separatedBy: "<details")[0]
        #expect(beforeDetails.contains("<code>optim.lr</code>"))
        #expect(!beforeDetails.contains("<code>model.n_layer</code>"))
        #expect(html.contains("<summary>All settings (7)</summary>"))
    }

    @Test("a report of in-memory runs with sparse, empty and odd data still renders")
    func oddRuns() {
        let one = MetricsLog(records: [.init(step: 0, values: ["train_loss": 3])])
        let empty = MetricsLog(records: [])
        let nan = MetricsLog(records: [.init(step: 0, values: ["val_loss": .nan]), .init(step: 5, values: ["val_loss": .nan])])
        let html = Report.html(runs: [
            RunRecord(name: "one", metrics: one), RunRecord(name: "empty", metrics: empty),
            RunRecord(name: "nan", metrics: nan),
        ])
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)  // train_loss, val_loss
        #expect(html.contains("no data"))
        #expect(html.contains("not logged by any run"))
        #expect(html.contains("metrics.jsonl has no records yet"))
        #expect(Report.html(runs: []).contains("No series to chart"))
    }

    @Test("runs that share a directory name are told apart by their parent")
    func duplicateNames() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try writeRun(in: folder.appendingPathComponent("sweep1"), name: "run", lr: "1")
        let second = try writeRun(in: folder.appendingPathComponent("sweep2"), name: "run", lr: "2")
        let runs = try [RunRecord(directory: first.path), RunRecord(directory: second.path)]
        #expect(Report.displayNames(runs) == ["sweep1/run", "sweep2/run"])
    }

    @Test("figures formatting")
    func formatting() {
        #expect(Report.duration(42) == "42.0 s")
        #expect(Report.duration(425) == "7 min 05 s")
        #expect(Report.duration(7384) == "2 h 03 min")
    }
}
