// TensorBoardWriter.swift — writes one TensorBoard event file for one process of a run: the file-version event
// first, then scalars (one Event per logged line, every value a `simple_value`), texts (the "text" plugin) and session
// starts (the trainer writes one first in every file, at the step it trains from). Every event is written straight to the file, as metrics.jsonl's lines are, so
// that TensorBoard sees it at once and a killed run loses at most the record being written.
//
// Values are float32 on disk (simple_value is a float): a Double that does not fit becomes ±infinity, NaN stays NaN.
// Refuses: writing into an existing file (every process starts a new one; TensorBoard reads them in name order).
import Foundation

/// Appends events to a new event file.
public final class TensorBoardWriter {
    /// `source_metadata.writer` of the files Mnemo writes.
    public static let writerName = "mnemo"

    /// The file being written.
    public let path: String
    private let handle: FileHandle

    /// Creates a new event file in `folder` (which must exist) and writes its file-version event.
    public init(folder: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        let name = TensorBoardEventFile.newName(in: folder, wallTime: wallTime, host: Self.hostName(),
                                                pid: ProcessInfo.processInfo.processIdentifier)
        path = "\(folder)/\(name)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw TensorBoardEventError(message: "\(path): cannot create the event file (\(String(cString: strerror(errno))))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try write(TensorBoardEvent(wallTime: wallTime, content: .fileVersion(TensorBoardEvent.fileVersion),
                                   writer: Self.writerName))
    }

    /// Writes one event as one record.
    public func write(_ event: TensorBoardEvent) throws {
        try handle.write(contentsOf: TFRecord.frame(event.encoded))
    }

    /// Writes `values` at `step` as one event, a scalar per key (in key order).
    public func writeScalars(step: Int, _ values: [String: Double], wallTime: Double = Date().timeIntervalSince1970) throws {
        guard !values.isEmpty else { return }
        let summary = values.sorted { $0.key < $1.key }.map { TensorBoardEvent.SummaryValue.scalar($0.key, Float($0.value)) }
        try write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), content: .summary(summary)))
    }

    /// Writes a text (the text plugin shows it, Markdown-rendered) at `step`.
    public func writeText(step: Int, tag: String, _ text: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        try write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), content: .summary([.text(tag, text)])))
    }

    /// Marks a session start at `step`: TensorBoard drops every event read before this one whose step is `step` or
    /// later (its Python loaders do; the server's ignores the first session start of a run, and its Rust data server
    /// instead lets a point at step s replace the same series' points at s and later).
    public func writeSessionStart(step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        try write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), content: .sessionStart))
    }

    /// This machine's name, as `socket.gethostname()` gives it to tensorboard's writer.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
