// metrics.jsonl: writer -> reader round trips, truncated last lines, errors naming file:line, resumes, and the
// small JSON reader underneath.

import Foundation
import Testing
@testable import MnemoReport
import MnemoSupport

private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func parse(_ text: String) throws -> MetricsLog {
    try MetricsLog(parsing: Data(text.utf8), source: "metrics.jsonl")
}

@Suite("metrics log")
struct MetricsLogTests {
    @Test("writer -> reader round trip: sorted keys, JSON numbers, NaN and infinity as null")
    func roundTrip() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("metrics.jsonl").path
        let rows: [(Int, [String: Double])] = [
            (0, ["train_loss": 10.9, "lr": 0, "grad_norm": 3.25, "tok_per_s": 30000]),
            (10, ["train_loss": 9.5, "lr": 3e-5, "grad_norm": .infinity, "tok_per_s": 51234.5, "val_loss": 9.75]),
            (20, ["train_loss": .nan, "lr": 6.000000000000001e-05, "grad_norm": 1e-12, "tok_per_s": 5e20]),
        ]
        do {
            let writer = try MetricsWriter(path: path, mode: .truncate)
            for (step, values) in rows { try writer.write(step: step, values) }
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[0] == #"{"grad_norm":3.25,"lr":0,"step":0,"tok_per_s":30000,"train_loss":10.9}"#)
        #expect(lines[1] == #"{"grad_norm":null,"lr":3e-05,"step":10,"tok_per_s":51234.5,"train_loss":9.5,"val_loss":9.75}"#)

        let log = try MetricsLog(contentsOf: path)
        #expect(log.warnings.isEmpty)
        #expect(log.records.map(\.step) == [0, 10, 20])
        for (record, (step, values)) in zip(log.records, rows) {
            #expect(record.step == step)
            #expect(Set(record.values.keys) == Set(values.keys))
            for (key, value) in values {
                let read = record.values[key]!
                if value.isFinite {
                    #expect(read == value, "\(key) at step \(step)")  // exact: shortest round-trip digits
                } else {
                    #expect(read.isNaN, "\(key) at step \(step) should read back as a gap")
                }
            }
        }
        #expect(log.keys == ["grad_norm", "lr", "tok_per_s", "train_loss", "val_loss"])
        #expect(log.series("val_loss") == [MetricPoint(step: 10, value: 9.75)])
        #expect(log.last("train_loss") == 9.5)  // the NaN at step 20 is skipped
        #expect(log.last("grad_norm") == 1e-12)
        #expect(log.lastStep == 20)
    }

    @Test("append mode keeps earlier lines and cuts a partial last line first")
    func appendAfterKill() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("metrics.jsonl").path
        try (#"{"step":1,"train_loss":5}"# + "\n" + #"{"step":2,"train_lo"#).write(toFile: path, atomically: true, encoding: .utf8)
        do {
            let writer = try MetricsWriter(path: path, mode: .append)
            try writer.write(step: 2, ["train_loss": 4.5])
        }
        let log = try MetricsLog(contentsOf: path)
        #expect(log.warnings.isEmpty)
        #expect(log.series("train_loss") == [MetricPoint(step: 1, value: 5), MetricPoint(step: 2, value: 4.5)])
    }

    @Test("every truncation of the last line is dropped with a warning")
    func truncatedLastLine() throws {
        let good = #"{"step": 0, "train_loss": 10.5}"# + "\n"
        let last = #"{"grad_norm": 0.61, "lr": -1.5e-4, "note": "caf\u00e9 \"x\"", "ok": true, "step": 12, "val": null}"#
        for cut in 1..<last.utf8.count {
            let text = good + String(decoding: Array(last.utf8)[..<cut], as: UTF8.self)
            let log = try parse(text)
            #expect(log.records.count == 1, "cut at \(cut)")
            #expect(log.warnings.count == 1, "cut at \(cut)")
            #expect(log.warnings.first?.contains("metrics.jsonl:2:") == true)
        }
        // The whole line parses.
        #expect(try parse(good + last).records.count == 2)
    }

