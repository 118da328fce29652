// KnowledgeFile.swift — the explicit memory bank's knowledge as the ExplicitLM experiment gives it
// (`database_init_path`, shared/research/minimind.md §3): one JSON document, an array of entries, each a row of the
// bank in order. An entry is a sentence as a string, an object with a "text" field, or ExplicitLM's record
// {"target": [{"sentence": …, "subject": …, …}, …]}, whose every sentence is a row of its own.
import Foundation
import MnemoSupport

public enum KnowledgeFile {
    /// The sentences of `path`, in file order; a malformed file or entry stops with the file and the entry's index.
    public static func sentences(_ path: String) throws(TokenDataError) -> [String] {
        let data = try DataPrepare.readFile(path)
        let document: JSONValue
        do { document = try JSONParser.parseFile(Array(data), options: .python) } catch {
            throw TokenDataError(.malformedInput, file: path, error.message)
        }
        guard let entries = document.array else {
            throw TokenDataError(.malformedInput, file: path, "the file holds \(document.kindName), not an array of sentences",
                                 hint: "[\"a sentence\", {\"text\": \"another\"}, {\"target\": [{\"sentence\": \"a third\"}]}]")
        }
        var sentences: [String] = []
        for (index, entry) in entries.enumerated() {
            func refuse(_ what: String) -> TokenDataError {
                TokenDataError(.malformedInput, file: path, "entry \(index): \(what)",
                               hint: "an entry is a string, {\"text\": …} or {\"target\": [{\"sentence\": …}, …]}")
            }
            if let text = entry.string {
                sentences.append(text)
            } else if let text = entry["text"] {
                guard let text = text.string else { throw refuse("\"text\" is \(text.kindName), not a string") }
                sentences.append(text)
            } else if let target = entry["target"] {
                guard let facts = target.array else { throw refuse("\"target\" is \(target.kindName), not an array") }
                for (i, fact) in facts.enumerated() {
                    guard let sentence = fact["sentence"]?.string else { throw refuse("target \(i) has no \"sentence\" string") }
                    sentences.append(sentence)
                }
            } else {
                throw refuse("\(entry.text()) is neither a string nor an object with \"text\" or \"target\"")
            }
        }
        guard !sentences.isEmpty else { throw TokenDataError(.emptyCorpus, file: path, "the file holds no sentences") }
        return sentences
    }
}
