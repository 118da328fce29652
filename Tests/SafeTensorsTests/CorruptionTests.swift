// Corrupt files, built byte by byte: each must give a SafeTensorsError of the right kind, naming the file and
// (when one is concerned) the tensor; never a crash. Plus the oddities the reference accepts, accepted here too.

import Foundation
import Testing
@testable import SafeTensors

/// A corrupt file image and the error it must give.
struct Corruption: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let kind: SafeTensorsError.Kind
    /// The tensor the message must name, if any.
    let tensor: String?

    init(_ label: String, _ bytes: [UInt8], _ kind: SafeTensorsError.Kind, tensor: String? = nil) {
        self.label = label
        self.bytes = bytes
        self.kind = kind
        self.tensor = tensor
    }

    var testDescription: String { label }

    /// A header `{ENTRIES}` with `data` after it.
    static func header(_ label: String, _ entries: [String], data: Int = 0, _ kind: SafeTensorsError.Kind,
                       tensor: String? = nil) -> Corruption
    {
        Corruption(label, image(header: "{" + entries.joined(separator: ",") + "}", data: pattern(data)), kind,
                   tensor: tensor)
    }

    /// One tensor "t" whose entry is `{"dtype": DTYPE, "shape": SHAPE, "data_offsets": OFFSETS}` as raw JSON.
    static func field(_ label: String, dtype: String = "\"F32\"", shape: String = "[2]", offsets: String = "[0,8]",
                      data: Int = 8, _ kind: SafeTensorsError.Kind) -> Corruption
    {
        header(label, ["\"t\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}"], data: data, kind,
               tensor: "t")
    }

    static let all: [Corruption] = [
        // The 8-byte length prefix.
        Corruption("empty file", [], .headerTooSmall),
        Corruption("7 bytes", [8, 0, 0, 0, 0, 0, 0], .headerTooSmall),
        Corruption("length past the end", image(header: "{}", length: 100), .headerLength),
        Corruption("length 8 + N overflows", image(header: "{}", length: UInt64.max), .headerTooLarge),
        Corruption("length just above the cap", image(header: "{}", length: 100_000_001), .headerTooLarge),
        Corruption("length above Int.max", image(header: "{}", length: 1 << 63), .headerTooLarge),
        Corruption("an ASCII text file", Array("hello, this is not a safetensors file\n".utf8), .headerTooLarge),

        // The header text.
        Corruption("invalid UTF-8 byte", image(header: [0x7B, 0xFF, 0x7D]), .headerNotUTF8),
        Corruption("overlong UTF-8", image(header: [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D]), .headerNotUTF8),
        Corruption("UTF-8 surrogate", image(header: [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D]), .headerNotUTF8),
        Corruption("truncated UTF-8 sequence", image(header: [0x7B, 0x22, 0xE2, 0x9C]), .headerNotUTF8),
        Corruption("empty header", image(header: ""), .headerNotJSON),
        Corruption("spaces only", image(header: "        "), .headerNotJSON),
        Corruption("not JSON", image(header: "hello"), .headerNotJSON),
        Corruption("a JSON array", image(header: "[1,2]"), .headerNotJSON),
        Corruption("a JSON string", image(header: "\"x\""), .headerNotJSON),
        Corruption("a JSON number", image(header: "12"), .headerNotJSON),
        Corruption("truncated JSON", image(header: "{\"t\":{\"dtype\":\"F32\""), .headerNotJSON),
        Corruption("unterminated string", image(header: "{\"t"), .headerNotJSON),
        Corruption("trailing garbage", image(header: "{} x"), .headerNotJSON),
        Corruption("two objects", image(header: "{}{}"), .headerNotJSON),
        Corruption("trailing comma", image(header: "{\"__metadata__\":{},}"), .headerNotJSON),
        Corruption("single quotes", image(header: "{'t':1}"), .headerNotJSON),
        Corruption("NUL padding", image(header: "{}\0\0\0\0\0\0"), .headerNotJSON),
        Corruption("duplicate tensor", image(header: "{" + entry("a", "F32", [1], 0, 4) + "," + entry("a", "F32", [1], 0, 4) + "}",
                                             data: pattern(4)), .headerNotJSON),
        Corruption("duplicate __metadata__", image(header: "{\"__metadata__\":{},\"__metadata__\":{}}"), .headerNotJSON),
        Corruption("deep nesting", image(header: "{\"t\":" + String(repeating: "[", count: 100_000)), .headerNotJSON),
        Corruption("deep nesting, closed", image(header: "{\"t\":" + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"),
                   .headerNotJSON),
        Corruption("lone high surrogate", image(header: "{\"\\ud800\":1}"), .headerNotJSON),
        Corruption("lone low surrogate", image(header: "{\"\\udc00\":1}"), .headerNotJSON),
        Corruption("bad escape", image(header: "{\"\\x41\":1}"), .headerNotJSON),
        Corruption("short \\u escape", image(header: "{\"\\u12\":1}"), .headerNotJSON),
        Corruption("raw control character in a name", image(header: "{\"a\u{01}b\":1}"), .headerNotJSON),
        Corruption("leading zero", image(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}"), .headerNotJSON),
        Corruption("bare minus", image(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[-],\"data_offsets\":[0,8]}}"), .headerNotJSON),
        Corruption("NaN", image(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,8]}}"), .headerNotJSON),
        Corruption("truncated literal", image(header: "{\"__metadata__\":nul}"), .headerNotJSON),

        // Tensor entries.
        header("entry is a number", ["\"t\":3"], .invalidEntry, tensor: "t"),
        header("entry is an array", ["\"t\":[\"F32\",[2],[0,8]]"], data: 8, .invalidEntry, tensor: "t"),
        header("entry is null", ["\"t\":null"], .invalidEntry, tensor: "t"),
        header("no dtype", ["\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}"], data: 8, .invalidEntry, tensor: "t"),
        header("no shape", ["\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}"], data: 8, .invalidEntry, tensor: "t"),
        header("no data_offsets", ["\"t\":{\"dtype\":\"F32\",\"shape\":[2]}"], data: 8, .invalidEntry, tensor: "t"),
        header("misspelt field", ["\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"offsets\":[0,8]}"], data: 8, .invalidEntry, tensor: "t"),
        header("empty entry", ["\"t\":{}"], .invalidEntry, tensor: "t"),

        // dtype.
        field("unknown dtype", dtype: "\"F33\"", .unknownDType),
        field("lower-case dtype", dtype: "\"f32\"", .unknownDType),
        field("PyTorch dtype name", dtype: "\"float32\"", .unknownDType),
        field("dtype is a number", dtype: "5", .unknownDType),
        field("dtype is null", dtype: "null", .unknownDType),
        field("sub-byte dtype F4", dtype: "\"F4\"", .unknownDType),
        field("sub-byte dtype F6_E2M3", dtype: "\"F6_E2M3\"", .unknownDType),

        // shape.
        field("negative dimension", shape: "[-1]", .invalidShape),
        field("negative dimension, product matches", shape: "[-2,-1]", .invalidShape),
        field("float dimension", shape: "[1.5]", .invalidShape),
        field("integral float dimension", shape: "[2.0]", .invalidShape),
        field("exponent dimension", shape: "[2e0]", .invalidShape),
        field("string dimension", shape: "[\"2\"]", .invalidShape),
        field("null dimension", shape: "[null]", .invalidShape),
        field("bool dimension", shape: "[true]", .invalidShape),
        field("nested dimension", shape: "[[2]]", .invalidShape),
        field("shape is a number", shape: "2", .invalidShape),
        field("shape is a string", shape: "\"[2]\"", .invalidShape),
        field("shape is null", shape: "null", .invalidShape),
        field("dimension 2^63", shape: "[9223372036854775808]", .invalidShape),
        field("dimension 2^64", shape: "[18446744073709551616]", .invalidShape),
        field("element count overflows", shape: "[4294967296,4294967296,2]", .overflow),
        field("byte count overflows", shape: "[2305843009213693952]", .overflow),
        field("overflow hidden by a zero", shape: "[4294967296,4294967296,4,0]", offsets: "[0,0]", data: 0, .overflow),

        // data_offsets.
        field("one offset", offsets: "[0]", .invalidOffsets),
        field("three offsets", offsets: "[0,4,8]", .invalidOffsets),
        field("no offsets", offsets: "[]", .invalidOffsets),
        field("string offsets", offsets: "[\"0\",\"8\"]", .invalidOffsets),
        field("float offsets", offsets: "[0.0,8.0]", .invalidOffsets),
        field("negative begin", offsets: "[-8,0]", .invalidOffsets),
        field("end before begin", offsets: "[8,0]", .invalidOffsets),
        field("offsets as object", offsets: "{\"begin\":0,\"end\":8}", .invalidOffsets),
        field("offsets null", offsets: "null", .invalidOffsets),
        field("end at u64 max", offsets: "[0,18446744073709551615]", .invalidOffsets),
        field("end at 2^63", offsets: "[0,9223372036854775808]", .invalidOffsets),
        field("offsets above 2^53", offsets: "[9007199254740993,9007199254741001]", .outOfBounds),
        field("offsets at Int.max", offsets: "[9223372036854775799,9223372036854775807]", .outOfBounds),
        field("past the end of the data", offsets: "[0,8]", data: 4, .outOfBounds),
        field("more bytes than the shape", offsets: "[0,12]", data: 12, .sizeMismatch),
        field("fewer bytes than the shape", shape: "[3]", offsets: "[0,8]", .sizeMismatch),
        field("scalar with two elements' bytes", shape: "[]", offsets: "[0,8]", .sizeMismatch),
        field("empty tensor with bytes", shape: "[0,3]", offsets: "[0,8]", .sizeMismatch),
        field("F64 with F32 bytes", dtype: "\"F64\"", offsets: "[0,8]", .sizeMismatch),

        // Layout of the data section.
        header("overlap", [entry("a", "F32", [2], 0, 8), entry("b", "F32", [2], 4, 12)], data: 12, .overlap, tensor: "b"),
        header("same bytes twice", [entry("a", "F32", [2], 0, 8), entry("b", "F32", [2], 0, 8)], data: 8, .overlap, tensor: "b"),
        header("empty tensor inside another", [entry("a", "F32", [2], 0, 8), entry("e", "F32", [0], 4, 4)], data: 8,
               .overlap, tensor: "e"),
        header("hole between tensors", [entry("a", "F32", [2], 0, 8), entry("b", "F32", [2], 12, 20)], data: 20,
               .gap, tensor: "b"),
        header("hole at the start", [entry("a", "F32", [2], 4, 12)], data: 12, .gap, tensor: "a"),
        header("bytes after the last tensor", [entry("a", "F32", [2], 0, 8)], data: 12, .gap),
        header("data but no tensors", [], data: 4, .gap),
        header("only empty tensors, with data", [entry("e", "F32", [0], 0, 0)], data: 8, .gap),

        // __metadata__.
        header("metadata is a string", ["\"__metadata__\":\"pt\""], .invalidMetadata),
        header("metadata is an array", ["\"__metadata__\":[\"pt\"]"], .invalidMetadata),
        header("metadata is a number", ["\"__metadata__\":1"], .invalidMetadata),
        header("metadata value is a number", ["\"__metadata__\":{\"step\":100}"], .invalidMetadata),
        header("metadata value is null", ["\"__metadata__\":{\"step\":null}"], .invalidMetadata),
        header("metadata value is an object", ["\"__metadata__\":{\"config\":{\"n\":\"1\"}}"], .invalidMetadata),
        header("metadata value is a list", ["\"__metadata__\":{\"tags\":[\"a\"]}"], .invalidMetadata),
        header("metadata value is a bool", ["\"__metadata__\":{\"ok\":true}"], .invalidMetadata),
    ]
}

