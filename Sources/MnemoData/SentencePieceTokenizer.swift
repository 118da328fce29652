// SentencePieceTokenizer.swift — a Hugging Face tokenizer.json converted from a SentencePiece BPE: the tokenizer of
// Llama-2-family folders (TinyLlama, Llama-2, Mistral-7B-v0.1, Vicuna …).
//
// Unlike the byte-level BPE of HFTokenizer, the symbols are Unicode characters (scalars, as Rust's `chars()`):
// a space is written `▁`, merges join characters, and a character that is not in the vocabulary becomes the byte
// tokens `<0xE6><0x97><0xA5>` of its UTF-8 (`byte_fallback`), or `<unk>` without them. Three layouts exist and
// all load, giving the ids of `Tokenizer.from_file(path).encode(text, add_special_tokens=False)`:
//   - legacy (Llama-2, TinyLlama): normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer (a whole text
//     segment is one word), decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(" ", 1, 0);
//   - Metaspace pre-tokenizer (transformers' legacy=False files): replacement, prepend_scheme always / first /
//     never, split on `▁` (MergedWithNext) or not; decoder Metaspace (+ ByteFallback + Fuse);
//   - any Sequence of those steps: normalizer Prepend / Replace (String patterns), decoder Replace / ByteFallback /
//     Fuse / Strip / Metaspace, applied in the file's order.
// Anything else (Unicode normalizers, regex patterns, other pre-tokenizers, dropout, a continuing-subword prefix,
// added tokens with `single_word` or `normalized` matching under a normalizer) is refused, never approximated.
//
// Added tokens are matched in the raw text first, and each stretch of text between them is normalized on its own,
// as Hugging Face does (so "<s>Hello" gives "<s>", "▁Hello" in the legacy layout; prepend_scheme "first" prepends
// only to the stretch that starts the text). The merge loop is Hugging Face's: the adjacent pair of lowest rank,
// leftmost on a tie, from a heap (a legacy segment is one long word). `endOfText` is the id of `</s>`.

import Foundation
import MnemoSupport

public struct SentencePieceTokenizer: Tokenizer {
    /// One step of the normalizer (applied to each stretch of text between added tokens).
    enum NormalizerStep: Sendable {
        case prepend([Unicode.Scalar])                       // before non-empty text
        case replace([Unicode.Scalar], [Unicode.Scalar])     // every occurrence, left to right
    }
    enum PrependScheme: String, Sendable { case always, first, never }
    struct Metaspace: Sendable {
        var replacement: Unicode.Scalar
        var prependScheme: PrependScheme
        var split: Bool
    }
    /// One step of the decoder chain (each maps a list of token strings to another).
    enum DecoderStep: Sendable {
        case replace([Unicode.Scalar], [Unicode.Scalar])
        case byteFallback
        case fuse
        case strip(Unicode.Scalar, start: Int, stop: Int)
        case metaspace(Unicode.Scalar, PrependScheme)
    }

    let model: CharacterPairModel
    let normalizer: [NormalizerStep]
    let metaspace: Metaspace?
    let decoderSteps: [DecoderStep]
    let added: [AddedToken]
    /// The string of every id (vocabulary token or added token), for decoding.
    let tokenStrings: [String?]
    public let endOfText: Int?

    public init(path: String) throws {
        let hint = "give a Hugging Face tokenizer.json (a Llama-2-style BPE with ▁ and byte fallback)"
        let json = try TokenizerFiles.readJSON(path, what: "a Hugging Face tokenizer.json", hint: hint)
        try self.init(json: json, file: path)
    }

