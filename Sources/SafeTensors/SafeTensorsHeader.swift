// Validation of a whole safetensors file image, before any tensor byte is read.
//
// Layout: 8 bytes N (u64, little-endian) | N bytes of UTF-8 JSON | data section.
// The JSON is an object: one entry per tensor, {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// with offsets relative to the data section, and optionally "__metadata__": {string: string}.
//
// Checked, in this order, with the same rules as the reference implementation (huggingface/safetensors):
// the file holds the 8-byte length; N <= 100,000,000; 8 + N <= file size; the header is UTF-8; it is one JSON
// object (no duplicate keys); each entry has a known dtype, a shape of non-negative integers whose element and
// byte counts fit in 64 bits, and data_offsets [begin, end] with begin <= end <= data size and
// end - begin == elements × element size; then, sorted by offsets, the tensors cover the data section exactly,
// from 0 to its end, with no overlap and no unclaimed byte (the reference refuses such files too).
// Unknown fields inside a tensor entry are ignored, and "__metadata__": null means no metadata, as in the
// reference. Stricter than the reference: duplicate keys are refused rather than resolved silently. The JSON is
// read by MnemoSupport's JSONParser in its strict dialect.

import MnemoSupport

/// The validated contents of a header.
struct SafeTensorsHeader {
    /// The cap on the JSON header length, the reference implementation's.
    static let maxByteCount = 100_000_000

    /// The tensors in file order: sorted by offsets, then by name (only empty tensors can share an offset).
    let tensors: [SafeTensorsFile.TensorInfo]
    let metadata: [String: String]
    /// Where the data section starts in the file: 8 + header length.
    let dataStart: Int

    /// Validates a whole file image. Reads the first 8 + N bytes only; tensor bytes are never touched.
    /// `file` names the file in error messages.
    static func validate(_ image: UnsafeRawBufferPointer, file: String) throws(SafeTensorsError) -> SafeTensorsHeader {
        func fail(_ kind: SafeTensorsError.Kind, tensor: String? = nil, _ message: String, hint: String? = nil)
            -> SafeTensorsError
        {
            SafeTensorsError(kind, file: file, tensor: tensor, message, hint: hint)
        }

        // 1. The length prefix.
        guard image.count >= 8 else { throw tooSmall(byteCount: image.count, file: file) }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(image[i]) }
        guard length <= UInt64(maxByteCount) else {
            throw fail(.headerTooLarge,
                       "the first 8 bytes give a header length of \(length) bytes, above the cap of \(maxByteCount)",
                       hint: "this is probably not a safetensors file (it starts with bytes \(hexPrefix(image, 8)))")
        }
        let headerCount = Int(length)
        guard 8 + headerCount <= image.count else {
            throw fail(.headerLength,
                       "the header length is \(headerCount) bytes but only \(image.count - 8) bytes follow it",
                       hint: "the file is truncated, or is not a safetensors file")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: image[8..<(8 + headerCount)])
        let dataCount = image.count - 8 - headerCount

        // 2. UTF-8, then JSON.
        if let bad = firstInvalidUTF8(headerBytes) {
            throw fail(.headerNotUTF8, "the header is not valid UTF-8 (at byte \(bad) of \(headerCount))",
                       hint: "the header must be UTF-8 JSON; the file is corrupt or is not a safetensors file")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(headerBytes, options: .strict)
        } catch {
            throw fail(.headerNotJSON,
                       "the header is not valid JSON: \(error.message) at byte \(error.offset) of \(headerCount)",
                       hint: "it starts with \(quoted(String(decoding: headerBytes.prefix(48), as: UTF8.self), limit: 48))")
        }
        guard case .object(let members) = root else {
            throw fail(.headerNotJSON, "the header is \(root.kindName), not a JSON object",
                       hint: "a safetensors header is an object with one entry per tensor")
        }

