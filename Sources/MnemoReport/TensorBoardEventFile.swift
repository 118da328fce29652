// TensorBoardEventFile.swift — TensorBoard event files on disk: their names and reading them back.
//
// A file is `events.out.tfevents.<unix seconds, 10 digits>.<host>.<pid>` (tensorboard's EventFileWriter adds a
// per-process counter after the pid; the names here stay unique and ordered without one, see `newName`), a sequence of
// TFRecord records each holding one Event, the first of them the file version "brain.Event:2". TensorBoard reads
// every such file in a folder in name order, as one run.
//
// Reading checks every record's checksums and parses each Event (TensorBoardEvent.swift). A last record cut short (a
// writer killed mid-record, or one still writing) is left out with a warning; any other damage is an error naming the
// file, the record and its byte offset. Refuses: files that are not TFRecord files of Event messages.
import Foundation

/// The events of one event file.
public struct TensorBoardEventFile: Sendable {
    /// The prefix every event file name starts with.
    public static let prefix = "events.out.tfevents."

    public let path: String
    public let events: [TensorBoardEvent]
    /// What did not stop the read (a last record cut short).
    public let warnings: [String]

    /// Reads and checks the file at `path`.
    public init(contentsOf path: String) throws(TensorBoardEventError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TensorBoardEventError(message: "\(path): cannot be read")
        }
        let (records, problem) = TFRecord.read([UInt8](data))
        var warnings: [String] = []
        if let problem {
            guard case .truncated = problem else { throw TensorBoardEventError(message: "\(path): \(problem)") }
            warnings.append("\(path): \(problem); left out")
        }
        var events: [TensorBoardEvent] = []
        for (index, record) in records.enumerated() {
            do {
                events.append(try TensorBoardEvent(decoding: record))
            } catch {
                throw TensorBoardEventError(message: "\(path): record \(index): \(error.message)")
            }
        }
        if case .fileVersion? = events.first?.content {} else if !events.isEmpty {
            throw TensorBoardEventError(message: "\(path): the first event is not the file version (\"\(TensorBoardEvent.fileVersion)\")")
        }
        self.path = path
        self.events = events
        self.warnings = warnings
    }

    /// The event files directly in `folder`, in the order TensorBoard reads them (by name).
    public static func paths(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted().map { "\(folder)/\($0)" }
    }

    /// A name for a new event file in `folder`: the current second, unless a file already there has that second or a
    /// later one — then one second past the latest, so that the new file sorts (and is read) after every file before it
    /// (a run resumed within the same second, or with a clock set back).
    public static func newName(in folder: String, wallTime: Double, host: String, pid: Int32) -> String {
        let existing = paths(in: folder).compactMap { path -> Int? in
            let rest = path.split(separator: "/").last?.dropFirst(prefix.count) ?? ""
            return Int(rest.prefix { $0.isNumber })
        }
        var seconds = Int(wallTime.rounded(.down))
        if let latest = existing.max(), latest >= seconds { seconds = latest + 1 }
        let safeHost = host.isEmpty ? "localhost" : host.replacingOccurrences(of: "/", with: "_")
        return prefix + String(format: "%010d", seconds) + ".\(safeHost).\(pid)"
    }
}
