// MultipleChoiceTask.swift — a multiple-choice task file for `mnemo eval --task`: one item per line of a .jsonl file,
//
//   {"query": "12 + 7 =", "choices": ["19", "18", "21"], "gold": 0}
//
// "query" is the text the choices continue ("context" is accepted for it), "choices" the candidate continuations,
// "gold" the 0-based index of the right one; other fields are ignored and blank lines skipped. The same file is an
// lm-evaluation-harness task (dataset_path: json with data_files; doc_to_text: query, doc_to_choice: choices,
// doc_to_target: gold — eval/tasks/*.yaml), so both tools read one file. How an item is scored (the choice continues
// the query after lm-eval's target delimiter, " ") is MultipleChoiceEval's business, not this reader's.
//
// Refused, each with the file, the line and the schema: a line that is not a JSON object, a missing or empty query
// (lm-eval would condition such an item on a BOS token instead; write the text that comes before the choices), fewer
// than two choices, a choice that is not a non-empty string (lm-eval's acc_norm divides by its length), a gold index
// that is not an integer naming one of the choices, and a file with no items at all.
import Foundation
import MnemoSupport

/// One item of a multiple-choice task.
public struct MultipleChoiceItem: Sendable, Equatable {
    /// The text the choices continue (lm-eval's doc_to_text).
    public var query: String
    /// The candidate continuations (lm-eval's doc_to_choice), without the delimiter that joins them to the query.
    public var choices: [String]
    /// The index of the right choice (lm-eval's doc_to_target).
    public var gold: Int
    /// The 1-based line of the file the item came from (0 for items made in code).
    public var line: Int

    public init(query: String, choices: [String], gold: Int, line: Int = 0) {
        self.query = query
        self.choices = choices
        self.gold = gold
        self.line = line
    }
}

public enum MultipleChoiceTask {
    /// What every line must look like (said by every error).
    public static let schema = #"each line is {"query": "…", "choices": ["…", "…"], "gold": INDEX} ("context" may stand for "query")"#

    /// The task's name: the file's name without its extension (eval/tasks/arith.jsonl → arith).
    public static func name(of path: String) -> String {
        let file = (path as NSString).lastPathComponent
        let stem = (file as NSString).deletingPathExtension
        return stem.isEmpty ? file : stem
    }

    /// The items of the .jsonl file at `path`, in file order.
    public static func read(_ path: String) throws(TokenDataError) -> [MultipleChoiceItem] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw TokenDataError(exists ? .io : .missingFile, file: path,
                                 exists ? "cannot read the task file" : "no such task file", hint: schema)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenDataError(.malformedInput, file: path, "the task file is not valid UTF-8", hint: schema)
        }
        return try parse(text, file: path)
    }

    /// The items of jsonl `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(TokenDataError) -> [MultipleChoiceItem] {
        var items: [MultipleChoiceItem] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            items.append(try item(line, file: file, line: index + 1))
        }
        guard !items.isEmpty else {
            throw TokenDataError(.emptyCorpus, file: file, "the task file holds no items", hint: schema)
        }
        return items
    }

    static func item(_ text: String, file: String, line: Int) throws(TokenDataError) -> MultipleChoiceItem {
        func fail(_ message: String) -> TokenDataError {
            TokenDataError(.malformedInput, file: file, line: line, message, hint: schema)
        }
        let value: JSONValue
        do { value = try JSONParser.parse(text, options: .python) } catch { throw fail("not JSON: \(error)") }
        guard value.object != nil else { throw fail("not a JSON object but \(value.kindName)") }
        guard let query = (value["query"] ?? value["context"]) else { throw fail("no \"query\" (or \"context\")") }
        guard let queryText = query.string else { throw fail("\"query\" must be a string, not \(query.kindName)") }
        guard !queryText.isEmpty else {
            throw fail("the query is empty; give the text the choices continue")
        }
        guard let list = value["choices"]?.array else { throw fail("\"choices\" must be an array of strings") }
        var choices: [String] = []
        for (i, element) in list.enumerated() {
            guard let choice = element.string else { throw fail("choice \(i) is \(element.kindName), not a string") }
            guard !choice.isEmpty else { throw fail("choice \(i) is empty (acc_norm divides by a choice's length)") }
            choices.append(choice)
        }
        guard choices.count >= 2 else { throw fail("\(choices.count) choice\(choices.count == 1 ? "" : "s"); an item needs at least two") }
        guard let goldValue = value["gold"] else { throw fail("no \"gold\" (the index of the right choice)") }
        guard let gold = goldValue.int else { throw fail("\"gold\" must be an integer index, not \(goldValue.text())") }
        guard choices.indices.contains(gold) else {
            throw fail("\"gold\" is \(gold) but the item has \(choices.count) choices (indices 0...\(choices.count - 1))")
        }
        return MultipleChoiceItem(query: queryText, choices: choices, gold: gold, line: line)
    }
}
