// HFTokenizerTests.swift — MiniMind's two tokenizer.json files against Hugging Face tokenizers 0.23.3
// (shared/data/README.md; TokenizerReferences.swift for the tricky strings).

import Foundation
import MnemoSupport
import Testing
@testable import MnemoData

@Suite("Hugging Face tokenizer")
struct HFTokenizerTests {
    @Test("minimind-3: tinyshakespeare 470,730 tokens, first 100k chars 42,028, round trip")
    func minimind3Counts() throws {
        let tokenizer = try TokenizerTestData.minimind3()
        let text = try TokenizerTestData.shakespeare()
        let ids = tokenizer.encode(text, allowedSpecial: .all)
        #expect(ids.count == 470_730)
        #expect(tokenizer.encode(TokenizerTestData.prefix(text, scalars: 100_000)).count == 42_028)
        #expect(tokenizer.decode(ids) == text)
        #expect(tokenizer.vocabularySize == 6400)
    }

    @Test("MiniMind2: tinyshakespeare 465,025 tokens, first 100k chars 41,179, round trip")
    func minimind2Counts() throws {
        let tokenizer = try TokenizerTestData.minimind2()
        let text = try TokenizerTestData.shakespeare()
        let ids = tokenizer.encode(text)
        #expect(ids.count == 465_025)
        #expect(tokenizer.encode(TokenizerTestData.prefix(text, scalars: 100_000)).count == 41_179)
        #expect(tokenizer.decode(ids) == text)
        #expect(tokenizer.vocabularySize == 6400)
    }

    @Test("README examples: Hello world and a chat turn with special tokens")
    func readmeExamples() throws {
        let three = try TokenizerTestData.minimind3(), two = try TokenizerTestData.minimind2()
        #expect(three.encode("Hello world") == [1602, 1707])
        #expect(two.encode("Hello world") == [42, 392, 338, 1636])
        let chat = "<|im_start|>user\n你好<|im_end|>"
        #expect(three.encode(chat, allowedSpecial: .all) == [1, 832, 311, 234, 1968, 2])
        #expect(two.encode(chat, allowedSpecial: .all) == [1, 320, 275, 201, 5134, 2])
        #expect(three.decode([1, 832, 311, 234, 1968, 2]) == chat)
        // As ordinary text the markers are plain characters.
        #expect(!three.encode(chat).contains(1))
        #expect(three.decode(three.encode(chat)) == chat)
        #expect(three.encode(chat, allowedSpecial: .only(["<|im_start|>"])).first == 1)
        #expect(!three.encode(chat, allowedSpecial: .only(["<|im_start|>"])).contains(2))
    }

    @Test("tricky strings: ids equal Hugging Face's encode(add_special_tokens=False)")
    func trickyStrings() throws {
        let three = try TokenizerTestData.minimind3(), two = try TokenizerTestData.minimind2()
        for reference in tokenizerReferences {
            #expect(three.encode(reference.text, allowedSpecial: .all) == reference.minimind3, "\(reference.text.debugDescription)")
            #expect(two.encode(reference.text, allowedSpecial: .all) == reference.minimind2, "\(reference.text.debugDescription)")
            #expect(three.decode(reference.minimind3) == reference.text)
            #expect(two.decode(reference.minimind2) == reference.text)
        }
    }

    @Test("added tokens: 36 in minimind-3 (special and not), 3 in MiniMind2; endOfText is <|endoftext|>")
    func addedTokens() throws {
        let three = try TokenizerTestData.minimind3(), two = try TokenizerTestData.minimind2()
        #expect(three.addedTokens.count == 36)
        #expect(three.specialTokens["<think>"] == 25)
        #expect(three.addedTokens.first { $0.content == "<think>" }?.special == false)
        #expect(two.addedTokens.map(\.content) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        #expect(three.endOfText == 0 && two.endOfText == 0)
        #expect(three.id(of: "Ġworld") == 1707)
    }

    /// MiniMind2's tokenizer.json with one setting changed (ids from tokenizers 0.23.3 on the same change).
    static func variant(_ change: (JSONValue) throws -> JSONValue) throws -> HFTokenizer {
        let path = try TokenizerTestData.path("minimind/minimind2/tokenizer.json")
        let json = try TokenizerFiles.readJSON(path, what: "a Hugging Face tokenizer.json", hint: "")
        return try HFTokenizer(json: change(json), file: path)
    }

    static let variantTexts = ["Hello world", "  Hello   world  \n", "<|im_start|>user\n你好 <|im_end|>  \n ok",
                               "hello<|im_end|>world", "don't stop 123 😀"]