    @Test("a malformed line names file:line and stops the load", arguments: [
        (#"{"step": 0}"# + "\n" + #"{"step": 1, "lr": }"# + "\n" + #"{"step": 2}"#, 2),
        (#"{"step": 0}"# + "\n" + #"{"step": 1, "lr": 0.1"# + "\n" + #"{"step": 2}"#, 2),  // cut, but not last
        (#"{"step": 0}"# + "\n" + #"{"step": 1, "lr": x}"#, 2),  // last, but wrong rather than cut
        (#"{"step": 0}"# + "\n" + #"{"step": 1, "lr": 0.1"# + "\n", 2),  // cut, then a newline: not a killed write
        (#"{"step": 0}"# + "\n\n" + "[1, 2]\n", 3),  // not an object (blank line 2 skipped)
        (#"{"train_loss": 3}"# + "\n", 1),  // no step
        (#"{"step": 1.5}"# + "\n", 1),
        (#"{"step": -1}"# + "\n", 1),
        (#"{"step": "3"}"# + "\n", 1),
        (#"{"step": 1, "lr": 01}"# + "\n", 1),  // leading zero
        (#"{"step": 1, "lr": .5}"# + "\n", 1),
        (#"{"step": 1} x"# + "\n", 1),
        ("{\"step\": 1, \"a\": \"tab\there\"}\n", 1),  // raw control character in a string
    ])
    func malformedLine(text: String, line: Int) throws {
        let error = #expect(throws: MetricsLogError.self) { try parse(text) }
        #expect(error?.line == line)
        #expect(error?.description.hasPrefix("metrics.jsonl:\(line): ") == true, "\(String(describing: error))")
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let error = #expect(throws: MetricsLogError.self) { try MetricsLog(contentsOf: "/nonexistent/metrics.jsonl") }
        #expect(error?.description.contains("/nonexistent/metrics.jsonl: does not exist") == true)
    }

    @Test("null and Python's NaN/Infinity are gaps; strings, booleans and arrays are not series")
    func valueKinds() throws {
        let log = try parse("""
            {"step": 0, "train_loss": NaN, "lr": Infinity, "name": "run", "flag": true, "hist": [1, 2], "x": {"y": 1}}
            {"step": 1, "train_loss": null, "lr": -Infinity, "test_acc": 0.5}

            """)
        #expect(log.keys == ["lr", "train_loss", "test_acc"])
        #expect(log.series("train_loss").allSatisfy { $0.value.isNaN })
        #expect(log.series("lr").count == 2 && log.last("lr") == nil)
        #expect(log.last("test_acc") == 0.5)
    }

    @Test("steps that go back (a resumed run) replace the earlier records from that step on")
    func resumedRun() throws {
        let log = try parse((0...5).map { #"{"step": \#($0 * 10), "train_loss": 1}"# }.joined(separator: "\n")
            + "\n" + #"{"step": 30, "train_loss": 2}"# + "\n" + #"{"step": 40, "train_loss": 2}"# + "\n")
        #expect(log.records.map(\.step) == [0, 10, 20, 30, 40])
        #expect(log.series("train_loss").map(\.value) == [1, 1, 1, 2, 2])
        #expect(log.warnings.count == 1)
        #expect(log.warnings.first?.contains("from 50 to 30") == true)
    }

    @Test("JSON strings: escapes, \\u, surrogate pairs, raw UTF-8")
    func jsonStrings() throws {
        let json = try RunJSON.parse(#"{"a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é"}"#)
        guard case .object(let members) = json, case .string(let text) = members[0].value else {
            Issue.record("not an object with a string")
            return
        }
        #expect(text == "x\"\\/\u{8}\u{C}\n\r\té😀é")
        #expect(throws: JSONSyntaxError.self) { try RunJSON.parse(#""\ud83d""#) }
        #expect(throws: JSONSyntaxError.self) { try RunJSON.parse(#""\ude00""#) }
        #expect(throws: JSONSyntaxError.self) { try RunJSON.parse(#""\x""#) }
    }

    @Test("JSON errors say where, and whether the text just stopped")
    func jsonErrors() throws {
        do {
            _ = try RunJSON.parse("{\n  \"a\": 1,\n  \"b\" 2\n}")
            Issue.record("parsed")
        } catch {
            let bytes = Array("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8)
            #expect(error.location(in: bytes) == (line: 3, column: 7))
            #expect(!error.atEnd)
        }
        #expect(throws: JSONSyntaxError.self) { try RunJSON.parse(String(repeating: "[", count: 300) + String(repeating: "]", count: 300)) }
        do {
            _ = try RunJSON.parse(#"{"a": [1, 2"#)
        } catch {
            #expect(error.atEnd)
        }
    }
}
