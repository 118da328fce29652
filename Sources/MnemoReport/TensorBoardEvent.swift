// TensorBoardEvent.swift — TensorBoard's `Event` message (tensorboard/compat/proto/event.proto) and the parts of
// `Summary` a training run needs, encoded by hand on ProtobufWire.swift (no protobuf library):
//
//   Event        1 wall_time (double), 2 step (int64), oneof { 3 file_version, 5 summary, 7 session_log },
//                10 source_metadata { 1 writer }
//   Summary      1 value (repeated): 1 tag, oneof { 2 simple_value (float), 8 tensor }, 9 metadata
//   a scalar     simple_value — what TensorBoard's EventAccumulator returns from `Scalars(tag)` and what
//                torch.utils.tensorboard's add_scalar writes
//   a text       tensor { 1 dtype = DT_STRING (7), 2 tensor_shape { 2 dim { 1 size = 1 } }, 8 string_val },
//                metadata { 1 plugin_data { 1 plugin_name = "text" } } — as torch's add_text writes it
//   session_log  { 1 status = START (1) }: TensorBoard's Python loaders drop every event at this step or later read
//                before it (a restarted job's orphaned steps; torch's SummaryWriter(purge_step:) writes the same)
//
// Fields are written in field-number order with proto3 defaults left out (step 0, wall time 0), so that the bytes equal
// those of Python protobuf for the same message (Tests/MnemoReportTests checks them against torch's writer). Decoding
// reads back what this file writes and skips what it does not know (images, histograms, graphs: `.other`).

/// One event of a TensorBoard event file.
public struct TensorBoardEvent: Equatable, Sendable {
    /// What an event carries (the `what` oneof).
    public enum Content: Equatable, Sendable {
        /// The first event of every file: "brain.Event:2".
        case fileVersion(String)
        /// Summary values logged at the event's step.
        case summary([SummaryValue])
        /// A job (re)started at the event's step.
        case sessionStart
        /// Anything else (a graph, a log message, run metadata, another session status).
        case other
    }

    /// One `Summary.Value`.
    public struct SummaryValue: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// `simple_value`: a float32 scalar.
            case scalar(Float)
            /// A DT_STRING tensor of the "text" plugin (its first string).
            case text(String)
            /// Another value (an image, a histogram, a tensor of another plugin).
            case other
        }

        public var tag: String
        public var kind: Kind

        public init(tag: String, kind: Kind) {
            self.tag = tag
            self.kind = kind
        }

        public static func scalar(_ tag: String, _ value: Float) -> SummaryValue { SummaryValue(tag: tag, kind: .scalar(value)) }
        public static func text(_ tag: String, _ text: String) -> SummaryValue { SummaryValue(tag: tag, kind: .text(text)) }
    }

    /// The version string TensorBoard's readers expect in the first event.
    public static let fileVersion = "brain.Event:2"

    /// Seconds since 1970 (fractional).
    public var wallTime: Double
    public var step: Int64
    public var content: Content
    /// `source_metadata.writer`: the program that wrote the file (first event only, by convention).
    public var writer: String?

    public init(wallTime: Double, step: Int64 = 0, content: Content, writer: String? = nil) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
        self.writer = writer
    }

    // MARK: encoding

    /// The serialized Event message.
    public var encoded: [UInt8] {
        var event = ProtobufWriter()
        if wallTime != 0 { event.double(1, wallTime) }
        if step != 0 { event.int64(2, step) }
        switch content {
        case .fileVersion(let version):
            event.string(3, version)
        case .summary(let values):
            var summary = ProtobufWriter()
            for value in values { summary.message(1, Self.encode(value)) }
            event.message(5, summary)
        case .sessionStart:
            var log = ProtobufWriter()
            log.varint(1, 1)    // SessionLog.START
            event.message(7, log)
        case .other:
            break
        }
        if let writer {
            var source = ProtobufWriter()
            if !writer.isEmpty { source.string(1, writer) }
            event.message(10, source)
        }
        return event.bytes
    }

    private static func encode(_ value: SummaryValue) -> ProtobufWriter {
        var out = ProtobufWriter()
        if !value.tag.isEmpty { out.string(1, value.tag) }
        switch value.kind {
        case .scalar(let number):
            out.float(2, number)
        case .text(let text):
            var dim = ProtobufWriter()
            dim.int64(1, 1)
            var shape = ProtobufWriter()
            shape.message(2, dim)
            var tensor = ProtobufWriter()
            tensor.varint(1, dtString)
            tensor.message(2, shape)
            tensor.string(8, text)
            out.message(8, tensor)
            var plugin = ProtobufWriter()
            plugin.string(1, "text")
            var metadata = ProtobufWriter()
            metadata.message(1, plugin)
            out.message(9, metadata)
        case .other:
            break
        }
        return out
    }

    /// TensorFlow's DataType enum value of a string tensor.
    private static let dtString: UInt64 = 7

    // MARK: decoding

    /// Parses a serialized Event message.
    public init(decoding bytes: [UInt8]) throws(TensorBoardEventError) {
        do {
            let event = try ProtobufFields(parsing: bytes)
            wallTime = event.last(1)?.double ?? 0
            step = event.last(2)?.int64 ?? 0
            writer = try event.last(10)?.bytes.map { source throws(ProtobufError) in
                try ProtobufFields(parsing: source).last(1)?.string ?? ""
            }
            let what = event.fields.last { [3, 4, 5, 6, 7, 8, 9].contains($0.number) }
            switch what?.number {
            case 3:
                content = .fileVersion(what?.value.string ?? "")
            case 5:
                let summary = try ProtobufFields(parsing: what?.value.bytes ?? [])
                content = .summary(try summary.all(1).map { value throws(ProtobufError) in
                    try Self.decodeValue(value.bytes ?? [])
                })
            case 7:
                let log = try ProtobufFields(parsing: what?.value.bytes ?? [])
                content = log.last(1)?.int64 == 1 ? .sessionStart : .other
            default:
                content = .other
            }
        } catch {
            throw TensorBoardEventError(message: "an event does not parse: \(error)")
        }
    }

    private static func decodeValue(_ bytes: [UInt8]) throws(ProtobufError) -> SummaryValue {
        let value = try ProtobufFields(parsing: bytes)
        let tag = value.last(1)?.string ?? ""
        if let number = value.last(2)?.float { return .scalar(tag, number) }
        guard let tensorBytes = value.last(8)?.bytes, let metadataBytes = value.last(9)?.bytes else {
            return SummaryValue(tag: tag, kind: .other)
        }
        let tensor = try ProtobufFields(parsing: tensorBytes)
        let pluginData = try ProtobufFields(parsing: metadataBytes).last(1)?.bytes ?? []
        let plugin = try ProtobufFields(parsing: pluginData).last(1)?.string
        guard plugin == "text", tensor.last(1)?.int64 == Int64(dtString), let text = tensor.last(8)?.string else {
            return SummaryValue(tag: tag, kind: .other)
        }
        return .text(tag, text)
    }
}

/// An event file that does not read: its path and what is wrong.
public struct TensorBoardEventError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
