// HellaSwagFile.swift — llm.c's multiple-choice eval files (`hellaswag_val.bin`, `mmlu_val.bin`), read and checked,
// for `mnemo eval --task FILE.bin`. The layout is what llm.c's dev/data/data_common.py `write_evalfile` writes, all
// little-endian:
//
//   header   256 int32: [0] magic 20240522, [1] version 1, [2] the number of examples, [3] the longest example's
//            size in bytes; the rest zero
//   examples back to back, each a stream of uint16:
//            65535 (the example delimiter), the example's size in bytes (delimiter and this field included),
//            its index in the dataset, the label (index of the right completion), the number of completions,
//            the context's token count and tokens, then per completion its token count and tokens
//
// The tokens are already tokenized (GPT-2's, in llm.c; each completion carries its leading space), so no tokenizer is
// involved and the file says nothing about characters: llm.c's accuracy ranks completions by their mean loss per
// token, which MultipleChoiceEval reports as this file's acc_norm.
//
// Refused, each with the file, the example and its byte offset where one is at fault: a file shorter than the
// 1,024-byte header, another magic (a token shard's 20240520 is named as such) or version, an odd number of bytes
// after the header, an example that does not start with 65535, whose stated size disagrees with its contents, is
// longer than the header's longest example or runs past the end of the file (truncated), a label that names no
// completion, an empty context or completion, fewer examples than the header declares, and bytes after the last one.
// Big-endian hosts are not supported.
import Foundation

#if _endian(big)
#error("HellaSwagFile reads little-endian files in place; big-endian hosts are not supported")
#endif

/// One example: a context and its completions as token ids.
public struct HellaSwagExample: Sendable, Equatable {
    /// The example's index in its dataset (llm.c writes 0, 1, 2, …).
    public var index: Int
    /// The index of the right completion.
    public var label: Int
    public var context: [Int]
    public var completions: [[Int]]

    public init(index: Int, label: Int, context: [Int], completions: [[Int]]) {
        self.index = index
        self.label = label
        self.context = context
        self.completions = completions
    }
}

public enum HellaSwagFile {
    public static let magic: Int32 = 20_240_522
    public static let version: Int32 = 1
    /// The header's size: 256 int32 values.
    public static let headerBytes = 1024
    /// The uint16 that starts every example.
    public static let delimiter: UInt16 = 65_535

    static let hint = "write it with llm.c's dev/data/hellaswag.py (write_evalfile), or give a .jsonl task file"

    /// The examples of the eval file at `path`.
    public static func read(_ path: String) throws(TokenDataError) -> [HellaSwagExample] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw TokenDataError(exists ? .io : .missingFile, file: path, exists ? "cannot read the eval file" : "no such eval file")
        }
        return try parse(data, file: path)
    }

    /// The examples of eval-file bytes `data`; `file` names them in errors.
    public static func parse(_ data: Data, file: String) throws(TokenDataError) -> [HellaSwagExample] {
        func fail(_ kind: TokenDataError.Kind, _ message: String) -> TokenDataError {
            TokenDataError(kind, file: file, message, hint: hint)
        }
        guard data.count >= headerBytes else {
            throw fail(.headerTooSmall, "the file has \(data.count) bytes, fewer than the \(headerBytes)-byte header of an llm.c eval file")
        }
        let bytes = [UInt8](data)
        func int32(at i: Int) -> Int32 {
            Int32(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
        let (fileMagic, fileVersion, declared, longest) = (int32(at: 0), int32(at: 1), Int(int32(at: 2)), Int(int32(at: 3)))
        guard fileMagic == magic else {
            let shard = TokenShardFormat(magic: fileMagic, version: fileVersion) != nil
            throw fail(.badMagic, "magic number \(fileMagic), not \(magic)" + (shard ? " (this is an llm.c token shard, not an eval file)" : ""))
        }
        guard fileVersion == version else { throw fail(.badVersion, "version \(fileVersion); only version \(version) exists") }
        guard declared > 0 else { throw fail(.badTokenCount, "the header declares \(declared) examples") }
        guard (data.count - headerBytes) % 2 == 0 else {
            throw fail(.sizeMismatch, "\(data.count - headerBytes) bytes after the header, an odd number (the examples are uint16)")
        }
        let count = (data.count - headerBytes) / 2
        func value(_ i: Int) -> Int { Int(bytes[headerBytes + 2 * i]) | Int(bytes[headerBytes + 2 * i + 1]) << 8 }

        var examples: [HellaSwagExample] = []
        var position = 0
        while examples.count < declared {
            let number = examples.count
            let offset = headerBytes + 2 * position
            func bad(_ message: String) -> TokenDataError {
                fail(.malformedInput, "example \(number) (byte \(offset)): \(message)")
            }
            guard position < count else {
                throw fail(.sizeMismatch, "the file ends after \(number) of the \(declared) examples its header declares (truncated)")
            }
            guard value(position) == Int(delimiter) else { throw bad("starts with \(value(position)), not the delimiter \(delimiter)") }
            guard position + 5 <= count else { throw fail(.sizeMismatch, "the file ends inside example \(number)'s header (truncated)") }
            let size = value(position + 1)
            guard size % 2 == 0, size >= 18 else { throw bad("a stated size of \(size) bytes is no example's") }
            guard size <= longest else { throw bad("\(size) bytes, longer than the header's longest example (\(longest) bytes)") }
            let end = position + size / 2
            guard end <= count else { throw fail(.sizeMismatch, "example \(number) (byte \(offset)) runs past the end of the file (truncated)") }
            let (index, label, choices) = (value(position + 2), value(position + 3), value(position + 4))
            guard choices >= 1 else { throw bad("no completions") }
            guard label < choices else { throw bad("label \(label) names none of its \(choices) completions") }
            var cursor = position + 5
            func tokens(_ what: String) throws(TokenDataError) -> [Int] {
                guard cursor < end else { throw bad("its stated size ends before the \(what)") }
                let n = value(cursor)
                guard n > 0 else { throw bad("the \(what) has no tokens") }
                guard cursor + 1 + n <= end else { throw bad("the \(what)'s \(n) tokens run past the example's stated size") }
                let ids = (cursor + 1..<cursor + 1 + n).map(value)
                if ids.contains(Int(delimiter)) { throw bad("the \(what) holds the delimiter \(delimiter) as a token") }
                cursor += 1 + n
                return ids
            }
            let context = try tokens("context")
            var completions: [[Int]] = []
            for c in 0..<choices { completions.append(try tokens("completion \(c)")) }
            guard cursor == end else { throw bad("its stated size is \(size) bytes but its contents take \(2 * (cursor - position))") }
            examples.append(HellaSwagExample(index: index, label: label, context: context, completions: completions))
            position = end
        }
        guard position == count else {
            throw fail(.sizeMismatch, "\(2 * (count - position)) bytes after the \(declared) examples the header declares")
        }
        return examples
    }
}