        // 3. Each entry on its own.
        var tensors: [SafeTensorsFile.TensorInfo] = []
        tensors.reserveCapacity(members.count)
        var metadata: [String: String] = [:]
        for member in members {
            if member.key == "__metadata__" {
                metadata = try parseMetadata(member.value, file: file)
            } else {
                tensors.append(try parseEntry(name: member.key, value: member.value, dataCount: dataCount, file: file))
            }
        }

        // 4. Together: sorted by offsets, the tensors tile the data section.
        tensors.sort { a, b in
            if a.offsets.lowerBound != b.offsets.lowerBound { return a.offsets.lowerBound < b.offsets.lowerBound }
            if a.offsets.upperBound != b.offsets.upperBound { return a.offsets.upperBound < b.offsets.upperBound }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var cursor = 0
        var previous: SafeTensorsFile.TensorInfo?
        for tensor in tensors {
            let begin = tensor.offsets.lowerBound
            if begin < cursor, let previous {
                throw fail(.overlap, tensor: tensor.name,
                           "its bytes \(rangeText(tensor.offsets)) overlap those of tensor \(quoted(previous.name)) \(rangeText(previous.offsets))",
                           hint: "every byte of the data section must belong to exactly one tensor")
            }
            if begin > cursor {
                throw fail(.gap, tensor: tensor.name,
                           "it starts at offset \(begin), but bytes \(cursor)..<\(begin) of the data section belong to no tensor",
                           hint: "the reference implementation refuses holes in the data section; the header is corrupt")
            }
            cursor = tensor.offsets.upperBound
            previous = tensor
        }
        if cursor != dataCount {
            throw fail(.gap,
                       "the last \(dataCount - cursor) bytes of the data section (\(cursor)..<\(dataCount)) belong to no tensor",
                       hint: "the tensors must end exactly at the end of the file; it was appended to, or its header lost entries")
        }
        return SafeTensorsHeader(tensors: tensors, metadata: metadata, dataStart: 8 + headerCount)
    }

    static func tooSmall(byteCount: Int, file: String) -> SafeTensorsError {
        SafeTensorsError(.headerTooSmall, file: file,
                         "the file has \(byteCount) bytes, fewer than the 8 that hold the header length",
                         hint: "the file is empty or truncated, or is not a safetensors file")
    }

    // MARK: - Entries

