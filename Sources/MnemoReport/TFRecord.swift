// TFRecord.swift — the record framing of TensorFlow's record files, which TensorBoard event files use: each record is
//
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
//
// `frame` writes one record; `records(in:)` reads them all back and checks both checksums of each, `read` also returns
// the records before a problem. A last record cut short (a process killed mid-write) is reported apart from a corrupt
// one, since TensorBoard's own reader simply waits for the rest of such a record. Refuses: compressed record files (GZIP/ZLIB), which event files never are.

/// Record framing of TFRecord files.
public enum TFRecord {
    /// One framed record: length, its checksum, the data, its checksum.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = littleEndian(UInt64(data.count))
        out += length
        out += littleEndian(CRC32C.maskedChecksum(length))
        out += data
        out += littleEndian(CRC32C.maskedChecksum(data))
        return out
    }

    /// The data of every record in `bytes`, in order, each checked against its two checksums.
    public static func records(in bytes: [UInt8]) throws(TFRecordError) -> [[UInt8]] {
        let (records, problem) = read(bytes)
        if let problem { throw problem }
        return records
    }

    /// The records up to the first problem, and that problem (nil when every byte was read).
    public static func read(_ bytes: [UInt8]) -> (records: [[UInt8]], problem: TFRecordError?) {
        var records: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            let index = records.count
            guard bytes.count - offset >= 12 else { return (records, .truncated(record: index, offset: offset)) }
            let lengthBytes = bytes[offset..<offset + 8]
            guard readLittleEndian(bytes, at: offset + 8, as: UInt32.self) == CRC32C.maskedChecksum(lengthBytes) else {
                return (records, .lengthChecksum(record: index, offset: offset))
            }
            let length = readLittleEndian(bytes, at: offset, as: UInt64.self)
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                return (records, .truncated(record: index, offset: offset))
            }
            let end = start + Int(length)
            let data = Array(bytes[start..<end])
            guard readLittleEndian(bytes, at: end, as: UInt32.self) == CRC32C.maskedChecksum(data) else {
                return (records, .dataChecksum(record: index, offset: offset))
            }
            records.append(data)
            offset = end + 4
        }
        return (records, nil)
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type) -> T {
        (0..<T.bitWidth / 8).reduce(T.zero) { $0 | T(bytes[offset + $1]) << ($1 * 8) }
    }
}

/// What is wrong with a record file: which record (0-based), at which byte offset.
public enum TFRecordError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file ends inside the record (a writer killed mid-record leaves this as the last one).
    case truncated(record: Int, offset: Int)
    /// The length's checksum does not match: the framing is corrupt from here on.
    case lengthChecksum(record: Int, offset: Int)
    /// The data's checksum does not match: the record's bytes were changed.
    case dataChecksum(record: Int, offset: Int)

    public var description: String {
        switch self {
        case .truncated(let record, let offset):
            "record \(record) at byte \(offset) is cut short (a writer stopped mid-record?)"
        case .lengthChecksum(let record, let offset):
            "record \(record) at byte \(offset): the length's CRC-32C does not match (not a record file, or corrupt)"
        case .dataChecksum(let record, let offset):
            "record \(record) at byte \(offset): the data's CRC-32C does not match (the record is corrupt)"
        }
    }
}
