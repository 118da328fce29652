// metrics.jsonl: one JSON object per line, written by the trainer and read back for reports.
//
// A line looks like {"grad_norm":0.93,"lr":0.0003,"step":1200,"tok_per_s":51234.5,"train_loss":3.41}; evaluation
// steps add "val_loss" (and anything else: "val_loss_full", "sc_fraction", "test_acc", ...). `step` is required
// (a non-negative integer); every other key whose value is a number or null is a series; null stands for a
// value that was NaN or infinite when written. Strings, booleans, arrays and objects are kept out of the series.
//
// Reading is strict with one exception: a last line that simply stops early (a run killed mid-write) is dropped
// with a warning. Any other bad line is an error naming file:line:column. A run resumed from an earlier step
// logs steps again; the later records replace the earlier ones from that step on (with a warning).
//
// Writing (`MetricsWriter`): one line per call, keys sorted, written straight to the file (no buffering), so that a
// killed run loses at most the line being written.

import Foundation
import MnemoSupport

/// One point of a series: the step it was logged at and its value (NaN where the writer logged null).
public struct MetricPoint: Sendable, Equatable {
    public var step: Int
    public var value: Double

    public init(step: Int, value: Double) {
        self.step = step
        self.value = value
    }
}

/// The parsed contents of a metrics.jsonl file.
public struct MetricsLog: Sendable {
    /// One line: its step and its numeric values (NaN for null), `step` itself not included.
    public struct Record: Sendable, Equatable {
        public var step: Int
        public var values: [String: Double]

        public init(step: Int, values: [String: Double]) {
            self.step = step
            self.values = values
        }
    }

    /// The records in file order, after replacing the steps a resumed run logged again.
    public private(set) var records: [Record]
    /// The numeric keys, in order of first appearance.
    public private(set) var keys: [String]
    /// Things worth telling the reader that did not stop the load (a dropped truncated line, a resume).
    public private(set) var warnings: [String]

    /// Builds a log from records already in memory (tests, synthetic runs). Steps that go backwards are treated
    /// as a resume, as when reading a file.
    public init(records: [Record], warnings: [String] = []) {
        self.records = []
        self.keys = []
        self.warnings = warnings
        var seen = Set<String>()
        for record in records {
            if let last = self.records.last, record.step < last.step {
                let before = self.records.count
                self.records.removeAll { $0.step >= record.step }
                self.warnings.append("steps go back from \(last.step) to \(record.step) (a resumed run?): "
                    + "\(before - self.records.count) earlier record(s) from step \(record.step) on were replaced")
            }
            self.records.append(record)
            for key in record.values.keys.sorted() where seen.insert(key).inserted {
                keys.append(key)
            }
        }
    }

