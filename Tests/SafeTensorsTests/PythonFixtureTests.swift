// Files written by PyTorch + Python's `safetensors` (scripts/fixtures_safetensors.py): every byte matches what
// torch held in memory, and the values decode to what torch printed (Fixtures/expected.json).

import Foundation
import Testing
@testable import SafeTensors

@Suite("files written by Python's safetensors")
struct PythonFixtureTests {
    /// expected.json: file -> {"metadata": {...}, "tensors": {name -> {dtype, shape, hex, values}}}.
    static func expected() throws -> [String: [String: Any]] {
        let url = try fixturesFolder().appendingPathComponent("expected.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try #require(object as? [String: [String: Any]])
    }

    @Test("every fixture: names, dtypes, shapes, metadata and bytes")
    func everyFixture() throws {
        let expected = try Self.expected()
        #expect(Set(expected.keys) == ["dtypes.safetensors", "special.safetensors", "metadata.safetensors"])
        for (fileName, contents) in expected {
            let file = try SafeTensorsFile(contentsOf: try fixturesFolder().appendingPathComponent(fileName))
            #expect(file.metadata == (contents["metadata"] as? [String: String]), "\(fileName)")
            let tensors = try #require(contents["tensors"] as? [String: [String: Any]])
            #expect(Set(file.names) == Set(tensors.keys), "\(fileName)")
            #expect(file.dataStart % 8 == 0)
            for (name, tensor) in tensors {
                let info = try file.info(name)
                #expect(info.dtype.code == tensor["dtype"] as? String, "\(fileName) \(name)")
                #expect(info.shape == tensor["shape"] as? [Int], "\(fileName) \(name)")
                #expect(try bytes(of: name, in: file) == hexBytes(try #require(tensor["hex"] as? String)), "\(fileName) \(name)")
            }
        }
    }

    @Test("all dtypes decode to torch's values", arguments: SafeTensorsDType.allCases)
    func values(_ dtype: SafeTensorsDType) throws {
        let contents = try #require(try Self.expected()["dtypes.safetensors"])
        let tensors = try #require(contents["tensors"] as? [String: [String: Any]])
        let tensor = try #require(tensors[dtype.code], "torch wrote no \(dtype.code) tensor")
        let file = try SafeTensorsFile(contentsOf: try fixturesFolder().appendingPathComponent("dtypes.safetensors"))
        let raw = try bytes(of: dtype.code, in: file)
        #expect(raw.count == 6 * dtype.byteSize)
        #expect(Int(bitPattern: try file.withUnsafeBytes(of: dtype.code) { $0.baseAddress }) % dtype.byteSize == 0)
        if dtype == .complex64 {
            let pairs = try #require(tensor["values"] as? [[Double]])
            #expect(decode(raw, as: .float32) == pairs.flatMap { $0 })
        } else {
            let values = try #require(tensor["values"] as? [Double])
            #expect(decode(raw, as: dtype) == values)
        }
    }

    @Test("an empty tensor, a 0-d scalar, a vector")
    func special() throws {
        let file = try SafeTensorsFile(contentsOf: try fixturesFolder().appendingPathComponent("special.safetensors"))
        #expect(file.names == ["vector", "empty", "scalar"])  // Python's layout: I64 first, then F32 by name
        #expect(file.metadata.isEmpty)
        let empty = try file.info("empty")
        #expect(empty.shape == [0, 3])
        #expect(empty.byteCount == 0)
        let scalar = try file.info("scalar")
        #expect(scalar.shape == [])
        #expect(try file.withUnsafeBytes(of: "scalar") { $0.loadUnaligned(as: Float.self) } == 3.5)
        #expect(try file.withUnsafeBytes(of: "vector") { Array($0.bindMemory(to: Int64.self)) } == [7, 8, 9])
    }

    @Test("metadata with non-ASCII text and escapes")
    func metadata() throws {
        let file = try SafeTensorsFile(contentsOf: try fixturesFolder().appendingPathComponent("metadata.safetensors"))
        #expect(file.metadata["note"] == "naïve ✓ \"quoted\" back\\slash\nnew line")
        #expect(file.metadata["empty"] == "")
        #expect(file.metadata["ünïcödé kéy"] == "ok")
    }

    @Test("rewriting Python's file with SafeTensorsWriter gives the same data section and entries")
    func rewriteMatchesPython() throws {
        let url = try fixturesFolder().appendingPathComponent("dtypes.safetensors")
        let python = try SafeTensorsFile(contentsOf: url)
        var writer = SafeTensorsWriter(metadata: python.metadata)
        for name in python.names.reversed() {  // another order on purpose
            let info = try python.info(name)
            try writer.append(name, dtype: info.dtype, shape: info.shape, bytes: try python.data(of: name))
        }
        let ours = try writer.encoded()
        let original = try Data(contentsOf: url)
        #expect(ours.count == original.count)
        #expect(ours.suffix(from: ours.startIndex + python.dataStart) == original.suffix(from: original.startIndex + python.dataStart))
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("rewritten.safetensors").path
            try writer.write(to: path)
            let reread = try SafeTensorsFile(path: path)
            #expect(reread.tensors == python.tensors)
            #expect(reread.metadata == python.metadata)
        }
    }
}