@Suite("corrupt files")
struct CorruptionTests {
    @Test("refused with the right error", arguments: Corruption.all)
    func refused(_ corruption: Corruption) throws {
        try withTemporaryFolder { folder in
            let path = try writeFile(corruption.bytes, in: folder)
            let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: path) }
            guard let error else { return }
            #expect(error.kind == corruption.kind, "\(error)")
            #expect(error.file == path)
            #expect(error.description.hasPrefix(path + ": "))
            #expect(!error.message.isEmpty)
            if let tensor = corruption.tensor {
                #expect(error.tensor == tensor, "\(error)")
                #expect(error.description.contains("tensor \"\(tensor)\""))
            }
        }
    }

    @Test("every error kind of the reader is exercised")
    func coverage() {
        let exercised = Set(Corruption.all.map(\.kind))
        let readerKinds = Set(SafeTensorsError.Kind.allCases).subtracting([.io, .tensorNotFound, .invalidTensor])
        #expect(readerKinds.subtracting(exercised).isEmpty)
    }

    @Test("a missing file, a folder, a path through a file")
    func ioErrors() throws {
        try withTemporaryFolder { folder in
            let missing = folder.appendingPathComponent("missing.safetensors").path
            let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: missing) }
            #expect(error?.kind == .io)
            #expect(error?.description.contains("No such file") == true)
            #expect(error?.description.contains(missing) == true)

            let folderError = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: folder.path) }
            #expect(folderError?.kind == .io)

            let file = try writeFile(image(header: "{}      "), in: folder)
            let through = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: file + "/x") }
            #expect(through?.kind == .io)
        }
    }

    @Test("an unknown tensor name")
    func tensorNotFound() throws {
        try withTemporaryFolder { folder in
            let path = try writeFile(image(header: "{" + entry("a", "F32", [1], 0, 4) + "}", data: pattern(4)), in: folder)
            let file = try SafeTensorsFile(path: path)
            #expect(!file.contains("b"))
            let error = #expect(throws: SafeTensorsError.self) { _ = try file.info("b") }
            #expect(error?.kind == .tensorNotFound)
            #expect(error?.tensor == "b")
            #expect(error?.hint?.contains("\"a\"") == true)
            #expect(throws: SafeTensorsError.self) { _ = try file.data(of: "b") }
            #expect(throws: SafeTensorsError.self) { try file.withUnsafeBytes(of: "b") { _ in } }
        }
    }

    @Test("messages say what and hint at why")
    func messages() throws {
        try withTemporaryFolder { folder in
            let path = try writeFile(image(header: "{" + entry("wte.weight", "F32", [5, 6], 0, 100) + "}", data: pattern(100)),
                                     in: folder)
            let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: path) }
            let text = error?.description ?? ""
            #expect(text.contains(path))
            #expect(text.contains("tensor \"wte.weight\""))
            #expect(text.contains("[0, 100]"))
            #expect(text.contains("F32 [5, 6] needs 120"))
            #expect(text.contains("hint: "))
        }
    }
}