    init(json: JSONValue, file: String) throws {
        func corrupt(_ message: String) -> TokenizerError {
            TokenizerError.corrupt(file, message, hint: "the file should be written by Hugging Face tokenizers (Tokenizer.save)")
        }
        func unsupported(_ message: String) -> TokenizerError {
            TokenizerError(.unsupported, file: file, message,
                           hint: "supported: byte-level BPE (GPT-2 style) and SentencePiece-style BPE (Llama-2 style: ▁, byte fallback)")
        }

        // The model.
        let (model, vocabulary, mergeList) = try TokenizerFiles.bpeModel(json, corrupt: corrupt, unsupported: unsupported)
        var ids: [String: Int32] = [:]
        var strings: [String?] = []
        func setString(_ id: Int, _ text: String) {
            if id >= strings.count { strings += [String?](repeating: nil, count: id + 1 - strings.count) }
            strings[id] = text
        }
        for entry in vocabulary {
            let token = entry.key
            guard let id = entry.value.int, id >= 0, id < Int(Int32.max) else {
                throw corrupt("model.vocab[\(jsonQuoted(token))] is not a non-negative integer id")
            }
            if id < strings.count, let other = strings[id] {
                throw corrupt("model.vocab gives id \(id) to both \(jsonQuoted(other)) and \(jsonQuoted(token))")
            }
            ids[token] = Int32(id)
            setString(id, token)
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            if let pair = entry.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                merges.append((a, b))
            } else if let line = entry.string, case let parts = line.split(separator: " ", omittingEmptySubsequences: false),
                      parts.count == 2 {
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw corrupt("model.merges[\(index)] is not two tokens (\"a b\" or [\"a\", \"b\"])")
            }
        }
        var unknownId: Int32?
        if let unknown = model["unk_token"]?.string {
            guard let id = ids[unknown] else { throw corrupt("model.unk_token \(jsonQuoted(unknown)) is not in model.vocab") }
            unknownId = id
        }
        do {
            self.model = try CharacterPairModel(vocabulary: ids, merges: merges, unknownId: unknownId,
                                                fuseUnknown: model["fuse_unk"]?.bool ?? false,
                                                byteFallback: model["byte_fallback"]?.bool ?? false,
                                                ignoreMerges: model["ignore_merges"]?.bool ?? false)
        } catch {
            throw corrupt("model: \(error)")
        }

        // Normalizer, pre-tokenizer, decoder.
        normalizer = try Self.steps(json["normalizer"], listKey: "normalizers", what: "normalizer", unsupported: unsupported)
            .map { step -> NormalizerStep in
                switch step["type"]?.string {
                case "Prepend":
                    guard let text = step["prepend"]?.string else { throw corrupt("a Prepend normalizer has no \"prepend\" string") }
                    return .prepend(Array(text.unicodeScalars))
                case "Replace":
                    let (pattern, content) = try Self.replacement(step, unsupported: unsupported, corrupt: corrupt)
                    return .replace(pattern, content)
                default:
                    throw unsupported("the normalizer \(Self.typeName(step)) is not supported (only Prepend and Replace)")
                }
            }
        var metaspace: Metaspace?
        for step in try Self.steps(json["pre_tokenizer"], listKey: "pretokenizers", what: "pre_tokenizer", unsupported: unsupported) {
            guard step["type"]?.string == "Metaspace", metaspace == nil else {
                throw unsupported("the pre_tokenizer \(Self.typeName(step)) is not supported (only one Metaspace)")
            }
            metaspace = Metaspace(replacement: try Self.replacementScalar(step, corrupt: corrupt),
                                  prependScheme: try Self.prependScheme(step, corrupt: corrupt),
                                  split: step["split"]?.bool ?? true)
        }
        self.metaspace = metaspace
        decoderSteps = try Self.steps(json["decoder"], listKey: "decoders", what: "decoder", unsupported: unsupported)
            .map { step -> DecoderStep in
                switch step["type"]?.string {
                case "Replace":
                    let (pattern, content) = try Self.replacement(step, unsupported: unsupported, corrupt: corrupt)
                    return .replace(pattern, content)
                case "ByteFallback": return .byteFallback
                case "Fuse": return .fuse
                case "Strip":
                    guard let content = step["content"]?.string, content.unicodeScalars.count == 1,
                          let start = step["start"]?.int, let stop = step["stop"]?.int,
                          start >= 0, stop >= 0 else {
                        throw corrupt("a Strip decoder needs a one-character \"content\" and non-negative \"start\" and \"stop\"")
                    }
                    return .strip(content.unicodeScalars.first!, start: start, stop: stop)
                case "Metaspace":
                    return .metaspace(try Self.replacementScalar(step, corrupt: corrupt), try Self.prependScheme(step, corrupt: corrupt))
                default:
                    throw unsupported("the decoder \(Self.typeName(step)) is not supported (only Replace, ByteFallback, Fuse, Strip, Metaspace)")
                }
            }

