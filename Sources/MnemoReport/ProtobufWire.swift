// ProtobufWire.swift — the protocol-buffer wire format, just enough of it for TensorBoard's Event messages: a writer
// that appends fields (varints, 32- and 64-bit fixed values, length-delimited bytes and nested messages) and a reader
// that splits a message into its fields.
//
// There are no schemas here: TensorBoardEvent.swift names the field numbers. The writer writes fields in the order it
// is called; calling it in field-number order, and leaving out proto3 defaults where the field has no presence, gives
// the bytes protobuf's own serializers give. Refuses (reader): the deprecated group wire types 3 and 4, varints
// longer than 10 bytes, lengths past the end of the message.

/// Appends protobuf fields to a byte buffer.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// A field's key: its number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
    private mutating func key(_ field: Int, _ wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// uint64 / enum / bool.
    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        appendVarint(value)
    }

    /// int64 / int32: two's complement, so a negative value takes ten bytes (protobuf's rule, not zigzag).
    mutating func int64(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    /// double: eight little-endian bytes.
    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        bytes += TFRecord.littleEndian(value.bitPattern)
    }

    /// float: four little-endian bytes.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        bytes += TFRecord.littleEndian(value.bitPattern)
    }

    /// bytes: length, then the bytes.
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    /// string: its UTF-8 bytes.
    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A nested message, written as bytes.
    mutating func message(_ field: Int, _ value: ProtobufWriter) {
        bytes(field, value.bytes)
    }
}

/// One field of a message as it lies on the wire.
enum ProtobufValue: Equatable {
    case varint(UInt64)
    case fixed64(UInt64)
    case lengthDelimited([UInt8])
    case fixed32(UInt32)

    var double: Double? { if case .fixed64(let bits) = self { Double(bitPattern: bits) } else { nil } }
    var float: Float? { if case .fixed32(let bits) = self { Float(bitPattern: bits) } else { nil } }
    var int64: Int64? { if case .varint(let raw) = self { Int64(bitPattern: raw) } else { nil } }
    var bytes: [UInt8]? { if case .lengthDelimited(let raw) = self { raw } else { nil } }
    var string: String? { bytes.flatMap { String(validating: $0, as: UTF8.self) } }
}

/// A message's fields in wire order (a repeated field appears once per element).
struct ProtobufFields {
    let fields: [(number: Int, value: ProtobufValue)]

    init(parsing bytes: [UInt8]) throws(ProtobufError) {
        var fields: [(number: Int, value: ProtobufValue)] = []
        var offset = 0
        func varint() throws(ProtobufError) -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 70, by: 7) {
                guard offset < bytes.count else { throw ProtobufError("a varint runs past the end of the message") }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte < 0x80 { return value }
            }
            throw ProtobufError("a varint is longer than 10 bytes")
        }
        func take(_ count: Int) throws(ProtobufError) -> [UInt8] {
            guard count <= bytes.count - offset else { throw ProtobufError("a field runs past the end of the message") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
        while offset < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            guard number > 0, number < 1 << 29 else { throw ProtobufError("field number \(number) is out of range") }
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(TFRecord.readLittleEndian(try take(8), at: 0, as: UInt64.self))))
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - offset) else { throw ProtobufError("a field runs past the end of the message") }
                fields.append((number, .lengthDelimited(try take(Int(length)))))
            case 5: fields.append((number, .fixed32(TFRecord.readLittleEndian(try take(4), at: 0, as: UInt32.self))))
            default: throw ProtobufError("field \(number) has wire type \(key & 7), which this reader does not read")
            }
        }
        self.fields = fields
    }

    /// The last value of field `number` (protobuf's rule for a non-repeated field given twice), or nil.
    func last(_ number: Int) -> ProtobufValue? { fields.last { $0.number == number }?.value }

    /// Every value of field `number`, in order.
    func all(_ number: Int) -> [ProtobufValue] { fields.filter { $0.number == number }.map(\.value) }
}

/// A message that does not parse.
struct ProtobufError: Error, CustomStringConvertible, Sendable {
    var description: String
    init(_ description: String) { self.description = description }
}
