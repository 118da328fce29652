// TensorBoard event files: CRC-32C known answers, Mnemo's bytes against an event file written by torch's own writer
// (Fixtures/tensorboard, scripts/make_tensorboard_fixtures.py), reading back, corrupt and cut-short records, and the
// writer's file names.

import Foundation
import Testing
@testable import MnemoReport
import MnemoSupport

private func scratchFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-tensorboard-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func fixture(_ name: String, _ ext: String) throws -> String {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/tensorboard")).path
}

/// A malformed events.json.
private struct FixtureError: Error { let item: String }

/// The events of Fixtures/tensorboard/events.json, built with Mnemo's types.
private func describedEvents() throws -> [TensorBoardEvent] {
    let text = try String(contentsOfFile: try fixture("events", "json"), encoding: .utf8)
    let list = try #require(try JSONParser.parse(text).array)
    return try list.map { item in
        func number(_ value: JSONValue?) throws -> Double {
            guard let text = value?.string, let number = Double(text) else { throw FixtureError(item: "\(item)") }
            return number
        }
        let wallTime = try number(item["wall_time"])
        guard let stepValue = item["step"]?.int else { throw FixtureError(item: "\(item)") }
        let step = Int64(stepValue)
        if let version = item["file_version"]?.string {
            return TensorBoardEvent(wallTime: wallTime, step: step, content: .fileVersion(version), writer: item["writer"]?.string)
        }
        if item["session_start"]?.bool == true {
            return TensorBoardEvent(wallTime: wallTime, step: step, content: .sessionStart)
        }
        if let pair = item["text"]?.array, pair.count == 2, let tag = pair[0].string, let body = pair[1].string {
            return TensorBoardEvent(wallTime: wallTime, step: step, content: .summary([.text(tag, body)]))
        }
        guard let pairs = item["scalars"]?.array else { throw FixtureError(item: "\(item)") }
        let scalars = try pairs.map { pair in
            guard let tag = pair.array?.first?.string else { throw FixtureError(item: "\(item)") }
            return TensorBoardEvent.SummaryValue.scalar(tag, Float(try number(pair.array?.last)))
        }
        return TensorBoardEvent(wallTime: wallTime, step: step, content: .summary(scalars))
    }
}

