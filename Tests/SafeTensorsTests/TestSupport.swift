// Helpers shared by the SafeTensors tests: temporary folders, raw file images built byte by byte, fixtures.

import Foundation
import Testing
@testable import SafeTensors

/// A fresh folder under the system temporary directory, removed when the test's closure returns.
func withTemporaryFolder<R>(_ body: (URL) throws -> R) throws -> R {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("mnemo-safetensors-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder)
}

/// A file image: the 8-byte little-endian length (of `header`, unless `length` overrides it), the header bytes,
/// then `data`.
func image(header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    var n = length ?? UInt64(header.count)
    var bytes: [UInt8] = []
    for _ in 0..<8 { bytes.append(UInt8(n & 0xFF)); n >>= 8 }
    return bytes + header + data
}

func image(header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    image(header: Array(header.utf8), data: data, length: length)
}

/// `"name":{"dtype":...,"shape":[...],"data_offsets":[b,e]}` for building headers by hand.
func entry(_ name: String, _ dtype: String = "F32", _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
}

/// Writes `bytes` to `name` in `folder` and returns the path.
func writeFile(_ bytes: [UInt8], named name: String = "test.safetensors", in folder: URL) throws -> String {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// `count` bytes of a recognisable pattern, different for each `seed`.
func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ seed &* 101 &+ 11) }
}

/// The folder of fixtures written by scripts/fixtures_safetensors.py.
func fixturesFolder() throws -> URL {
    try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
}

/// The bytes of a tensor, copied.
func bytes(of name: String, in file: SafeTensorsFile) throws -> [UInt8] {
    try file.withUnsafeBytes(of: name) { Array($0) }
}
