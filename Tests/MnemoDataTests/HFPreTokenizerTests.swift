// HFPreTokenizerTests.swift — byte-level tokenizer.json files with a Split pre-tokenizer (Llama 3.x, Qwen2, GPT-2
// patterns) against Hugging Face tokenizers 0.23.3: Fixtures/hf_pretokenizers, written by
// scripts/check_hf_pretokenizers.py (which also compares Mnemo with tokenizers on tinyshakespeare by hand).

import Foundation
import MnemoSupport
import Testing
@testable import MnemoData

@Suite("Hugging Face Split pre-tokenizers (Llama 3, Qwen2, GPT-2)")
struct HFPreTokenizerTests {
    struct Case {
        let text: String
        let pieces: [String]
        let ids: [Int]
        let ordinary: [Int]
        let withSpecialTokens: [Int]
        let decoded: String
        let idsWithoutIgnoreMerges: [Int]?
    }

    static let names = ["gpt2", "llama3", "qwen2"]

    static func fixture(_ name: String, _ ext: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/hf_pretokenizers"),
                               "missing Fixtures/hf_pretokenizers/\(name).\(ext) (scripts/check_hf_pretokenizers.py writes it)")
        return url.path
    }

    static func json(_ name: String) throws -> JSONValue {
        try TokenizerFiles.readJSON(fixture(name, "json"), what: "a fixture", hint: "")
    }

    static func load(_ name: String) throws -> HFTokenizer {
        let tokenizer = try loadHuggingFaceTokenizer(path: fixture(name, "json"))
        return try #require(tokenizer as? HFTokenizer, "\(name).json should load as a byte-level tokenizer")
    }

    static func ints(_ value: JSONValue?) throws -> [Int] {
        try #require(value?.array).map { try #require($0.int) }
    }

    /// The vocabulary size and the sample cases of one file.
    static func cases(_ name: String) throws -> (vocabularySize: Int, cases: [Case]) {
        let file = try #require(try json("references")["files"]?[name])
        let cases = try #require(file["cases"]?.array).map { entry in
            Case(text: try #require(entry["text"]?.string),
                 pieces: try #require(entry["pieces"]?.array).map { try #require($0.string) },
                 ids: try ints(entry["ids"]), ordinary: try ints(entry["ordinary"]),
                 withSpecialTokens: try ints(entry["with_special_tokens"]),
                 decoded: try #require(entry["decoded"]?.string),
                 idsWithoutIgnoreMerges: try entry["ids_without_ignore_merges"].map { try ints($0) })
        }
        return (try #require(file["vocabulary_size"]?.int), cases)
    }

    /// A fixture with one change, loaded (or refused) from JSON.
    static func variant(_ name: String, _ change: (JSONValue) throws -> JSONValue) throws -> HFTokenizer {
        try HFTokenizer(json: change(json(name)), file: fixture(name, "json"))
    }

    @Test("pieces of 36 sample texts equal the Split's (pre_tokenize_str)", arguments: SplitPattern.allCases)
    func pieces(pattern: SplitPattern) throws {
        let cases = try Self.cases(pattern.rawValue).cases
        #expect(cases.count >= 30)
        for reference in cases {
            #expect(pattern.pieces(reference.text) == reference.pieces, "\(reference.text.debugDescription)")
        }
    }

    @Test("ids with and without added tokens, with the post-processor's prefix, and decode equal tokenizers'",
          arguments: names)
    func ids(name: String) throws {
        let tokenizer = try Self.load(name)
        let (vocabularySize, cases) = try Self.cases(name)
        #expect(tokenizer.splitPattern == SplitPattern(rawValue: name))
        #expect(tokenizer.normalizesNFC == (name == "qwen2"))
        #expect(tokenizer.vocabularySize == vocabularySize)
        let prefix = try PromptPrefix.ids(tokenizerFile: Self.fixture(name, "json"))
        for reference in cases {
            let text = reference.text.debugDescription
            #expect(tokenizer.encode(reference.text, allowedSpecial: .all) == reference.ids, "encode \(text)")
            #expect(tokenizer.encode(reference.text) == reference.ordinary, "encode as ordinary text \(text)")
            #expect(prefix + reference.ids == reference.withSpecialTokens, "with special tokens \(text)")
            #expect(tokenizer.decode(reference.ids) == reference.decoded, "decode \(text)")
        }
    }

    @Test("ignore_merges: Llama 3's whole-piece ids; with ignore_merges false the merged ids")
    func ignoreMerges() throws {
        let cases = try Self.cases("llama3").cases
        let plain = try Self.variant("llama3") { json in
            json.setting("model", try #require(json["model"]).setting("ignore_merges", .bool(false)))
        }
        #expect(try Self.json("llama3")["model"]?["ignore_merges"]?.bool == true)
        var changed = 0
        for reference in cases {
            let expected = try #require(reference.idsWithoutIgnoreMerges)
            #expect(plain.encode(reference.text, allowedSpecial: .all) == expected, "\(reference.text.debugDescription)")
            if expected != reference.ids { changed += 1 }
        }
        #expect(changed >= 1)
        let llama = try Self.load("llama3")
        #expect(llama.encode(" xylophonist").count == 1)
        #expect(plain.encode(" xylophonist").count > 1)
    }

    @Test("added tokens and the prompt prefix: Llama 3's <|begin_of_text|> first, <|end_of_text|>; Qwen2's <|endoftext|>")
    func addedTokens() throws {
        let llama = try Self.load("llama3"), qwen = try Self.load("qwen2")
        let begin = try #require(llama.specialTokens["<|begin_of_text|>"])
        #expect(try PromptPrefix.ids(tokenizerFile: Self.fixture("llama3", "json")) == [begin])
        #expect(llama.endOfText == llama.specialTokens["<|end_of_text|>"])
        let chat = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        let ids = llama.encode(chat, allowedSpecial: .all)
        #expect(ids.first == llama.specialTokens["<|start_header_id|>"] && ids.last == llama.specialTokens["<|eot_id|>"])
        #expect(!llama.encode(chat).contains(try #require(llama.specialTokens["<|eot_id|>"])))
        #expect(llama.decode(ids) == chat)
        #expect(try PromptPrefix.ids(tokenizerFile: Self.fixture("qwen2", "json")).isEmpty)
        #expect(qwen.endOfText == qwen.specialTokens["<|endoftext|>"])
        #expect(qwen.addedTokens.first { $0.content == "<think>" }?.special == false)
        #expect(qwen.encode("<|im_start|>user", allowedSpecial: .all).first == qwen.specialTokens["<|im_start|>"])
    }

    @Test("NFC (Qwen2): decomposed text gives the ids of its composed form, Hangul LV + T included")
    func nfc() throws {
        let qwen = try Self.load("qwen2"), llama = try Self.load("llama3")
        let pairs = [("e\u{301}", "\u{E9}"), ("\u{AC00}\u{11A8}", "\u{AC01}"), ("\u{1100}\u{1161}", "\u{AC00}"), ("\u{212B}", "\u{C5}")]
        for (decomposed, composed) in pairs {
            #expect(qwen.encode("x " + decomposed + " y") == qwen.encode("x " + composed + " y"), "\(decomposed.unicodeScalars.map(\.value))")
            #expect(llama.encode("x " + decomposed + " y") != llama.encode("x " + composed + " y"))
        }
    }

    @Test("every scalar U+0000…U+10FFFF has tokenizers' class (scalar_classes.txt)")
    func scalarClasses() throws {
        let text = try String(contentsOfFile: Self.fixture("scalar_classes", "txt"), encoding: .utf8)
        var runs: [(start: Int, cls: UInt8)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            let start = try #require(parts.count == 2 ? Int(parts[0], radix: 16) : nil, "bad line \(line)")
            let cls: UInt8 = switch parts[1] {
            case "L": ScalarClass.letter
            case "N": ScalarClass.number
            case "W": ScalarClass.whitespace
            default: ScalarClass.other
            }
            runs.append((start, cls))
        }
        #expect(runs.count > 1000 && runs.first?.start == 0)
        var mismatches: [String] = []
        for (index, run) in runs.enumerated() {
            let end = index + 1 < runs.count ? runs[index + 1].start : 0x110000
            for value in run.start..<end {
                let ours = Unicode.Scalar(UInt32(value)).map(ScalarClass.of) ?? ScalarClass.other
                if ours != run.cls { mismatches.append("U+\(String(value, radix: 16, uppercase: true)) \(ours) vs \(run.cls)") }
            }
        }
        let count = mismatches.count
        #expect(count == 0, "\(count) scalars differ, e.g. \(mismatches.prefix(10))")
        // The BMP table the matchers read agrees with `of`.
        let classes = ScalarClasses()
        for value in [0x41, 0x3000, 0x4E2D, 0xA7CE, 0xFF13] {
            #expect(classes.table[value] == ScalarClass.of(Unicode.Scalar(UInt32(value))!))
        }
    }

    @Test("parallel encoding: Llama 3 and Qwen2 cuts keep the pieces and the ids")
    func parallel() throws {
        var text = try TokenizerTestData.shakespeare()
        let samples = try Self.cases("llama3").cases.map(\.text)
        var generator = SplitMix(seed: 7)
        while text.utf8.count < 1_400_000 { text += samples[Int(generator.next() % UInt64(samples.count))] }
        for name in ["llama3", "qwen2"] {
            let tokenizer = try Self.load(name)
            for policy in [SpecialTokenPolicy.none, .all] {
                let single = tokenizer.encode(text, allowedSpecial: policy)
                #expect(tokenizer.encodeConcurrently(text, allowedSpecial: policy, threads: 5) == single, "\(name)")
            }
        }
        let sample = samples.joined(separator: "x") + samples.joined(separator: " ")
        let boundaries = Set(Llama3PreTokenizer(digitsPerPiece: 3).pieces(sample).map(\.lowerBound))
        var copy = sample
        copy.withUTF8 { buffer in
            let cuts = safeCuts(buffer.baseAddress!, count: buffer.count, parts: 100, splitter: Llama3PreTokenizer(digitsPerPiece: 3),
                                avoiding: nil, window: 256)
            #expect(cuts.count > 20)
            for cut in cuts { #expect(boundaries.contains(cut) || cut == buffer.count) }
        }
    }

    @Test("refused by name: other Split patterns or settings, ByteLevel after a Split with regex or prefix space, other normalizers")
    func refusals() throws {
        func refusal(_ change: (JSONValue) throws -> JSONValue) -> String? {
            do {
                _ = try Self.variant("llama3", change)
                return nil
            } catch let error as TokenizerError {
                #expect(error.kind == .unsupported)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        func preTokenizer(_ change: @escaping (JSONValue, JSONValue) -> (JSONValue, JSONValue)) -> (JSONValue) throws -> JSONValue {
            { json in
                let steps = try #require(json["pre_tokenizer"]?["pretokenizers"]?.array)
                let (split, byteLevel) = change(steps[0], steps[1])
                return json.setting("pre_tokenizer", try #require(json["pre_tokenizer"])
                    .setting("pretokenizers", .array([split, byteLevel])))
            }
        }
        let other = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        #expect(refusal(preTokenizer { ($0.setting("pattern", .object([JSONMember(key: "Regex", value: .string(other))])), $1) })?
            .contains("not one Mnemo implements") == true)
        #expect(refusal(preTokenizer {
            ($0.setting("pattern", .object([JSONMember(key: "String", value: .string(SplitPattern.llama3.regex))])), $1)
        })?.contains("not a Regex") == true)
        #expect(refusal(preTokenizer { ($0.setting("behavior", .string("Removed")), $1) })?.contains("Removed") == true)
        #expect(refusal(preTokenizer { ($0.setting("invert", .bool(true)), $1) })?.contains("invert") == true)
        #expect(refusal(preTokenizer { ($0, $1.setting("use_regex", .bool(true))) })?.contains("use_regex") == true)
        #expect(refusal(preTokenizer { ($0, $1.setting("add_prefix_space", .bool(true))) })?.contains("add_prefix_space") == true)
        #expect(refusal { $0.setting("normalizer", .object([JSONMember(key: "type", value: .string("NFKC"))])) }?
            .contains("NFKC") == true)
        // Added tokens matched after NFC are not implemented.
        let qwenNormalized = { (json: JSONValue) throws -> JSONValue in
            json.setting("added_tokens", .array(try #require(json["added_tokens"]?.array).map { $0.setting("normalized", .bool(true)) }))
        }
        #expect(throws: TokenizerError.self) { _ = try Self.variant("qwen2", qwenNormalized) }
        // The fixture itself loads.
        #expect(refusal { $0 } == nil)
    }
}
