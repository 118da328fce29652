// The writer's exact output (header text, padding, order), what it refuses, and atomic replacement.

import MnemoSupport
import Foundation
import Testing
@testable import SafeTensors

@Suite("writer")
struct WriterTests {
    /// The header text of an encoded file, and its declared length.
    func header(of data: Data) -> (length: Int, text: String) {
        let bytes = [UInt8](data)
        var length = 0
        for i in (0..<8).reversed() { length = length << 8 | Int(bytes[i]) }
        return (length, String(decoding: bytes[8..<(8 + length)], as: UTF8.self))
    }

    @Test("an empty file is {} padded to 8 bytes")
    func emptyFile() throws {
        let data = try SafeTensorsWriter().encoded()
        #expect([UInt8](data) == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
    }

    @Test("one tensor: compact JSON in the reference's field order, then the data")
    func oneTensor() throws {
        let values: [Float] = [0, 1, 2, 3, 4, 5]
        var writer = SafeTensorsWriter()
        try writer.append("attn.0", dtype: .float32, shape: [1, 2, 3], bytes: values.withUnsafeBytes { Data($0) })
        let data = try writer.encoded()
        let (length, text) = header(of: data)
        #expect(text == "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}")
        #expect(length == 64)
        #expect(data.count == 8 + 64 + 24)
        #expect(Array(data.suffix(24)) == values.withUnsafeBytes { Array($0) })
    }

    @Test("header padded with spaces to a multiple of 8, metadata first, names sorted by bytes")
    func paddingAndOrder() throws {
        for extra in 0..<9 {
            var writer = SafeTensorsWriter(metadata: ["z": "1", "a": String(repeating: "x", count: extra), "B": ""])
            try writer.append("b", dtype: .uint8, shape: [1], bytes: Data([1]))
            try writer.append("a", dtype: .uint8, shape: [1], bytes: Data([2]))
            try writer.append("Z", dtype: .uint8, shape: [1], bytes: Data([3]))
            try writer.append("é", dtype: .uint8, shape: [1], bytes: Data([4]))
            let (length, text) = header(of: try writer.encoded())
            #expect(length % 8 == 0)
            let json = text.trimmingCharacters(in: .whitespaces)
            #expect(text.count - json.count < 8)
            #expect(text.hasSuffix(String(repeating: " ", count: text.utf8.count - json.utf8.count)))
            #expect(json.hasPrefix("{\"__metadata__\":{\"B\":\"\",\"a\":\"\(String(repeating: "x", count: extra))\",\"z\":\"1\"},\"Z\":"))
            let positions = ["\"Z\":", "\"a\":{", "\"b\":", "\"é\":"].map { json.range(of: $0)!.lowerBound }
            #expect(positions == positions.sorted())
        }
    }

    @Test("data laid out by decreasing alignment then name, whatever the append order")
    func dataOrder() throws {
        var writer = SafeTensorsWriter()
        try writer.append("c", dtype: .uint8, shape: [1], bytes: Data([0xC]))
        try writer.append("a", dtype: .float16, shape: [1], bytes: Data([0xA, 0xA]))
        try writer.append("b", dtype: .int64, shape: [1], bytes: Data(repeating: 0xB, count: 8))
        try writer.append("d", dtype: .uint8, shape: [1], bytes: Data([0xD]))
        let data = try writer.encoded()
        #expect(Array(data.suffix(12)) == Array(repeating: 0xB, count: 8) + [0xA, 0xA, 0xC, 0xD])
    }

