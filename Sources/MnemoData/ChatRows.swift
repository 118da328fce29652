// ChatRows.swift — instruction and chat data for supervised fine-tuning as a batch source, rendered by a ChatFormat:
// the built-in ChatML (MiniMind's SFT format) or the tokenizer's own Jinja chat template.
//
// Input lines (jsonl): MiniMind's {"conversations": [{"role": "system" | "user" | "assistant", "content": "…"}, …]}
// (any number of turns), or Alpaca's {"instruction", "input", "output"} (user = instruction, plus a blank line and the
// input when there is one; assistant = output); a .json file may hold an array of Alpaca objects. The loss falls on the
// assistant replies only — their content and their end of turn, as the format renders them — every other target is -1. Each conversation is one row
// of T + 1 tokens, cut at T + 1 (counted in `truncated`) and padded. A malformed line stops with its file and line.
import Foundation
import MnemoSupport
import Torch

public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public struct ChatRows: RowBatchSource, Sendable {
    let rows: [[Int32]]
    let trained: [[Bool]]      // per row: whether token i + 1 is a target (an assistant token)
    public let rowLength: Int
    public let truncated: Int

    /// The conversations of a jsonl (or, for Alpaca, .json array) file.
    public static func read(_ path: String) throws -> [[ChatMessage]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenDataError(.missingFile, file: path, "cannot read the chat data", hint: "give a .jsonl file")
        }
        let text = String(decoding: data, as: UTF8.self)
        func conversation(_ value: JSONValue, _ place: String) throws -> [ChatMessage] {
            func fail(_ message: String) -> TokenDataError {
                TokenDataError(.invalidOption, file: path, "\(place): \(message)",
                               hint: "each line is {\"conversations\": [{\"role\": …, \"content\": …}, …]} or {\"instruction\", \"input\", \"output\"}")
            }
            guard value.object != nil else { throw fail("not a JSON object") }
            if let turns = value["conversations"]?.array {
                let messages = try turns.map { turn -> ChatMessage in
                    guard let role = turn["role"]?.string, ["system", "user", "assistant"].contains(role),
                          let content = turn["content"]?.string else {
                        throw fail("every turn needs a role (system, user or assistant) and a string content")
                    }
                    return ChatMessage(role: role, content: content)
                }
                guard messages.contains(where: { $0.role == "assistant" }) else { throw fail("no assistant turn: nothing to learn") }
                return messages
            }
            guard let instruction = value["instruction"]?.string, let output = value["output"]?.string else {
                throw fail("neither \"conversations\" nor \"instruction\" and \"output\"")
            }
            let input = value["input"]?.string ?? ""
            return [ChatMessage(role: "user", content: input.isEmpty ? instruction : instruction + "\n\n" + input),
                    ChatMessage(role: "assistant", content: output)]
        }
        if path.lowercased().hasSuffix(".json") {
            let value: JSONValue
            do { value = try JSONParser.parse(text, options: .python) } catch {
                throw TokenDataError(.invalidOption, file: path, "not JSON: \(error)", hint: "a JSON array of Alpaca objects")
            }
            guard let items = value.array else { throw TokenDataError(.invalidOption, file: path, "not a JSON array", hint: "a JSON array of Alpaca objects") }
            return try items.enumerated().map { try conversation($0.element, "item \($0.offset + 1)") }
        }
        var out: [[ChatMessage]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(trimmed, options: .python) } catch {
                throw TokenDataError(.invalidOption, file: path, "line \(number + 1): not JSON: \(error)", hint: nil)
            }
            out.append(try conversation(value, "line \(number + 1)"))
        }
        return out
    }

    /// Rows of `conversations` in `format`, each piece encoded with `encode` (special-token strings become their ids),
    /// learned where the format says an assistant replies; `pad` fills the rows.
    public init(_ conversations: [[ChatMessage]], format: ChatFormat, rowLength: Int, pad: Int,
                encode: (String) -> [Int]) throws {
        var rows: [[Int32]] = [], trained: [[Bool]] = [], truncated = 0
        for messages in conversations {
            var ids: [Int] = [], learn: [Bool] = []
            for piece in try format.segments(messages) {
                let pieceIds = encode(piece.text)
                ids += pieceIds
                learn += Array(repeating: piece.learn, count: pieceIds.count)
            }
            if ids.count > rowLength { truncated += 1 }
            let kept = Array(ids.prefix(rowLength)), keptLearn = Array(learn.prefix(rowLength))
            rows.append(kept.map(Int32.init) + Array(repeating: Int32(pad), count: rowLength - kept.count))
            trained.append(keptLearn + Array(repeating: false, count: rowLength - keptLearn.count))
        }
        self.rows = rows
        self.trained = trained
        self.rowLength = rowLength
        self.truncated = truncated
    }

    public var tokenCount: Int { rows.count * rowLength }
    public var exampleCount: Int { rows.count }
    public var note: String? {
        "\(rows.count) conversations, \(truncated) cut at \(rowLength) tokens"
    }

    public func batch(_ indices: [Int], device: Device) -> Batch {
        let t = rowLength - 1
        var x: [Int64] = [], y: [Int64] = []
        var counted = 0
        for r in indices {
            for i in 0..<t {
                x.append(Int64(rows[r][i]))
                let learn = trained[r][i + 1]
                y.append(learn ? Int64(rows[r][i + 1]) : -1)
                if learn { counted += 1 }
            }
        }
        return Batch(inputs: Tensor(x, shape: [indices.count, t], device: device),
                     targets: Tensor(y, shape: [indices.count, t], device: device), knownTargetCount: counted)
    }

    public func problem(split: String) -> String? {
        rows.isEmpty ? "the \(split) split has no conversations; use more or a smaller val_fraction" : nil
    }
}
