// A finished (or killed, or running) training run as it sits on disk, loaded for comparison.
//
// A run directory holds:
//   config.json    the resolved config, a nested JSON object (flattened here to dotted keys: "optim.lr" -> "3e-4")
//   metrics.jsonl  one JSON object per logged step (see MetricsLog.swift)  — required
//   log.txt        the trainer's text log (not read here)
//   checkpoints/   checkpoint files (only their names are listed)
//   samples/       generated text samples (names listed; the newest one is kept for the report)
// Only metrics.jsonl is required; a missing config.json or folder gives a warning, a malformed config.json an
// error naming file:line:column.

import Foundation
import MnemoSupport

/// The numbers a report's summary table shows for one run.
public struct RunSummary: Sendable, Equatable {
    /// The largest step logged (0 for an empty log).
    public var steps: Int
    public var lastTrainLoss: Double?
    public var lastValLoss: Double?
    public var bestValLoss: Double?
    /// The step at which `bestValLoss` was logged.
    public var bestValStep: Int?
    /// Mean of `tok_per_s` over the logged points, leaving out the first one (compile and warm-up) when there are
    /// at least two.
    public var meanTokensPerSecond: Double?
    /// The last `elapsed_s` logged, if the trainer logs it.
    public var wallSeconds: Double?

    public init(metrics: MetricsLog) {
        steps = metrics.lastStep ?? 0
        lastTrainLoss = metrics.last("train_loss")
        lastValLoss = metrics.last("val_loss")
        var best: MetricPoint?
        for point in metrics.series("val_loss") where point.value.isFinite {
            if best == nil || point.value < best!.value { best = point }
        }
        bestValLoss = best?.value
        bestValStep = best?.step
        var speeds = metrics.series("tok_per_s").map(\.value).filter(\.isFinite)
        if speeds.count >= 2 { speeds.removeFirst() }
        meanTokensPerSecond = speeds.isEmpty ? nil : speeds.reduce(0, +) / Double(speeds.count)
        wallSeconds = metrics.last("elapsed_s")
    }
}

/// One run: its name, flattened config, metrics and final figures.
public struct RunRecord: Sendable {
    /// The directory's last path component (or a name given for an in-memory run).
    public var name: String
    /// The directory it was loaded from; nil for an in-memory run.
    public var directory: String?
    /// The resolved config, flattened: nested keys joined with dots, every value as text.
    public var config: [String: String]
    public var metrics: MetricsLog
    /// File names in checkpoints/ and samples/, sorted.
    public var checkpoints: [String]
    public var samples: [String]
    /// The newest sample's file name and text (at most 8 KiB of it), if samples/ has a text file.
    public var latestSample: (name: String, text: String)?
    /// Warnings from loading (the metrics log's included), for the report to show.
    public var warnings: [String]

    public var summary: RunSummary { RunSummary(metrics: metrics) }

    /// An in-memory run (tests, synthetic data).
    public init(name: String, config: [String: String] = [:], metrics: MetricsLog) {
        self.name = name
        self.directory = nil
        self.config = config
        self.metrics = metrics
        self.checkpoints = []
        self.samples = []
        self.latestSample = nil
        self.warnings = metrics.warnings
    }

    /// Loads a run directory.
    public init(directory: String) throws(RunRecordError) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw RunRecordError("\(directory): no such run directory")
        }
        guard isDirectory.boolValue else {
            throw RunRecordError("\(directory): not a directory; give the run's directory (the one holding "
                + "metrics.jsonl)")
        }
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        let run = RunFolder(folder.path)
        name = folder.lastPathComponent
        self.directory = directory

        let metricsPath = run.metrics
        guard fm.fileExists(atPath: metricsPath) else {
            throw RunRecordError("\(directory): has no metrics.jsonl; is it a run directory (the folder the trainer "
                + "writes to)?")
        }
        do {
            metrics = try MetricsLog(contentsOf: metricsPath)
        } catch {
            throw RunRecordError(error.description)
        }
        warnings = metrics.warnings

        let configPath = run.config
        if fm.fileExists(atPath: configPath) {
            config = try Self.loadConfig(path: configPath)
        } else {
            config = [:]
            warnings.append("\(configPath): missing; the run's settings are unknown")
        }

        checkpoints = Self.listing(run.checkpoints)
        samples = Self.listing(run.samples)
        latestSample = Self.newestText(in: URL(fileURLWithPath: run.samples), names: samples)
    }

    /// Reads config.json and flattens it.
    static func loadConfig(path: String) throws(RunRecordError) -> [String: String] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { throw RunRecordError("\(path): cannot be read") }
        let bytes = [UInt8](data)
        let json: JSONValue
        do {
            json = try RunJSON.parse(bytes)
        } catch {
            let (line, column) = error.location(in: bytes)
            throw RunRecordError("\(path):\(line):\(column): \(error.message)")
        }
        guard case .object = json else {
            throw RunRecordError("\(path): the config must be a JSON object ({...})")
        }
        return flatten(json)
    }

    /// Nested objects -> dotted keys. Arrays of plain values stay one value ("[0.9, 0.95]"); arrays holding
    /// objects or arrays are indexed ("layers.0.width"). Strings appear without quotes, null as "null".
    static func flatten(_ json: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: JSONValue, _ prefix: String) {
            switch value {
            case .object(let members):
                if members.isEmpty && !prefix.isEmpty { out[prefix] = "{}" }
                for member in members { walk(member.value, prefix.isEmpty ? member.key : prefix + "." + member.key) }
            case .array(let elements):
                let nested = elements.contains {
                    if case .object = $0 { return true }
                    if case .array = $0 { return true }
                    return false
                }
                if nested {
                    for (i, element) in elements.enumerated() { walk(element, prefix + "." + String(i)) }
                } else {
                    out[prefix] = "[" + elements.map(plain).joined(separator: ", ") + "]"
                }
            default:
                out[prefix] = plain(value)
            }
        }
        func plain(_ value: JSONValue) -> String {
            switch value {
            case .null: return "null"
            case .bool(let flag): return flag ? "true" : "false"
            case .integer(let number): return String(number)
            case .number(let text): return text
            case .string(let text): return text
            case .array, .object: return ""  // not reached: handled by walk
            }
        }
        walk(json, "")
        return out
    }

    private static func listing(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The most recently modified file in samples/ that reads as UTF-8 text.
    private static func newestText(in folder: URL, names: [String]) -> (name: String, text: String)? {
        let fm = FileManager.default
        var newest: (name: String, date: Date)?
        for name in names {
            let path = folder.appendingPathComponent(name).path
            guard let attributes = try? fm.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let date = attributes[.modificationDate] as? Date ?? .distantPast
            if newest == nil || date >= newest!.date { newest = (name, date) }
        }
        guard let newest, let handle = FileHandle(forReadingAtPath: folder.appendingPathComponent(newest.name).path)
        else { return nil }
        defer { try? handle.close() }
        let limit = 8192
        guard let data = try? handle.read(upToCount: limit + 1) else { return nil }
        var text = String(decoding: data.prefix(limit), as: UTF8.self)
        if data.count > limit { text += "\n…" }
        return (newest.name, text)
    }
}

/// A run directory that cannot be loaded, with what to fix.
public struct RunRecordError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
