// Writer -> reader round trips: every dtype, metadata, empty and 0-d tensors, layout and alignment.

import Foundation
import Testing
@testable import SafeTensors

@Suite("round trip")
struct RoundTripTests {
    @Test("every dtype, alone", arguments: SafeTensorsDType.allCases)
    func everyDType(_ dtype: SafeTensorsDType) throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("\(dtype.code).safetensors").path
            let data = pattern(6 * dtype.byteSize, seed: dtype.layoutRank)
            var writer = SafeTensorsWriter()
            try writer.append("t", dtype: dtype, shape: [2, 3], bytes: Data(data))
            try writer.write(to: path)

            let file = try SafeTensorsFile(path: path)
            #expect(file.names == ["t"])
            let info = try file.info("t")
            #expect(info.dtype == dtype)
            #expect(info.shape == [2, 3])
            #expect(info.elementCount == 6)
            #expect(info.byteCount == 6 * dtype.byteSize)
            #expect(info.offsets == 0..<(6 * dtype.byteSize))
            #expect(try bytes(of: "t", in: file) == data)
            #expect(try file.data(of: "t") == Data(data))
            #expect(file.metadata.isEmpty)
        }
    }

    @Test("all dtypes in one file, aligned, in the reference's data order")
    func allDTypesTogether() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("all.safetensors").path
            var writer = SafeTensorsWriter(metadata: ["format": "pt"])
            // Odd element counts, so that a naive layout would misalign the wider types.
            for (i, dtype) in SafeTensorsDType.allCases.enumerated() {
                try writer.append(dtype.code, dtype: dtype, shape: [i % 3 + 1, 3], bytes: Data(pattern((i % 3 + 1) * 3 * dtype.byteSize, seed: i)))
            }
            try writer.write(to: path)
            let file = try SafeTensorsFile(path: path)
            #expect(file.count == SafeTensorsDType.allCases.count)
            #expect(file.dataStart % 8 == 0)
            // File order: by decreasing alignment rank (U64 first, BOOL last).
            #expect(file.names == SafeTensorsDType.allCases.reversed().map(\.code))
            for (i, dtype) in SafeTensorsDType.allCases.enumerated() {
                let info = try file.info(dtype.code)
                #expect(info.dtype == dtype)
                #expect(info.shape == [i % 3 + 1, 3])
                try file.withUnsafeBytes(of: dtype.code) { buffer in
                    #expect(Array(buffer) == pattern((i % 3 + 1) * 3 * dtype.byteSize, seed: i))
                    #expect(Int(bitPattern: buffer.baseAddress) % dtype.byteSize == 0, "\(dtype) is misaligned")
                }
            }
        }
    }

    @Test("typed values survive: Float, Int64, Bool")
    func typedValues() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("values.safetensors").path
            let floats: [Float] = [-1.5, 0, 3.25, .greatestFiniteMagnitude, -.leastNonzeroMagnitude, 7]
            let ints: [Int64] = [.min, -1, 0, 1, .max]
            let bools: [Bool] = [true, false, true]
            var writer = SafeTensorsWriter()
            try writer.append("f", dtype: .float32, shape: [3, 2], bytes: floats.withUnsafeBytes { Data($0) })
            try writer.append("i", dtype: .int64, shape: [5], bytes: ints.withUnsafeBytes { Data($0) })
            try writer.append("b", dtype: .bool, shape: [3], bytes: bools.withUnsafeBytes { Data($0) })
            try writer.write(to: path)

            let file = try SafeTensorsFile(path: path)
            #expect(try file.withUnsafeBytes(of: "f") { Array($0.bindMemory(to: Float.self)) } == floats)
            #expect(try file.withUnsafeBytes(of: "i") { Array($0.bindMemory(to: Int64.self)) } == ints)
            #expect(try file.withUnsafeBytes(of: "b") { $0.map { $0 != 0 } } == bools)
        }
    }

    @Test("metadata, including quotes, backslashes, control characters and non-ASCII text")
    func metadata() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("meta.safetensors").path
            let metadata = [
                "format": "pt",
                "quote\"key": "back\\slash",
                "lines": "one\ntwo\tthree\r\u{01}\u{1F}",
                "unicode": "naïve ✓ 😀 日本",
                "empty": "",
                "": "empty key",
                "json": "{\"not\": [\"parsed\"]}",
            ]
            let writer = SafeTensorsWriter(
                tensors: [.init(name: "x", dtype: .float32, shape: [1], bytes: Data(pattern(4)))],
                metadata: metadata)
            try writer.write(to: path)
            let file = try SafeTensorsFile(path: path)
            #expect(file.metadata == metadata)
            #expect(file.names == ["x"])
        }
    }

    @Test("metadata only, no tensors; and a file with nothing at all")
    func noTensors() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("meta-only.safetensors").path
            try SafeTensorsWriter(metadata: ["step": "100"]).write(to: path)
            let file = try SafeTensorsFile(path: path)
            #expect(file.names.isEmpty)
            #expect(file.metadata == ["step": "100"])

            let nothing = folder.appendingPathComponent("nothing.safetensors").path
            try SafeTensorsWriter().write(to: nothing)
            let empty = try SafeTensorsFile(path: nothing)
            #expect(empty.count == 0)
            #expect(empty.fileByteCount == 16)  // 8 + "{}" padded to 8
        }
    }

    @Test("an empty tensor [0, 3] and a 0-d scalar")
    func emptyAndScalar() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("special.safetensors").path
            let scalar: [Float] = [3.5]
            var writer = SafeTensorsWriter()
            try writer.append("empty", dtype: .float32, shape: [0, 3], bytes: Data())
            try writer.append("scalar", dtype: .float32, shape: [], bytes: scalar.withUnsafeBytes { Data($0) })
            try writer.append("also_empty", dtype: .int64, shape: [4, 0, 2], bytes: Data())
            try writer.write(to: path)

            let file = try SafeTensorsFile(path: path)
            let empty = try file.info("empty")
            #expect(empty.shape == [0, 3])
            #expect(empty.elementCount == 0)
            #expect(empty.byteCount == 0)
            #expect(try bytes(of: "empty", in: file).isEmpty)
            #expect(try file.data(of: "empty").isEmpty)
            #expect(try file.info("also_empty").shape == [4, 0, 2])

            let info = try file.info("scalar")
            #expect(info.shape == [])
            #expect(info.elementCount == 1)
            #expect(info.byteCount == 4)
            #expect(try file.withUnsafeBytes(of: "scalar") { $0.loadUnaligned(as: Float.self) } == 3.5)
        }
    }

    @Test("encoded() and write(to:) give the same bytes")
    func encodedMatchesFile() throws {
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("same.safetensors").path
            var writer = SafeTensorsWriter(metadata: ["a": "b"])
            try writer.append("w", dtype: .bfloat16, shape: [3], bytes: Data(pattern(6)))
            try writer.append("v", dtype: .float64, shape: [1], bytes: Data(pattern(8)))
            try writer.write(to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == writer.encoded())
        }
    }

    @Test("names list tensors in file order, whatever the header order")
    func namesInFileOrder() throws {
        try withTemporaryFolder { folder in
            let header = "{" + [entry("c", "F32", [1], 8, 12), entry("a", "F32", [2], 0, 8),
                                entry("z", "U8", [0], 12, 12), entry("b", "U8", [0], 12, 12)].joined(separator: ",") + "}"
            let path = try writeFile(image(header: header, data: pattern(12)), in: folder)
            let file = try SafeTensorsFile(path: path)
            #expect(file.names == ["a", "c", "b", "z"])
            #expect(file.tensors.map(\.name) == file.names)
            #expect(try bytes(of: "c", in: file) == Array(pattern(12)[8..<12]))
        }
    }

    @Test("a file shared between threads")
    func sharedBetweenThreads() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("shared.safetensors").path
        var writer = SafeTensorsWriter()
        for i in 0..<16 { try writer.append("t\(i)", dtype: .float32, shape: [64], bytes: Data(pattern(256, seed: i))) }
        try writer.write(to: path)
        let file = try SafeTensorsFile(path: path)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask { (try? bytes(of: "t\(i)", in: file)) == pattern(256, seed: i) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }
}