    private static func parseMetadata(_ value: JSONValue, file: String) throws(SafeTensorsError) -> [String: String] {
        let hint = "__metadata__ must be an object mapping strings to strings, e.g. {\"format\": \"pt\"}"
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for member in members {
                let (key, item) = (member.key, member.value)
                guard case .string(let text) = item else {
                    throw SafeTensorsError(.invalidMetadata, file: file,
                                           "__metadata__ key \(quoted(key)) holds \(item.kindName) (\(item.text())), not a string",
                                           hint: hint)
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw SafeTensorsError(.invalidMetadata, file: file,
                                   "__metadata__ is \(value.kindName) (\(value.text())), not an object", hint: hint)
        }
    }

    private static func parseEntry(name: String, value: JSONValue, dataCount: Int, file: String)
        throws(SafeTensorsError) -> SafeTensorsFile.TensorInfo
    {
        func fail(_ kind: SafeTensorsError.Kind, _ message: String, hint: String? = nil) -> SafeTensorsError {
            SafeTensorsError(kind, file: file, tensor: name, message, hint: hint)
        }
        let expected = "an entry is {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [begin, end]}"
        guard case .object(let fields) = value else {
            throw fail(.invalidEntry, "its entry is \(value.kindName) (\(value.text())), not an object", hint: expected)
        }
        func field(_ key: String) throws(SafeTensorsError) -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else {
                let present = fields.isEmpty ? "none" : fields.map { quoted($0.key) }.joined(separator: ", ")
                throw fail(.invalidEntry, "its entry has no \"\(key)\" (fields present: \(present))", hint: expected)
            }
            return found.value
        }
        let dtypeValue = try field("dtype")
        let shapeValue = try field("shape")
        let offsetsValue = try field("data_offsets")

        // dtype
        guard case .string(let code) = dtypeValue else {
            throw fail(.unknownDType, "dtype is \(dtypeValue.kindName) (\(dtypeValue.text())), not a string",
                       hint: "dtype is a code such as \"F32\" or \"BF16\"")
        }
        guard let dtype = SafeTensorsDType(code: code) else {
            if SafeTensorsDType.unsupportedCodes.contains(code) {
                throw fail(.unknownDType, "dtype \(quoted(code)) packs several elements per byte",
                           hint: "Mnemo does not support sub-byte dtypes; convert the tensor to a byte-sized dtype")
            }
            let known = SafeTensorsDType.allCases.map(\.code).joined(separator: ", ")
            throw fail(.unknownDType, "unknown dtype \(quoted(code))", hint: "known dtypes (case-sensitive): \(known)")
        }

        // shape
        guard case .array(let dims) = shapeValue else {
            throw fail(.invalidShape, "shape is \(shapeValue.kindName) (\(shapeValue.text())), not an array",
                       hint: "shape is an array of non-negative integers, [] for a scalar")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for (axis, dim) in dims.enumerated() {
            guard case .integer(let size) = dim else {
                let why = if case .number = dim { "not an integer below 2^63" } else { "not an integer" }
                throw fail(.invalidShape, "shape[\(axis)] is \(dim.text()), \(why)",
                           hint: "shape is an array of non-negative integers")
            }
            guard size >= 0 else {
                throw fail(.invalidShape, "shape[\(axis)] is \(size), a negative size",
                           hint: "shape is an array of non-negative integers")
            }
            shape.append(size)
        }
        var elementCount = 1
        for size in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw fail(.overflow, "shape \(shapeText(shape)) has more elements than fit in 64 bits",
                           hint: "the header is corrupt")
            }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw fail(.overflow, "\(dtype) \(shapeText(shape)) needs more bytes than fit in 64 bits",
                       hint: "the header is corrupt")
        }

        // data_offsets
        let offsetsHint = "data_offsets is [begin, end]: integers with 0 <= begin <= end, relative to the data section"
        guard case .array(let pair) = offsetsValue, pair.count == 2 else {
            throw fail(.invalidOffsets, "data_offsets is \(offsetsValue.text()), not a pair [begin, end]", hint: offsetsHint)
        }
        guard case .integer(let begin) = pair[0], case .integer(let end) = pair[1], begin >= 0, end >= 0 else {
            throw fail(.invalidOffsets, "data_offsets \(offsetsValue.text()) are not two non-negative integers below 2^63",
                       hint: offsetsHint)
        }
        guard begin <= end else {
            throw fail(.invalidOffsets, "data_offsets [\(begin), \(end)] end before they begin", hint: offsetsHint)
        }
        guard end <= dataCount else {
            throw fail(.outOfBounds,
                       "data_offsets [\(begin), \(end)] run past the end of the data section (\(dataCount) bytes)",
                       hint: "the file is truncated, or its header is corrupt")
        }
        guard end - begin == byteCount else {
            throw fail(.sizeMismatch,
                       "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype) \(shapeText(shape)) needs \(byteCount)",
                       hint: "the header does not match the data; the file was written by a buggy tool or edited")
        }
        return SafeTensorsFile.TensorInfo(name: name, dtype: dtype, shape: shape, elementCount: elementCount,
                                          byteCount: byteCount, offsets: begin..<end)
    }
}

// MARK: - Small helpers for messages

func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

private func rangeText(_ range: Range<Int>) -> String {
    "\(range.lowerBound)..<\(range.upperBound)"
}

private func hexPrefix(_ bytes: UnsafeRawBufferPointer, _ count: Int) -> String {
    bytes.prefix(count).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}