    @Test("settings the MiniMind files do not use: add_prefix_space, ignore_merges, Split + ByteLevel, lstrip / rstrip")
    func variants() throws {
        let prefix = try Self.variant { json in
            json.setting("pre_tokenizer", try #require(json["pre_tokenizer"]).setting("add_prefix_space", .bool(true)))
        }
        #expect(Self.variantTexts.map { prefix.encode($0, allowedSpecial: .all) } == [
            [560, 392, 338, 1636], [223, 560, 392, 338, 307, 1636, 307, 201], [1, 2765, 201, 5134, 223, 2, 307, 201, 287, 77],
            [380, 78, 338, 2, 1636], [2596, 1608, 391, 2014, 4937, 21, 223, 175, 256, 249, 225]])
        let plain = [[42, 392, 338, 1636], [223, 560, 392, 338, 307, 1636, 307, 201], [1, 320, 275, 201, 5134, 223, 2, 307, 201, 287, 77],
                     [5125, 338, 2, 1839, 512], [70, 266, 1608, 391, 2014, 4937, 21, 223, 175, 256, 249, 225]]
        let ignoreMerges = try Self.variant { json in
            json.setting("model", try #require(json["model"]).setting("ignore_merges", .bool(true)))
        }
        #expect(Self.variantTexts.map { ignoreMerges.encode($0, allowedSpecial: .all) } == plain)
        let split = try Self.variant { json in
            json.setting("pre_tokenizer", try JSONParser.parse("""
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": \(jsonQuoted(SplitPattern.gpt2.regex))}, "behavior": "Isolated", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
                """))
        }
        #expect(Self.variantTexts.map { split.encode($0, allowedSpecial: .all) } == plain)
        let strip = try Self.variant { json in
            json.setting("added_tokens", .array(try #require(json["added_tokens"]?.array).map { token in
                guard token["content"]?.string == "<|im_end|>" else { return token }
                return token.setting("lstrip", .bool(true)).setting("rstrip", .bool(true))
            }))
        }
        #expect(strip.encode(Self.variantTexts[2], allowedSpecial: .all) == [1, 320, 275, 201, 5134, 2, 1029])
        #expect(strip.encode(Self.variantTexts[3], allowedSpecial: .all) == [5125, 338, 2, 1839, 512])
        let text = String(repeating: Self.variantTexts.joined(separator: " \n"), count: 4000)
        #expect(strip.encodeConcurrently(text, allowedSpecial: .all, threads: 4) == strip.encode(text, allowedSpecial: .all))
        #expect(prefix.encodeConcurrently(text, allowedSpecial: .all, threads: 4) == prefix.encode(text, allowedSpecial: .all))
    }

    @Test("unsupported and corrupt files are refused with the file name and a hint")
    func refusals() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = try String(contentsOfFile: TokenizerTestData.path("minimind/minimind2/tokenizer.json"), encoding: .utf8)
        func load(_ text: String) -> TokenizerError? {
            let path = folder + "/tokenizer.json"
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try HFTokenizer(path: path)
                return nil
            } catch let error as TokenizerError {
                #expect(error.description.hasPrefix(path + ": "))
                #expect(error.hint != nil)
                return error
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
        #expect(load("{not json")?.kind == .corruptFile)
        #expect(load("[1, 2]")?.kind == .corruptFile)
        #expect(load(original.replacingOccurrences(of: "\"normalizer\": null", with: "\"normalizer\": {\"type\": \"NFKC\"}"))?.kind == .unsupported)
        #expect(load(original.replacingOccurrences(of: "\"type\": \"BPE\"", with: "\"type\": \"WordPiece\""))?.kind == .unsupported)
        #expect(load(original.replacingOccurrences(of: "\"Ġ\",\n        \"t\"", with: "\"Ġ\",\n        \"tzzz\""))?.kind == .corruptFile)
        #expect(load("{\"type\": \"char\", \"chars\": [\"a\"]}")?.message.contains("character vocabulary") == true)
        let missing = try #require(throws: TokenizerError.self) { try HFTokenizer(path: folder + "/nope.json") }
        #expect(missing.kind == .missingFile)
    }
}

extension JSONValue {
    /// This object with `key` set to `value`: the last member of that key replaced (the one readers see), or a member
    /// appended. Anything but an object is returned unchanged.
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard var members = object else { return self }
        if let last = members.lastIndex(where: { $0.key == key }) {
            members[last] = JSONMember(key: key, value: value)
        } else {
            members.append(JSONMember(key: key, value: value))
        }
        return .object(members)
    }
}