// MARK: - Decoding, independent of the reader

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// Little-endian unsigned integer from `count` bytes at `offset`.
private func littleEndian(_ raw: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in (0..<count).reversed() { value = value << 8 | UInt64(raw[offset + i]) }
    return value
}

/// A finite value of a small float format with `exponentBits`, `mantissaBits` and `bias` (no inf/NaN needed here).
private func minifloat(_ bits: UInt64, exponentBits: Int, mantissaBits: Int, bias: Int) -> Double {
    let sign = (bits >> UInt64(exponentBits + mantissaBits)) & 1 == 1 ? -1.0 : 1.0
    let exponent = Int((bits >> UInt64(mantissaBits)) & ((1 << UInt64(exponentBits)) - 1))
    let mantissa = Double(bits & ((1 << UInt64(mantissaBits)) - 1)) / Double(1 << mantissaBits)
    if exponent == 0 { return sign * mantissa * pow(2, Double(1 - bias)) }
    return sign * (1 + mantissa) * pow(2, Double(exponent - bias))
}

/// The values of `raw` as `dtype`, as doubles.
func decode(_ raw: [UInt8], as dtype: SafeTensorsDType) -> [Double] {
    let size = dtype.byteSize
    return stride(from: 0, to: raw.count, by: size).map { offset -> Double in
        let bits = littleEndian(raw, offset, size)
        switch dtype {
        case .bool, .uint8, .uint16, .uint32, .uint64: return Double(bits)
        case .int8: return Double(Int8(truncatingIfNeeded: bits))
        case .int16: return Double(Int16(truncatingIfNeeded: bits))
        case .int32: return Double(Int32(truncatingIfNeeded: bits))
        case .int64: return Double(Int64(bitPattern: bits))
        case .float32, .complex64: return Double(Float(bitPattern: UInt32(bits)))
        case .float64: return Double(bitPattern: bits)
        case .float16: return minifloat(bits, exponentBits: 5, mantissaBits: 10, bias: 15)
        case .bfloat16: return Double(Float(bitPattern: UInt32(bits) << 16))
        case .float8E4M3: return minifloat(bits, exponentBits: 4, mantissaBits: 3, bias: 7)
        case .float8E5M2: return minifloat(bits, exponentBits: 5, mantissaBits: 2, bias: 15)
        case .float8E4M3FNUZ: return minifloat(bits, exponentBits: 4, mantissaBits: 3, bias: 8)
        case .float8E5M2FNUZ: return minifloat(bits, exponentBits: 5, mantissaBits: 2, bias: 16)
        case .float8E8M0: return pow(2, Double(Int(bits) - 127))
        }
    }
}