        // Added tokens.
        let added = try TokenizerFiles.addedTokens(json, corrupt: corrupt, unsupported: unsupported,
                                                   normalizerApplies: !normalizer.isEmpty)
        for token in added { setString(token.id, token.content) }
        self.added = added
        tokenStrings = strings
        endOfText = added.first { $0.content == "</s>" }?.id ?? ids["</s>"].map(Int.init)
    }

    // MARK: reading the file's steps

    /// The steps of a normalizer / pre-tokenizer / decoder: none for null, the list of a Sequence, or the one object.
    private static func steps(_ value: JSONValue?, listKey: String, what: String,
                              unsupported: (String) -> TokenizerError) throws -> [JSONValue] {
        guard let object = value, !object.isNull else { return [] }
        guard case .object = object else { throw unsupported("the \(what) is not an object") }
        if object["type"]?.string == "Sequence" {
            guard let list = object[listKey]?.array, list.allSatisfy({ $0.object != nil }) else {
                throw unsupported("the \(what) Sequence has no \"\(listKey)\" list")
            }
            return try list.flatMap { try steps($0, listKey: listKey, what: what, unsupported: unsupported) }
        }
        return [object]
    }

    private static func replacement(_ step: JSONValue, unsupported: (String) -> TokenizerError,
                                    corrupt: (String) -> TokenizerError) throws -> ([Unicode.Scalar], [Unicode.Scalar]) {
        guard let pattern = step["pattern"], pattern.object != nil, let content = step["content"]?.string else {
            throw corrupt("a Replace step needs a \"pattern\" object and a \"content\" string")
        }
        guard let text = pattern["String"]?.string, !text.isEmpty else {
            throw unsupported("a Replace step with a \(pattern["Regex"] != nil ? "Regex" : "non-String") pattern (only String patterns)")
        }
        return (Array(text.unicodeScalars), Array(content.unicodeScalars))
    }

    private static func replacementScalar(_ step: JSONValue, corrupt: (String) -> TokenizerError) throws -> Unicode.Scalar {
        guard let text = step["replacement"]?.string, text.unicodeScalars.count == 1 else {
            throw corrupt("a Metaspace step needs a one-character \"replacement\"")
        }
        return text.unicodeScalars.first!
    }

    /// prepend_scheme, or the older add_prefix_space (false = never), as Hugging Face reads them.
    private static func prependScheme(_ step: JSONValue, corrupt: (String) -> TokenizerError) throws -> PrependScheme {
        var scheme = PrependScheme.always
        if let text = step["prepend_scheme"]?.string {
            guard let known = PrependScheme(rawValue: text) else { throw corrupt("unknown Metaspace prepend_scheme \"\(text)\"") }
            scheme = known
        }
        if step["add_prefix_space"]?.bool == false { scheme = .never }
        return scheme
    }

    private static func typeName(_ object: JSONValue) -> String { object["type"]?.string ?? "without a type" }

    // MARK: encoding

    public var vocabularySize: Int { tokenStrings.count }
    public var specialTokens: [String: Int] { Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a }) }

    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        encodeSegment(Array(text.unicodeScalars), atStart: true, into: &ids)
        return ids
    }

    public func encode(_ text: String, allowedSpecial: SpecialTokenPolicy) -> [Int] {
        let allowed = allowedSpecial.allowed(from: specialTokens)
        if allowed.isEmpty { return encode(text) }
        let matcher = SpecialTokenMatcher(added.filter { allowed[$0.content] == $0.id })
        var ids: [Int] = []
        var copy = text
        copy.withUTF8 { buffer in
            guard let p = buffer.baseAddress else { return }
            func segment(_ start: Int, _ end: Int) {
                guard end > start else { return }
                let text = String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
                encodeSegment(Array(text.unicodeScalars), atStart: start == 0, into: &ids)
            }
            var i = 0
            while let match = matcher.nextMatch(p, from: i, end: buffer.count) {
                segment(i, match.start)
                ids.append(match.id)
                i = match.end
            }
            segment(i, buffer.count)
        }
        return ids
    }

    /// Normalizes, pre-tokenizes and encodes one stretch of text between added tokens.
    private func encodeSegment(_ text: [Unicode.Scalar], atStart: Bool, into ids: inout [Int]) {
        guard !text.isEmpty else { return }
        var text = text
        for step in normalizer {
            switch step {
            case .prepend(let prefix): if !text.isEmpty { text = prefix + text }
            case .replace(let pattern, let content): text = Self.replacing(text, pattern, content)
            }
        }
        var words = [text[...]]
        if let metaspace {
            let mark = metaspace.replacement
            text = Self.replacing(text, [" "], [mark])
            let prepend = metaspace.prependScheme == .always || (metaspace.prependScheme == .first && atStart)
            if prepend, text.first != mark { text.insert(mark, at: 0) }
            words = metaspace.split ? Self.splitBefore(text, mark) : [text[...]]
        }
        var cache: [ArraySlice<Unicode.Scalar>: [Int32]] = [:]
        for word in words where !word.isEmpty {
            if let hit = cache[word] {
                ids += hit.lazy.map(Int.init)
                continue
            }
            let encoded = model.encode(word)
            if word.count < 64 { cache[word] = encoded }
            ids += encoded.lazy.map(Int.init)
        }
    }

    /// `text` with every occurrence of `pattern` (left to right, not overlapping) replaced by `content`.
    static func replacing(_ text: [Unicode.Scalar], _ pattern: [Unicode.Scalar], _ content: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == pattern[0], i + pattern.count <= text.count, text[i..<(i + pattern.count)].elementsEqual(pattern) {
                out += content
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// Pieces that each start at an occurrence of `mark` (Hugging Face's MergedWithNext split).
    static func splitBefore(_ text: [Unicode.Scalar], _ mark: Unicode.Scalar) -> [ArraySlice<Unicode.Scalar>] {
        var pieces: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for i in text.indices where text[i] == mark && i > start {
            pieces.append(text[start..<i])
            start = i
        }
        if start < text.count { pieces.append(text[start...]) }
        return pieces
    }

    // MARK: decoding

    /// Hugging Face's decode(ids, skip_special_tokens=False): the token strings through the decoder chain.
    public func decode(_ ids: [Int]) -> String {
        var tokens = ids.map { id -> String in
            id >= 0 && id < tokenStrings.count ? tokenStrings[id] ?? "\u{FFFD}" : "\u{FFFD}"
        }
        for step in decoderSteps {
            switch step {
            case let .replace(pattern, content):
                tokens = tokens.map { String(String.UnicodeScalarView(Self.replacing(Array($0.unicodeScalars), pattern, content))) }
            case .byteFallback:
                tokens = Self.fallBackToBytes(tokens)
            case .fuse:
                tokens = [tokens.joined()]
            case let .strip(content, start, stop):
                tokens = tokens.map { token in
                    var scalars = Array(token.unicodeScalars)[...]
                    var cut = 0
                    while cut < start, scalars.first == content { scalars.removeFirst(); cut += 1 }
                    cut = 0
                    while cut < stop, scalars.last == content { scalars.removeLast(); cut += 1 }
                    return String(String.UnicodeScalarView(scalars))
                }
            case let .metaspace(replacement, scheme):
                tokens = tokens.enumerated().map { index, token in
                    var out = String.UnicodeScalarView()
                    for scalar in token.unicodeScalars {
                        if scalar != replacement { out.append(scalar) }
                        else if index > 0 || scheme == .never { out.append(" ") }   // the first token drops its ▁
                    }
                    return String(out)
                }
            }
        }
        return tokens.joined()
    }

    /// Runs of `<0xNN>` tokens become their UTF-8 text, or one U+FFFD per token when the run is not valid UTF-8.
    static func fallBackToBytes(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            if let text = String(validatingUTF8Bytes: run) { out.append(text) }
            else { out += Array(repeating: "\u{FFFD}", count: run.count) }
            run.removeAll()
        }
        for token in tokens {
            let utf8 = Array(token.utf8)
            if utf8.count == 6, token.hasPrefix("<0x"), utf8[5] == UInt8(ascii: ">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                run.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The id of a vocabulary token (`▁the`, `<0x0A>`) or an added token.
    public func id(of token: String) -> Int? {
        if let match = added.first(where: { $0.content == token }) { return match.id }
        return model.vocabulary[token].map(Int.init)
    }
}

extension String {
    /// The text of `bytes` when they are valid UTF-8, else nil.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: self = String(scalars); return
            case .error: return nil
            }
        }
    }
}

