// A safetensors file, memory-mapped read-only and validated as a whole when opened.
//
// Opening maps the file (mmap, PROT_READ, MAP_PRIVATE) and checks the header and the layout of every tensor
// (see SafeTensorsHeader.swift for the full list); only then can tensor bytes be reached, zero-copy through
// `withUnsafeBytes(of:_:)` or copied with `data(of:)`. The mapping lives as long as the object.
//
// What it cannot defend against: another process truncating the file while it is mapped (reading the lost
// pages then raises SIGBUS). Mnemo's writer replaces files atomically by rename, so this never happens to a
// file it rewrites; do not truncate a checkpoint in place while something reads it.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated, memory-mapped safetensors file.
///
///     let file = try SafeTensorsFile(path: "model.safetensors")
///     for name in file.names { print(name, try file.info(name).shape) }
///     let weights: [Float] = try file.withUnsafeBytes(of: "wte.weight") { Array($0.bindMemory(to: Float.self)) }
///
/// The object is immutable once opened, so it may be shared between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The cap on the header length, as in the reference implementation (100,000,000 bytes).
    public static let maxHeaderByteCount = SafeTensorsHeader.maxByteCount

    /// The path the file was opened with.
    public let path: String
    /// Tensor names in file order: by position in the data section (empty tensors sharing an offset by name).
    /// Files written by Mnemo or by Python's `safetensors` order their data by dtype (widest first), then by name.
    public let names: [String]
    /// The tensors, in the order of `names`.
    public let tensors: [TensorInfo]
    /// The `__metadata__` map; empty when the file has none.
    public let metadata: [String: String]
    /// The size of the file in bytes.
    public let fileByteCount: Int
    /// Where the data section starts in the file (8 + header length; a multiple of 8 in well-formed files).
    public let dataStart: Int

    private let base: UnsafeRawPointer
    private let indexByName: [String: Int]

    /// Opens, maps and validates the file at `path`. Throws a `SafeTensorsError` naming the file, the tensor
    /// and the problem if anything about the file is wrong; no tensor byte is read before all checks pass.
    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw SafeTensorsError(.io, file: path, "cannot open the file: \(systemError(code))",
                                   hint: code == ENOENT ? "check the path" : nil)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw SafeTensorsError(.io, file: path, "cannot stat the file: \(systemError(errno))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw SafeTensorsError(.io, file: path, "not a regular file",
                                   hint: "give the path of a .safetensors file, not of a folder or a device")
        }
        let size = Int(status.st_size)
        guard size >= 8 else {
            throw SafeTensorsHeader.tooSmall(byteCount: size, file: path)  // and mmap refuses empty files
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              mapped != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw SafeTensorsError(.io, file: path, "cannot memory-map the file: \(systemError(errno))")
        }
        let header: SafeTensorsHeader
        do {
            header = try SafeTensorsHeader.validate(UnsafeRawBufferPointer(start: mapped, count: size), file: path)
        } catch {
            munmap(mapped, size)
            throw error
        }
        base = UnsafeRawPointer(mapped)
        fileByteCount = size
        dataStart = header.dataStart
        tensors = header.tensors
        names = header.tensors.map(\.name)
        metadata = header.metadata
        var index: [String: Int] = [:]
        for (i, tensor) in header.tensors.enumerated() { index[tensor.name] = i }
        indexByName = index
    }

    /// Opens, maps and validates the file at `url` (a file URL).
    public convenience init(contentsOf url: URL) throws(SafeTensorsError) {
        try self.init(path: url.path)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileByteCount)
    }

    /// The number of tensors.
    public var count: Int { tensors.count }

    /// Whether a tensor of that name is in the file.
    public func contains(_ name: String) -> Bool { indexByName[name] != nil }

    /// The header's description of a tensor. Throws `.tensorNotFound` for an unknown name.
    public func info(_ name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let i = indexByName[name] else { throw notFound(name) }
        return tensors[i]
    }

    /// Calls `body` with the tensor's bytes, in place in the mapping (zero-copy). The buffer must not escape
    /// `body`. Its start is aligned to the element size when the file was written by Mnemo or by Python's
    /// safetensors (both align the data section to 8 and order tensors by element size); check
    /// `Int(bitPattern: buffer.baseAddress) % dtype.byteSize` or use `loadUnaligned` for files from elsewhere.
    public func withUnsafeBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let tensor = try info(name)
        let start = base + dataStart + tensor.offsets.lowerBound
        return try body(UnsafeRawBufferPointer(start: start, count: tensor.byteCount))
    }

    /// A copy of the tensor's bytes.
    public func data(of name: String) throws(SafeTensorsError) -> Data {
        let tensor = try info(name)
        return Data(bytes: base + dataStart + tensor.offsets.lowerBound, count: tensor.byteCount)
    }

    private func notFound(_ name: String) -> SafeTensorsError {
        let shown = names.prefix(8).map { quoted($0) }.joined(separator: ", ")
        let hint = names.isEmpty
            ? "the file holds no tensors"
            : "the file holds \(names.count) tensors: \(shown)\(names.count > 8 ? ", …" : "") (`mnemo inspect FILE` lists them)"
        return SafeTensorsError(.tensorNotFound, file: path, tensor: name, "no tensor of this name in the file", hint: hint)
    }
}

extension SafeTensorsFile {
    /// One tensor as the header describes it.
    public struct TensorInfo: Sendable, Hashable {
        public let name: String
        public let dtype: SafeTensorsDType
        /// The shape; `[]` for a 0-d scalar.
        public let shape: [Int]
        /// The product of `shape` (1 for a scalar, 0 when a dimension is 0).
        public let elementCount: Int
        /// `elementCount × dtype.byteSize`.
        public let byteCount: Int
        /// `data_offsets` from the header: a byte range relative to the start of the data section.
        public let offsets: Range<Int>
    }
}

/// `strerror` text with the errno name's number, e.g. "No such file or directory (errno 2)".
func systemError(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