@Suite("oddities the reference accepts")
struct AcceptedOdditiesTests {
    func open(_ bytes: [UInt8]) throws -> SafeTensorsFile {
        try withTemporaryFolder { folder in try SafeTensorsFile(path: writeFile(bytes, in: folder)) }
    }

    @Test("\"__metadata__\": null means no metadata")
    func nullMetadata() throws {
        let file = try open(image(header: "{\"__metadata__\":null}"))
        #expect(file.metadata.isEmpty)
        #expect(file.count == 0)
    }

    @Test("unknown fields in an entry are ignored")
    func extraFields() throws {
        let header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"strides\":[1],\"note\":{\"a\":[1,2.5]}}}"
        let file = try open(image(header: header, data: pattern(8)))
        #expect(try file.info("t").shape == [2])
    }

    @Test("whitespace anywhere JSON allows it, padding with spaces, tabs and newlines")
    func whitespace() throws {
        let header = " \n\t{ \"t\" : { \"dtype\" : \"I8\" ,\n \"shape\" : [ 2 , 1 ] , \"data_offsets\" : [ 0 , 2 ] } }\r\n       "
        let file = try open(image(header: header, data: [7, 9]))
        #expect(try bytes(of: "t", in: file) == [7, 9])
        #expect(try file.info("t").shape == [2, 1])
    }

