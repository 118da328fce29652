// PreferencePairs.swift — preference pairs for DPO (trl's "prompt / chosen / rejected" format) as a batch source:
//
//   {"prompt": "2 + 3 =", "chosen": " 5", "rejected": " 6"}        one pair per line of a .jsonl file, as text, or
//   {"chosen": [messages], "rejected": [messages]}                  conversations that differ in their last (assistant)
//   {"prompt": [messages], "chosen": [message], "rejected": [message]}   message, rendered by the run's chat format
//
// Each pair becomes two rows of T + 1 tokens, prompt + response (text: + the tokenizer's end-of-text when it has one;
// messages: the response as the chat format renders it, its end of turn included), cut at
// T + 1 (the response loses its tail; counted in `truncated`) and padded; inputs = row[:-1], targets = row[1:] with -1
// on the prompt and the padding, so only response tokens count — the log-probability DPO compares. A batch of B pairs
// is 2B rows: the B chosen rows, then the B rejected rows (trl's concatenated forward). A malformed line stops with
// its file and line number.
import Foundation
import MnemoSupport
import Torch

public struct PreferencePairs: RowBatchSource, Sendable {
    /// Per pair: the chosen row and the rejected row (T + 1 ids each) and where the response starts in each.
    let chosen: [[Int32]], rejected: [[Int32]]
    let chosenStart: [Int], rejectedStart: [Int]
    public let rowLength: Int
    public let pad: Int
    /// Responses cut to fit T + 1 tokens.
    public let truncated: Int

