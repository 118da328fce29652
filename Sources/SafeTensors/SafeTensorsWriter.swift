// Writes safetensors files that Python's `safetensors` (and SafeTensorsFile) load.
//
// The header is compact JSON: "__metadata__" first (omitted when empty), then the tensors with names sorted by
// their UTF-8 bytes, each as {"dtype", "shape", "data_offsets"}; it is padded with spaces to a multiple of 8
// bytes, like the reference implementation, so that the data section starts 8-aligned. The data section holds
// the tensors in the reference's order (dtypes by decreasing alignment, U64 first and BOOL last, then names):
// it is byte for byte what Python's `save_file` writes for the same tensors (the header differs only in key
// order), every tensor starts at a multiple of its element size, and zero-copy readers get aligned pointers.
//
// A file is written atomically through AtomicFile (MnemoSupport): streamed to a temporary file in the same folder,
// fsync'ed, then renamed over PATH (and the folder fsync'ed), so a reader sees the old file or the new one, never a
// torn one.
//
// It refuses: a name used twice, the name "__metadata__", a negative dimension, and bytes whose count is not
// elements × element size. It does not convert byte order: bytes are written as given (the format is
// little-endian, as are all platforms Mnemo runs on).

import MnemoSupport
import Foundation

/// Builds and writes a safetensors file.
///
///     var writer = SafeTensorsWriter(metadata: ["format": "pt"])
///     try writer.append("wte.weight", dtype: .float32, shape: [4, 2], bytes: data)
///     try writer.write(to: "model.safetensors")
public struct SafeTensorsWriter: Sendable {
    /// One tensor to write. `bytes` is the raw little-endian, row-major data; it may wrap memory without
    /// copying (`Data(bytesNoCopy:count:deallocator: .none)`) as long as that memory outlives the write.
    public struct Tensor: Sendable {
        public var name: String
        public var dtype: SafeTensorsDType
        public var shape: [Int]
        public var bytes: Data

        public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: Data) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    public var tensors: [Tensor]
    /// Written as "__metadata__" (string to string); omitted when empty.
    public var metadata: [String: String]

    public init(tensors: [Tensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Adds a tensor. Checks it on its own now (name, shape, byte count); duplicate names are found when writing.
    public mutating func append(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: Data)
        throws(SafeTensorsError)
    {
        let tensor = Tensor(name: name, dtype: dtype, shape: shape, bytes: bytes)
        _ = try Self.check(tensor, file: "<memory>")
        tensors.append(tensor)
    }

    /// The whole file, in memory.
    public func encoded() throws(SafeTensorsError) -> Data {
        let plan = try makePlan(file: "<memory>")
        var out = Data(capacity: plan.prefix.count + plan.dataCount)
        out.append(contentsOf: plan.prefix)
        for tensor in plan.order { out.append(tensor.bytes) }
        return out
    }

    /// Writes the file at `path` atomically (AtomicFile: temporary file, fsync, rename), replacing any file there.
    public func write(to path: String) throws(SafeTensorsError) {
        let plan = try makePlan(file: path)
        do {
            let file = try AtomicFile.Writer(path: path)
            try file.write(plan.prefix)
            for tensor in plan.order { try file.write(tensor.bytes) }
            try file.commit()
        } catch {
            throw SafeTensorsError(.io, file: path, error.message, hint: error.hint)
        }
    }

    // MARK: - Plan

    /// The 8-byte length and the padded header, and the tensors in data order.
    private struct Plan {
        var prefix: [UInt8]
        var order: [Tensor]
        var dataCount: Int
    }

    private func makePlan(file: String) throws(SafeTensorsError) -> Plan {
        var seen = Set<String>()
        for tensor in tensors {
            _ = try Self.check(tensor, file: file)
            guard seen.insert(tensor.name).inserted else {
                throw SafeTensorsError(.invalidTensor, file: file, tensor: tensor.name,
                                       "two tensors have this name", hint: "tensor names must be unique")
            }
        }
        let order = tensors.sorted { a, b in
            if a.dtype != b.dtype { return a.dtype.layoutRank > b.dtype.layoutRank }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var offsets: [String: Range<Int>] = [:]
        var cursor = 0
        for tensor in order {
            offsets[tensor.name] = cursor..<(cursor + tensor.bytes.count)
            cursor += tensor.bytes.count
        }

        var json = "{"
        var first = true
        func separate() { if !first { json += "," }; first = false }
        if !metadata.isEmpty {
            separate()
            json += "\"__metadata__\":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            json += keys.map { jsonQuoted($0) + ":" + jsonQuoted(metadata[$0]!) }.joined(separator: ",")
            json += "}"
        }
        for tensor in tensors.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            separate()
            let range = offsets[tensor.name]!
            json += jsonQuoted(tensor.name)
            json += ":{\"dtype\":\"\(tensor.dtype.code)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]"
            json += ",\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}"
        }
        json += "}"
        var header = Array(json.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= SafeTensorsHeader.maxByteCount else {
            throw SafeTensorsError(.headerTooLarge, file: file,
                                   "the header would be \(header.count) bytes, above the cap of \(SafeTensorsHeader.maxByteCount)",
                                   hint: "readers refuse such files; use fewer tensors, shorter names or less metadata")
        }
        var prefix: [UInt8] = []
        prefix.reserveCapacity(8 + header.count)
        var length = UInt64(header.count)
        for _ in 0..<8 { prefix.append(UInt8(length & 0xFF)); length >>= 8 }
        prefix.append(contentsOf: header)
        return Plan(prefix: prefix, order: order, dataCount: cursor)
    }

    /// Checks one tensor on its own; returns its byte count.
    private static func check(_ tensor: Tensor, file: String) throws(SafeTensorsError) -> Int {
        func fail(_ message: String, hint: String? = nil) -> SafeTensorsError {
            SafeTensorsError(.invalidTensor, file: file, tensor: tensor.name, message, hint: hint)
        }
        guard tensor.name != "__metadata__" else {
            throw fail("\"__metadata__\" is reserved for the metadata map", hint: "rename the tensor")
        }
        var count = 1
        for size in tensor.shape {
            guard size >= 0 else { throw fail("shape \(shapeText(tensor.shape)) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("shape \(shapeText(tensor.shape)) has more elements than fit in 64 bits") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: tensor.dtype.byteSize)
        guard !overflow, tensor.bytes.count == byteCount else {
            throw fail("it has \(tensor.bytes.count) bytes but \(tensor.dtype) \(shapeText(tensor.shape)) needs \(byteCount)",
                       hint: "pass the raw bytes of a contiguous tensor: elements × \(tensor.dtype.byteSize) bytes")
        }
        return byteCount
    }
}