    @Test("escaped and non-ASCII names")
    func escapedNames() throws {
        let header = "{" + [entry("caf\\u00e9", "U8", [1], 0, 1), entry("\\ud83d\\ude00", "U8", [1], 1, 2),
                            entry("a\\\"b\\\\c\\/d\\n", "U8", [1], 2, 3), entry("", "U8", [1], 3, 4),
                            entry("日本", "U8", [1], 4, 5)].joined(separator: ",") + "}"
        let file = try open(image(header: header, data: [1, 2, 3, 4, 5]))
        #expect(file.names == ["café", "😀", "a\"b\\c/d\n", "", "日本"])
        #expect(try bytes(of: "😀", in: file) == [2])
        #expect(try bytes(of: "", in: file) == [4])
    }

    @Test("several empty tensors at one offset, at the end of the data")
    func emptyTensorsTogether() throws {
        let header = "{" + [entry("a", "F32", [1], 0, 4), entry("e2", "F32", [0], 4, 4), entry("e1", "I64", [3, 0], 4, 4)]
            .joined(separator: ",") + "}"
        let file = try open(image(header: header, data: pattern(4)))
        #expect(file.names == ["a", "e1", "e2"])
    }

    @Test("a dimension of 0 next to a huge one")
    func zeroNextToHuge() throws {
        let file = try open(image(header: "{" + entry("t", "F64", [0, 1 << 40], 0, 0) + "}"))
        #expect(try file.info("t").elementCount == 0)
    }

    @Test("a header that is not a multiple of 8 bytes long")
    func unpadded() throws {
        let file = try open(image(header: "{" + entry("t", "U8", [3], 0, 3) + "}", data: [1, 2, 3]))
        #expect(file.dataStart % 8 != 0)
        #expect(try bytes(of: "t", in: file) == [1, 2, 3])
    }
}