    /// Reads `path` (jsonl, one pair per line): text with `encode` (a response gets `endOfText` when given), messages
    /// rendered by `format` and encoded with `encodeRendered` (special-token strings become their ids).
    public static func read(_ path: String, format: ChatFormat?, endOfText: Int?, encode: (String) -> [Int],
                            encodeRendered: (String) -> [Int]) throws -> [(prompt: [Int], chosen: [Int], rejected: [Int])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenDataError(.missingFile, file: path, "cannot read the preference pairs", hint: "give a .jsonl file")
        }
        var pairs: [(prompt: [Int], chosen: [Int], rejected: [Int])] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            func fail(_ message: String) -> TokenDataError {
                TokenDataError(.invalidOption, file: path, "line \(number + 1): \(message)",
                               hint: "each line is {\"prompt\": \"…\", \"chosen\": \"…\", \"rejected\": \"…\"}")
            }
            let value: JSONValue
            do { value = try JSONParser.parse(text, options: .python) } catch { throw fail("not JSON: \(error)") }
            guard value.object != nil else { throw fail("not a JSON object") }
            if value["chosen"]?.array != nil {
                guard let format else { throw fail("a messages pair needs a chat format (data_layout = \"preference\" with chat_template)") }
                func messages(_ v: JSONValue?) throws -> [ChatMessage] {
                    try (v?.array ?? []).map { m in
                        guard let role = m["role"]?.string, let content = m["content"]?.string else {
                            throw fail("every message needs a string role and content")
                        }
                        return ChatMessage(role: role, content: content)
                    }
                }
                var chosen = try messages(value["chosen"]), rejected = try messages(value["rejected"])
                var prompt = try messages(value["prompt"])
                if prompt.isEmpty {
                    guard chosen.count >= 2, chosen.count == rejected.count, Array(chosen.dropLast()) == Array(rejected.dropLast()) else {
                        throw fail("chosen and rejected must be the same conversation up to their last message")
                    }
                    prompt = Array(chosen.dropLast())
                    (chosen, rejected) = ([chosen.last!], [rejected.last!])
                }
                guard chosen.count == 1, rejected.count == 1, chosen[0].role == "assistant", rejected[0].role == "assistant" else {
                    throw fail("the chosen and the rejected response must each be one assistant message")
                }
                do {
                    let start = try format.render(prompt, generationPrompt: true)
                    func response(_ m: ChatMessage) throws -> [Int] {
                        let full = try format.render(prompt + [m], generationPrompt: false)
                        guard full.hasPrefix(start) else { throw fail("the chat format does not render the prompt as a prefix of the conversation") }
                        return encodeRendered(String(full.dropFirst(start.count)))
                    }
                    pairs.append((encodeRendered(start), try response(chosen[0]), try response(rejected[0])))
                } catch let error as TokenDataError { throw error } catch { throw fail("\(error)") }
                continue
            }
            var fields: [String] = []
            for key in ["prompt", "chosen", "rejected"] {
                guard let s = value[key]?.string else { throw fail("\"\(key)\" must be a string (or give chosen and rejected as messages)") }
                fields.append(s)
            }
            let end = endOfText.map { [$0] } ?? []
            pairs.append((encode(fields[0]), encode(fields[1]) + end, encode(fields[2]) + end))
        }
        return pairs
    }

    /// Rows of `pairs` cut and padded to `rowLength` (T + 1) tokens.
    public init(_ pairs: [(prompt: [Int], chosen: [Int], rejected: [Int])], rowLength: Int, pad: Int) {
        var chosen: [[Int32]] = [], rejected: [[Int32]] = [], cStart: [Int] = [], rStart: [Int] = []
        var truncated = 0
        func row(_ prompt: [Int], _ response: [Int]) -> ([Int32], Int) {
            let full = prompt + response
            if full.count > rowLength { truncated += 1 }
            let kept = full.prefix(rowLength).map(Int32.init)
            return (kept + Array(repeating: Int32(pad), count: rowLength - kept.count), Swift.min(prompt.count, rowLength))
        }
        for p in pairs {
            let (c, cs) = row(p.prompt, p.chosen), (r, rs) = row(p.prompt, p.rejected)
            chosen.append(c); rejected.append(r); cStart.append(cs); rStart.append(rs)
        }
        self.chosen = chosen
        self.rejected = rejected
        chosenStart = cStart
        rejectedStart = rStart
        self.rowLength = rowLength
        self.pad = pad
        self.truncated = truncated
        lengths = zip(pairs, zip(chosen, rejected)).map { p, _ in
            (Swift.min(p.prompt.count + p.chosen.count, rowLength), Swift.min(p.prompt.count + p.rejected.count, rowLength))
        }
    }

    /// Tokens of each row before its padding.
    let lengths: [(chosen: Int, rejected: Int)]

    public var tokenCount: Int { 2 * chosen.count * rowLength }
    public var note: String? { "\(chosen.count) pairs, \(truncated) with a response cut at \(rowLength) tokens" }
    public var exampleCount: Int { chosen.count }

    /// Pairs `indices` as 2B rows: chosen rows, then rejected rows; targets -1 on prompts and padding.
    public func batch(_ indices: [Int], device: Device) -> Batch {
        let t = rowLength - 1
        var x: [Int64] = [], y: [Int64] = []
        var counted = 0
        func append(_ row: [Int32], start: Int, length: Int) {
            for i in 0..<t {
                x.append(Int64(row[i]))
                // target i is token i + 1: a response token when i + 1 ≥ start and before the padding
                let isResponse = i + 1 >= start && i + 1 < length
                y.append(isResponse ? Int64(row[i + 1]) : -1)
                if isResponse { counted += 1 }
            }
        }
        for i in indices { append(chosen[i], start: chosenStart[i], length: lengths[i].chosen) }
        for i in indices { append(rejected[i], start: rejectedStart[i], length: lengths[i].rejected) }
        let rows = 2 * indices.count
        return Batch(inputs: Tensor(x, shape: [rows, t], device: device), targets: Tensor(y, shape: [rows, t], device: device),
                     knownTargetCount: counted)
    }

    public func problem(split: String) -> String? {
        chosen.isEmpty ? "the \(split) split has no preference pairs; use more pairs or a smaller val_fraction" : nil
    }
}