/// The BPE model over Unicode characters of a SentencePiece-style tokenizer. Immutable; safe to share.
final class CharacterPairModel: Sendable {
    let vocabulary: [String: Int32]
    /// id of every token that is one Unicode scalar.
    let scalarIds: [UInt32: Int32]
    /// left << 32 | right → rank << 32 | merged id.
    let merges: [UInt64: UInt64]
    /// id of `<0xNN>` for each byte, -1 where the vocabulary has none; nil without byte fallback.
    let byteIds: [Int32]?
    let unknownId: Int32?
    let fuseUnknown: Bool
    let ignoreMerges: Bool

    struct BuildError: Error, CustomStringConvertible {
        var description: String
    }

    init(vocabulary: [String: Int32], merges: [(String, String)], unknownId: Int32?, fuseUnknown: Bool,
         byteFallback: Bool, ignoreMerges: Bool) throws {
        var scalarIds: [UInt32: Int32] = [:]
        for (token, id) in vocabulary where token.unicodeScalars.count == 1 { scalarIds[token.unicodeScalars.first!.value] = id }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (line, merge) in merges.enumerated() {
            guard let left = vocabulary[merge.0], let right = vocabulary[merge.1] else {
                let missing = vocabulary[merge.0] == nil ? merge.0 : merge.1
                throw BuildError(description: "merge \(line + 1) (\(merge.0) \(merge.1)) uses \(jsonQuoted(missing)), which is not in the vocabulary")
            }
            guard let merged = vocabulary[merge.0 + merge.1] else {
                throw BuildError(description: "merge \(line + 1) makes \(jsonQuoted(merge.0 + merge.1)), which is not in the vocabulary")
            }
            table[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] = UInt64(line) << 32 | UInt64(UInt32(merged))
        }
        self.vocabulary = vocabulary
        self.scalarIds = scalarIds
        self.merges = table
        byteIds = byteFallback ? (0..<256).map { vocabulary[String(format: "<0x%02X>", $0)] ?? -1 } : nil
        self.unknownId = unknownId
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
    }

