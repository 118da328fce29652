// MultipleChoiceTaskTests.swift — the .jsonl multiple-choice task file: items with their line numbers, "context" for
// "query", the committed eval/tasks/arith.jsonl, and every malformed line refused with the file, the line and the schema.
import Foundation
import Testing
@testable import MnemoData

@Suite struct MultipleChoiceTaskTests {
    @Test func itemsKeepTheirLinesAndContextStandsForQuery() throws {
        let text = """
        {"query": "2 + 3 =", "choices": ["5", "6"], "gold": 0, "id": "ignored"}

        {"context": "The sky is", "choices": ["blue", "green", "loud"], "gold": 0}
        {"query": "naïve ", "choices": ["café", "tea"], "gold": 1.0}
        """
        let items = try MultipleChoiceTask.parse(text, file: "t.jsonl")
        #expect(items == [
            MultipleChoiceItem(query: "2 + 3 =", choices: ["5", "6"], gold: 0, line: 1),
            MultipleChoiceItem(query: "The sky is", choices: ["blue", "green", "loud"], gold: 0, line: 3),
            MultipleChoiceItem(query: "naïve ", choices: ["café", "tea"], gold: 1, line: 4),
        ])
        #expect(MultipleChoiceTask.name(of: "eval/tasks/arith.jsonl") == "arith")
    }

    @Test func theCommittedArithmeticTaskReads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../eval/tasks/arith.jsonl").standardizedFileURL.path
        let items = try MultipleChoiceTask.read(path)
        #expect(items.count == 140)
        #expect(items.allSatisfy { $0.choices.count == 4 && $0.choices.indices.contains($0.gold) })
        #expect(items.contains { $0.query.hasSuffix(" ") }, "some queries end in a space (lm-eval moves it onto the choice)")
    }

    @Test(arguments: [
        ("[1, 2]", "line 2: not a JSON object but an array"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": 0", "line 2: not JSON"),
        ("{\"choices\": [\"a\", \"b\"], \"gold\": 0}", "line 2: no \"query\" (or \"context\")"),
        ("{\"query\": 3, \"choices\": [\"a\", \"b\"], \"gold\": 0}", "line 2: \"query\" must be a string"),
        ("{\"query\": \"\", \"choices\": [\"a\", \"b\"], \"gold\": 0}", "line 2: the query is empty"),
        ("{\"query\": \"x\", \"choices\": \"a b\", \"gold\": 0}", "line 2: \"choices\" must be an array of strings"),
        ("{\"query\": \"x\", \"choices\": [\"a\", 2], \"gold\": 0}", "line 2: choice 1 is a number, not a string"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"\"], \"gold\": 0}", "line 2: choice 1 is empty"),
        ("{\"query\": \"x\", \"choices\": [\"a\"], \"gold\": 0}", "line 2: 1 choice; an item needs at least two"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"]}", "line 2: no \"gold\""),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": \"a\"}", "line 2: \"gold\" must be an integer index"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": 1.5}", "line 2: \"gold\" must be an integer index"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": 2}", "line 2: \"gold\" is 2 but the item has 2 choices"),
        ("{\"query\": \"x\", \"choices\": [\"a\", \"b\"], \"gold\": -1}", "line 2: \"gold\" is -1"),
    ])
    func malformedLinesAreRefusedWithTheirLine(line: String, message: String) {
        let text = "{\"query\": \"ok\", \"choices\": [\"a\", \"b\"], \"gold\": 1}\n" + line + "\n"
        #expect { try MultipleChoiceTask.parse(text, file: "bad.jsonl") } throws: { error in
            let e = error as! TokenDataError
            return e.kind == .malformedInput && e.file == "bad.jsonl" && e.line == 2
                && "\(e)".hasPrefix("bad.jsonl:2: ") && "\(e)".contains(message.dropFirst("line 2: ".count))
                && "\(e)".contains("hint: each line is {\"query\"")
        }
    }

    @Test func anEmptyOrMissingFileIsRefused() throws {
        #expect { try MultipleChoiceTask.parse("\n  \n", file: "empty.jsonl") } throws: {
            ($0 as! TokenDataError).kind == .emptyCorpus && "\($0)".contains("empty.jsonl: the task file holds no items")
        }
        #expect { try MultipleChoiceTask.read("/no/such/task.jsonl") } throws: {
            ($0 as! TokenDataError).kind == .missingFile && "\($0)".contains("/no/such/task.jsonl: no such task file")
        }
    }
}