private func bytes(_ path: String) throws -> [UInt8] {
    [UInt8](try #require(FileManager.default.contents(atPath: path)))
}

@Suite("TensorBoard event files")
struct TensorBoardFormatTests {
    @Test("CRC-32C known answers (RFC 3720 B.4 and the check value) and TFRecord's mask")
    func crc32cKnownAnswers() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        // masked = rotate right by 15, plus the constant
        #expect(CRC32C.masked(0xE306_9283) == ((0xE306_9283 >> 15 | 0xE306_9283 << 17) &+ 0xA282_EAD8) & 0xFFFF_FFFF)
    }

    @Test("Mnemo's bytes equal torch.utils.tensorboard's for the same events (fixed wall times)")
    func bytesEqualTorchWriter() throws {
        let expected = try bytes(try fixture("torch_writer", "tfevents"))
        let events = try describedEvents()
        #expect(events.count == 11)
        let written = events.flatMap { TFRecord.frame($0.encoded) }
        #expect(written.count == expected.count)
        // record by record first, so that a difference names the event
        let records = try TFRecord.records(in: expected)
        #expect(records.count == events.count)
        for (index, (event, record)) in zip(events, records).enumerated() {
            #expect(event.encoded == record, "event \(index): \(event)")
        }
        #expect(written == expected)
    }

    @Test("reading torch's file gives back the events: scalars, the text sample, the restart marker")
    func readsTorchWriterFile() throws {
        let file = try TensorBoardEventFile(contentsOf: try fixture("torch_writer", "tfevents"))
        #expect(file.warnings.isEmpty)
        let events = file.events
        #expect(events.count == 11)
        #expect(events[0].content == .fileVersion("brain.Event:2"))
        #expect(events[0].writer == "tensorboard.summary.writer.event_file_writer")
        #expect(events[0].wallTime == 1_700_000_000.25)
        #expect(events[2].content == .sessionStart && events[2].step == 250)
        #expect(events[3].content == .summary([.scalar("train_loss", 3.4375)]) && events[3].step == 0)
        #expect(events[4].content == .summary([.scalar("lr", Float(0.0003))]) && events[4].step == 10)
        #expect(events[4].wallTime == 1_700_000_002.123456)
        if case .summary(let values) = events[6].content, case .scalar(let value) = values.first?.kind {
            #expect(value.isNaN && values[0].tag == "grad_norm")
        } else {
            Issue.record("event 6 is not the NaN scalar: \(events[6])")
        }
        #expect(events[8].step == 1 << 40 + 3)
        #expect(events[9].content == .summary([.text("samples/text_summary", "ROMEO:\nWhat, ho! apothecary! — é ✓\n\nJULIET:")]))
        #expect(events[10].content == .summary([.scalar("a_loss", 1.25), .scalar("b_metric", -2.5)]))
        // decoding then encoding gives the same bytes for every record
        for record in try TFRecord.records(in: try bytes(try fixture("torch_writer", "tfevents"))) {
            #expect(try TensorBoardEvent(decoding: record).encoded == record)
        }
    }

    @Test("a changed byte is caught by the checksums; a record cut short at the end is left out with a warning")
    func corruptionIsDetected() throws {
        let original = try bytes(try fixture("torch_writer", "tfevents"))
        let firstLength = Int(TFRecord.readLittleEndian(original, at: 0, as: UInt64.self))
        let second = 12 + firstLength + 4

        var data = original
        data[second + 12 + 3] ^= 0x01    // a byte of the second record's data
        #expect(throws: TFRecordError.dataChecksum(record: 1, offset: second)) { try TFRecord.records(in: data) }

        data = original
        data[second] ^= 0x01             // the second record's length
        #expect(throws: TFRecordError.lengthChecksum(record: 1, offset: second)) { try TFRecord.records(in: data) }

        data = original
        let secondLength = Int(TFRecord.readLittleEndian(original, at: second, as: UInt64.self))
        data[second + 12 + secondLength] ^= 0xFF   // the second record's data checksum itself
        let (kept, problem) = TFRecord.read(data)
        #expect(kept.count == 1 && problem == .dataChecksum(record: 1, offset: second))

        let cut = Array(original.dropLast(3))
        let (records, tail) = TFRecord.read(cut)
        #expect(records.count == 10)
        guard case .truncated(record: 10, _)? = tail else {
            Issue.record("expected the last record to be cut short, got \(String(describing: tail))")
            return
        }

        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/events.out.tfevents.1700000000.host.1"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(cut)))
        let file = try TensorBoardEventFile(contentsOf: path)
        #expect(file.events.count == 10 && file.warnings.count == 1)

        var corrupt = original
        corrupt[second + 12 + 3] ^= 0x01
        #expect(FileManager.default.createFile(atPath: path, contents: Data(corrupt)))
        #expect(throws: TensorBoardEventError.self) { try TensorBoardEventFile(contentsOf: path) }
    }

    @Test("the writer: a new file per writer, named after the second, host and pid, read back in order")
    func writerRoundTrip() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wallTime = 1_700_000_123.5
        do {
            let writer = try TensorBoardWriter(folder: folder, wallTime: wallTime)
            #expect(writer.path.hasPrefix("\(folder)/events.out.tfevents.1700000123."))
            #expect(writer.path.hasSuffix(".\(ProcessInfo.processInfo.processIdentifier)"))
            try writer.writeScalars(step: 0, ["train_loss": 4.25, "lr": 3e-4, "grad_norm": .nan], wallTime: wallTime + 1)
            try writer.writeScalars(step: 5, [:], wallTime: wallTime + 2)     // nothing to write: no event
            try writer.writeText(step: 10, tag: "samples", "to be, or not", wallTime: wallTime + 3)
        }
        // a second writer in the same second sorts after the first
        let second = try TensorBoardWriter(folder: folder, wallTime: wallTime)
        try second.writeSessionStart(step: 10, wallTime: wallTime + 4)
        try second.writeScalars(step: 10, ["val_loss": 1e300], wallTime: wallTime + 5)

        let paths = TensorBoardEventFile.paths(in: folder)
        #expect(paths.count == 2 && paths[1] == second.path)
        #expect(paths[1].contains(".tfevents.1700000124."))
        let first = try TensorBoardEventFile(contentsOf: paths[0]).events
        #expect(first.count == 3)
        #expect(first[0] == TensorBoardEvent(wallTime: wallTime, content: .fileVersion("brain.Event:2"), writer: "mnemo"))
        guard case .summary(let values) = first[1].content else { Issue.record("no summary: \(first[1])"); return }
        #expect(values.map(\.tag) == ["grad_norm", "lr", "train_loss"])   // key order
        #expect(values[1].kind == .scalar(Float(3e-4)) && values[2].kind == .scalar(4.25))
        #expect(first[2] == TensorBoardEvent(wallTime: wallTime + 3, step: 10, content: .summary([.text("samples", "to be, or not")])))
        let resumed = try TensorBoardEventFile(contentsOf: paths[1]).events
        #expect(resumed[1] == TensorBoardEvent(wallTime: wallTime + 4, step: 10, content: .sessionStart))
        #expect(resumed[2].content == .summary([.scalar("val_loss", .infinity)]))  // past float32's range
    }

    @Test("protobuf wire: varints across byte boundaries and negative int64 as ten bytes; bad messages refused")
    func protobufWire() throws {
        var writer = ProtobufWriter()
        writer.varint(1, 127)
        writer.varint(2, 128)
        writer.int64(3, -1)
        writer.int64(15, 1 << 62)
        writer.string(16, "é")
        #expect(writer.bytes == [0x08, 0x7F, 0x10, 0x80, 0x01,
                                 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0x78, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40,
                                 0x82, 0x01, 0x02, 0xC3, 0xA9])
        let fields = try ProtobufFields(parsing: writer.bytes)
        #expect(fields.last(3)?.int64 == -1 && fields.last(15)?.int64 == 1 << 62 && fields.last(16)?.string == "é")
        #expect(throws: ProtobufError.self) { try ProtobufFields(parsing: [0x0A, 0x05, 0x01]) }     // length past the end
        #expect(throws: ProtobufError.self) { try ProtobufFields(parsing: [0x0B]) }                 // group
        #expect(throws: ProtobufError.self) { try ProtobufFields(parsing: [0x08] + [UInt8](repeating: 0x80, count: 11)) }
    }
}
