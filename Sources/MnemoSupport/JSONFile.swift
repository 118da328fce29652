// JSONFile.swift — a whole file's bytes as one JSON document, with what is wrong said in words that follow the
// file's name: "is not valid JSON at line 3, column 7: unexpected '}', expected a value".
//
// What a reader of files needs beyond JSONParser: a leading UTF-8 byte-order mark is skipped (Foundation's
// JSONSerialization and Python's utf-8-sig skip one too); the bytes must be UTF-8 (JSONParser itself would decode
// bad bytes with replacement characters); an empty file is called empty; a syntax error's byte offset becomes a
// 1-based line and column (in bytes, counted from the file's first byte); a text that stops in the middle of a
// value is called cut short.

/// Why a file's bytes are not a JSON document. `message` reads after the file's name ("config.json: " + message).
public struct JSONFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The parser's error, when the problem is JSON syntax (nil for an empty file or bytes that are not UTF-8).
    public let syntax: JSONSyntaxError?
    /// 1-based line and column (in bytes) of the problem; nil for an empty file.
    public let line: Int?
    public let column: Int?

    public var description: String { message }
}

extension JSONParser {
    /// The JSON document of a whole file's bytes (see the file's header for what is checked beyond the grammar).
    public static func parseFile(_ bytes: [UInt8], options: Options) throws(JSONFileError) -> JSONValue {
        var result: Result<JSONValue, JSONFileError>?
        bytes.withUnsafeBytes { raw in
            do throws(JSONFileError) { result = .success(try parseFile(raw, options: options)) } catch { result = .failure(error) }
        }
        return try result!.get()
    }

    /// The same for bytes in memory that the caller keeps alive.
    public static func parseFile(_ raw: UnsafeRawBufferPointer, options: Options) throws(JSONFileError) -> JSONValue {
        let start = raw.count >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF ? 3 : 0
        let body = UnsafeRawBufferPointer(rebasing: raw[start...])
        func located(_ offset: Int) -> (line: Int, column: Int) { lineAndColumn(of: offset, in: raw) }
        if let bad = firstInvalidUTF8(body) {
            let (line, column) = located(start + bad)
            throw JSONFileError(message: "is not UTF-8 text (byte 0x\(String(body[bad], radix: 16)) at line \(line), column \(column))",
                                syntax: nil, line: line, column: column)
        }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw JSONFileError(message: "is empty (no JSON value in it)", syntax: nil, line: nil, column: nil)
        }
        do {
            return try parse(body, options: options)
        } catch {
            let (line, column) = located(start + error.offset)
            let cut = error.atEnd ? " (the text stops in the middle of a value: was the file cut short?)" : ""
            throw JSONFileError(message: "is not valid JSON at line \(line), column \(column): \(error.message)\(cut)",
                                syntax: error, line: line, column: column)
        }
    }
}
