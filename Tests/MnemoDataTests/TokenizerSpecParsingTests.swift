// TokenizerSpecParsingTests.swift — the one reader of tokenizer specs: every spelling of every kind, the text it
// writes back, the kinds meta.json records, and the errors for what it cannot read.
import Testing
@testable import MnemoData

@Suite("Tokenizer specs")
struct TokenizerSpecParsingTests {
    @Test("every prefix of every kind; the written text reads back as the same spec")
    func spellings() throws {
        #expect(try TokenizerSpec(parsing: "char:v.json") == .char(path: "v.json"))
        #expect(try TokenizerSpec(parsing: "gpt2:/a/b") == .gpt2(directory: "/a/b"))
        #expect(try TokenizerSpec(parsing: "hf:t.json") == .huggingFace(path: "t.json"))
        #expect(try TokenizerSpec(parsing: "huggingface:t.json") == .huggingFace(path: "t.json"))
        #expect(try TokenizerSpec(parsing: "hf:C:/x:y.json") == .huggingFace(path: "C:/x:y.json"))  // the first colon only
        for kind in TokenizerSpec.Kind.allCases {
            for prefix in kind.prefixes {
                let spec = try TokenizerSpec(parsing: prefix + ":some/where")
                #expect(spec.kind == kind && spec.path == "some/where")
                #expect(try TokenizerSpec(parsing: spec.text) == spec)
                #expect(spec.moved(to: "else").path == "else" && spec.moved(to: "else").kind == kind)
            }
        }
        #expect(TokenizerSpec.huggingFace(path: "t.json").text == "hf:t.json")
    }

    @Test("what data prepare records in meta.json is what a prepared folder is read back with")
    func preparedKinds() throws {
        for kind in TokenizerSpec.Kind.allCases {
            let choice = try DataPrepare.TokenizerChoice(parsing: kind.prefixes.last! + ":x")
            #expect(choice.kind == kind.rawValue)
            let files = kind == .gpt2 ? ["encoder.json", "vocab.bpe"] : ["tokenizer.json"]
            let spec = try TokenizerSpec(preparedKind: choice.kind, folder: "/d", files: files)
            #expect(spec.kind == kind)
            #expect(spec.path == (kind == .gpt2 ? "/d" : "/d/tokenizer.json"))
        }
        #expect(DataPrepare.TokenizerChoice.charFromCorpus.kind == "char")
        let error = try #require(throws: TokenDataError.self) {
            try TokenizerSpec(preparedKind: "hf", folder: "/d", files: ["tokenizer.json"])
        }
        #expect(error.kind == .malformedInput && error.file == "/d/meta.json")
    }

    @Test("what it cannot read: the text, why, and the spellings it can")
    func errors() throws {
        for bad in ["char", "bpe", "gpt2", "gpt2:", "sentencepiece:x.model", ":x"] {
            let error = try #require(throws: TokenDataError.self) { try TokenizerSpec(parsing: bad) }
            #expect(error.kind == .invalidOption && error.hint == TokenizerSpec.usage, "\(bad)")
        }
        let error = try #require(throws: TokenDataError.self) { try DataPrepare.TokenizerChoice(parsing: "bpe") }
        #expect(error.hint?.hasPrefix("use char, char:VOCAB.json, gpt2:DIR") == true)
    }
}