    @Test("refuses a duplicate name, __metadata__, a negative dimension, a wrong byte count")
    func refusals() throws {
        var writer = SafeTensorsWriter()
        try writer.append("a", dtype: .float32, shape: [1], bytes: Data(count: 4))

        var duplicate = writer
        try duplicate.append("a", dtype: .float32, shape: [1], bytes: Data(count: 4))  // found when writing
        let error = #expect(throws: SafeTensorsError.self) { _ = try duplicate.encoded() }
        #expect(error?.kind == .invalidTensor)
        #expect(error?.tensor == "a")

        var copy = writer
        #expect(throws: SafeTensorsError.self) { try copy.append("__metadata__", dtype: .uint8, shape: [0], bytes: Data()) }
        #expect(throws: SafeTensorsError.self) { try copy.append("n", dtype: .uint8, shape: [-1], bytes: Data()) }
        #expect(throws: SafeTensorsError.self) { try copy.append("n", dtype: .uint8, shape: [-2, -1], bytes: Data(count: 2)) }
        #expect(throws: SafeTensorsError.self) { try copy.append("n", dtype: .float32, shape: [2], bytes: Data(count: 7)) }
        #expect(throws: SafeTensorsError.self) { try copy.append("n", dtype: .float32, shape: [], bytes: Data()) }
        #expect(throws: SafeTensorsError.self) {
            try copy.append("n", dtype: .float32, shape: [1 << 62, 4], bytes: Data())
        }
        #expect(copy.tensors.count == 1)

        // Tensors set directly, bypassing append, are checked when writing.
        let direct = SafeTensorsWriter(tensors: [.init(name: "x", dtype: .int16, shape: [3], bytes: Data(count: 5))])
        let directError = #expect(throws: SafeTensorsError.self) { _ = try direct.encoded() }
        #expect(directError?.kind == .invalidTensor)
        #expect(directError?.description.contains("5 bytes but I16 [3] needs 6") == true)
    }

    @Test("writes atomically: replaces the old file, leaves no temporary file")
    func atomicReplace() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("ckpt.safetensors").path
            var first = SafeTensorsWriter(metadata: ["step": "1"])
            try first.append("w", dtype: .float32, shape: [256], bytes: Data(pattern(1024, seed: 1)))
            try first.write(to: path)
            let old = try SafeTensorsFile(path: path)  // stays valid: the rename leaves its inode alone

            var second = SafeTensorsWriter(metadata: ["step": "2"])
            try second.append("w", dtype: .float32, shape: [2], bytes: Data(pattern(8, seed: 2)))
            try second.write(to: path)

            let new = try SafeTensorsFile(path: path)
            #expect(new.metadata["step"] == "2")
            #expect(try bytes(of: "w", in: new) == pattern(8, seed: 2))
            #expect(old.metadata["step"] == "1")
            #expect(try bytes(of: "w", in: old) == pattern(1024, seed: 1))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(leftovers == ["ckpt.safetensors"])
        }
    }

    @Test("a folder that does not exist: an io error, nothing written")
    func missingFolder() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("no/such/folder/x.safetensors").path
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter().write(to: path) }
            #expect(error?.kind == .io)
            #expect(error?.file == path)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(leftovers.isEmpty)
        }
    }

    @Test("a path that is a folder: an io error, the temporary file removed")
    func pathIsFolder() throws {
        try withTemporaryFolder { folder in
            let target = folder.appendingPathComponent("taken")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(at: target.appendingPathComponent("inside"), withIntermediateDirectories: false)
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter().write(to: target.path) }
            #expect(error?.kind == .io)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["taken"])
        }
    }

    @Test("Data that wraps memory without copying")
    func noCopyData() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("nocopy.safetensors").path
            var values: [Double] = [1, 2, 3]
            try values.withUnsafeMutableBytes { raw in
                let data = Data(bytesNoCopy: raw.baseAddress!, count: raw.count, deallocator: .none)
                var writer = SafeTensorsWriter()
                try writer.append("d", dtype: .float64, shape: [3], bytes: data)
                try writer.write(to: path)
            }
            let file = try SafeTensorsFile(path: path)
            #expect(try file.withUnsafeBytes(of: "d") { Array($0.bindMemory(to: Double.self)) } == values)
        }
    }
}