    /// Reads and parses a metrics.jsonl file.
    public init(contentsOf path: String) throws(MetricsLogError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw MetricsLogError(path: path, line: nil, message: "\(reason); a run directory has a metrics.jsonl "
                + "written by the trainer")
        }
        try self.init(parsing: data, source: path)
    }

    /// Parses metrics.jsonl contents; `source` names the file in messages.
    public init(parsing data: Data, source: String) throws(MetricsLogError) {
        let bytes = [UInt8](data)
        var lines: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        var start = 0
        var number = 1
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append((number, bytes[start..<i]))
            start = i + 1
            number += 1
        }
        let endsWithNewline = start == bytes.count
        if !endsWithNewline { lines.append((number, bytes[start...])) }
        let lastContentLine = lines.last { !Self.isBlank($0.bytes) }?.number

        var records: [Record] = []
        var warnings: [String] = []
        for (number, line) in lines where !Self.isBlank(line) {
            do {
                records.append(try Self.record(from: Array(line)))
            } catch let error {
                let column = error.offset + 1
                if error.atEnd && number == lastContentLine && !endsWithNewline {
                    warnings.append("\(source):\(number): the last line stops early (a run killed mid-write?); "
                        + "ignored it")
                    continue
                }
                throw MetricsLogError(path: source, line: number, message: "column \(column): \(error.message)")
            }
        }
        self.init(records: records, warnings: warnings)
    }

    /// The points of one series, in step order; NaN where a line logged null. Lines without the key are skipped.
    public func series(_ key: String) -> [MetricPoint] {
        records.compactMap { record in record.values[key].map { MetricPoint(step: record.step, value: $0) } }
    }

    /// The last finite value of a series, or nil.
    public func last(_ key: String) -> Double? {
        for record in records.reversed() {
            if let value = record.values[key], value.isFinite { return value }
        }
        return nil
    }

    /// The largest step logged, or nil for an empty log.
    public var lastStep: Int? { records.map(\.step).max() }

    private static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// One line -> a record. Errors carry byte offsets within the line.
    private static func record(from line: [UInt8]) throws(JSONSyntaxError) -> Record {
        let json = try RunJSON.parse(line)
        guard case .object(let members) = json else {
            throw JSONSyntaxError(message: "a line must be a JSON object ({...})", offset: 0)
        }
        var step: Int?
        var values: [String: Double] = [:]
        for member in members {
            let (key, value) = (member.key, member.value)
            if key == "step" {
                guard let number = value.double, number.isFinite, number >= 0, number == number.rounded(),
                      number < 9.0e15 else {
                    throw JSONSyntaxError(message: "\"step\" must be a non-negative integer", offset: 0)
                }
                step = Int(number)
                continue
            }
            switch value {
            case .null: values[key] = .nan
            case .integer, .number: values[key] = value.double.map { $0.isFinite ? $0 : .nan } ?? .nan
            default: continue
            }
        }
        guard let step else {
            throw JSONSyntaxError(message: "the object has no \"step\"", offset: 0)
        }
        return Record(step: step, values: values)
    }
}

/// A metrics.jsonl problem: the file, the 1-based line when it is about one line, and what is wrong.
public struct MetricsLogError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var message: String

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}

/// Appends metrics lines to a file: one JSON object per `write`, keys sorted, written and flushed at once.
///
/// Numbers are written as JSON numbers in Swift's shortest round-trip form; NaN and ±infinity become null
/// (JSON has no spelling for them). Opening in `.append` mode first cuts off a partial last line left by a killed
/// run, so that the file stays readable.
public final class MetricsWriter {
    public enum Mode: Sendable {
        /// Start an empty file (replacing any file at the path).
        case truncate
        /// Keep what is there and add lines after it (resuming a run).
        case append
    }

    public let path: String
    private let handle: FileHandle

    public init(path: String, mode: Mode) throws {
        self.path = path
        let fm = FileManager.default
        if mode == .truncate || !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: nil) else {
                throw MetricsLogError(path: path, line: nil, message: "cannot create the file; does its folder exist?")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw MetricsLogError(path: path, line: nil, message: "cannot open the file for writing")
        }
        self.handle = handle
        // Drop a partial last line (no newline at the end) so that the next line starts cleanly.
        let contents = try handle.readToEnd() ?? Data()
        if let last = contents.last, last != UInt8(ascii: "\n") {
            let keep = (contents.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            try handle.truncate(atOffset: UInt64(keep))
        }
        try handle.seekToEnd()
    }

    deinit {
        try? handle.close()
    }

    /// Writes one line: `step` plus `values`. A key named "step" in `values` is ignored.
    public func write(step: Int, _ values: [String: Double]) throws {
        var fields: [(String, String)] = [("step", String(step))]
        for (key, value) in values where key != "step" {
            fields.append((key, Self.number(value)))
        }
        fields.sort { $0.0 < $1.0 }
        let body = fields.map { jsonQuoted($0.0) + ":" + $0.1 }.joined(separator: ",")
        try handle.write(contentsOf: Data(("{" + body + "}\n").utf8))
    }

    /// A Double as a JSON number ("0.0003", "1e-05", "42.0"), or null when it is not finite.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))  // integral values without the ".0"
        }
        return "\(value)"
    }

}