    /// The ids of one word: characters → ids (byte tokens or <unk> for unknown ones), then the merges.
    func encode(_ word: ArraySlice<Unicode.Scalar>) -> [Int32] {
        if ignoreMerges, let id = vocabulary[String(String.UnicodeScalarView(word))] { return [id] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown: Int32?   // Hugging Face adds an unknown symbol only when a known character (or the end) follows
        for scalar in word {
            if let id = scalarIds[scalar.value] {
                if let unknown = pendingUnknown { symbols.append(unknown); pendingUnknown = nil }
                symbols.append(id)
                continue
            }
            if let byteIds {
                let fallback = String(scalar).utf8.map { byteIds[Int($0)] }
                if !fallback.contains(-1) { symbols += fallback; continue }
            }
            guard let unknownId else { continue }
            if let unknown = pendingUnknown, !fuseUnknown { symbols.append(unknown) }
            pendingUnknown = unknownId
        }
        if let unknown = pendingUnknown { symbols.append(unknown) }
        return merge(symbols)
    }

    /// Hugging Face's Word::merge_all: repeatedly merge the adjacent pair of lowest rank (leftmost on a tie).
    private func merge(_ symbols: [Int32]) -> [Int32] {
        let n = symbols.count
        guard n > 1 else { return symbols }
        var id = symbols
        var next = Array(1...n), previous = Array(-1..<(n - 1))   // next[n-1] == n: none
        var alive = [Bool](repeating: true, count: n)
        func rank(_ i: Int) -> UInt64? {
            let j = next[i]
            guard j < n else { return nil }
            return merges[UInt64(UInt32(id[i])) << 32 | UInt64(UInt32(id[j]))]
        }
        var heap = MinHeap()
        for i in 0..<(n - 1) { if let r = rank(i) { heap.push((r & ~0xFFFF_FFFF) | UInt64(i)) } }
        while let top = heap.pop() {
            let i = Int(top & 0xFFFF_FFFF), wanted = top >> 32
            guard alive[i], let r = rank(i), r >> 32 == wanted else { continue }   // stale entry
            let j = next[i]
            id[i] = Int32(truncatingIfNeeded: r & 0xFFFF_FFFF)
            alive[j] = false
            next[i] = next[j]
            if next[i] < n { previous[next[i]] = i }
            if previous[i] >= 0, let left = rank(previous[i]) { heap.push((left & ~0xFFFF_FFFF) | UInt64(previous[i])) }
            if let right = rank(i) { heap.push((right & ~0xFFFF_FFFF) | UInt64(i)) }
        }
        return (0..<n).compactMap { alive[$0] ? id[$0] : nil }
    }
}

/// A binary min-heap of UInt64 (rank << 32 | position).
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ value: UInt64) {
        items.append(value)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] > items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l] < items[smallest] { smallest = l }
                if r < items.count, items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
