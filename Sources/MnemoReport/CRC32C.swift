// CRC32C.swift — the CRC-32C (Castagnoli) checksum and TFRecord's "masked" form of it, as TensorFlow's
// crc32c.h computes them for every record of a TensorBoard event file.
//
// Byte-at-a-time with a 256-entry table (reflected polynomial 0x82F63B78): event files are small, so neither the
// slicing-by-8 tables nor the SSE4.2 instruction are worth their code here. Refuses nothing: any bytes have a checksum.

/// CRC-32C checksums (crc32c("123456789") = 0xE3069283).
public enum CRC32C {
    /// The table of the reflected Castagnoli polynomial, one entry per byte value.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (initial value and final xor 0xFFFFFFFF, as every CRC-32C implementation).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked checksum: rotated right by 15 bits plus a constant, so that a CRC stored inside
    /// checksummed data does not make the outer CRC degenerate (TensorFlow's `crc32c::Mask`).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// `masked(checksum(bytes))`.
    public static func maskedChecksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        masked(checksum(bytes))
    }
}
