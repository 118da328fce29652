// MemoryCommand.swift — `mnemo memory dump RUN --rows 0-9,4096`: what a run's explicit memory bank holds, as text;
// `mnemo memory write RUN --row N --text "…"` (or `--file F`, lines `N<TAB>text`): knowledge editing, rows of the
// latest checkpoint replaced (MemoryBankEditing).
// Each row: its token ids decoded by the run's tokenizer; with the working version's feature EMA, also the tokens
// nearest (cosine) to the feature the model actually reads — the re-tokenisation the bank itself never does.
import ArgumentParser
import Foundation
import MnemoModels
import MnemoTrain
import Torch

struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Inspect a run's explicit memory bank.", subcommands: [Dump.self, Write.self])

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print bank rows as text.")

        @Argument(help: "Run folder of a MiniMind trained with use_memory = true.") var runFolder: String
        @Option(help: "Rows: indices and ranges, e.g. 0-9,100,4090-4095.") var rows = "0-9"
        @Option(help: "With the feature EMA: how many nearest tokens to show per row.") var nearest = 5

        func run() throws {
            Runtime.checkVersion()
            let loaded = try LoadedRun(runDirectory: runFolder)
            guard let model = loaded.model as? MiniMind, let bank = model.memoryRows else {
                throw ValidationError("\(runFolder) is not a MiniMind run with use_memory = true")
            }
            let count = bank.size(0)
            let wanted = try Self.parse(rows, count: count)
            let unit = { (t: Tensor) in t / t.norm(dims: [-1], keepDim: true).clamp(min: 1e-12) }
            let embedding = unit(model.tokenEmbedding.detached())
            for r in wanted {
                let ids = bank.narrow(dim: 0, start: r, length: 1).toArray(Int32.self).map(Int.init)
                let text = loaded.tokenizer.decode(ids.filter { $0 != model.config.memoryPadId })
                print("row \(r): \(ids) \(text.debugDescription)")
                if model.memoryRowHasOffset(r), let feature = model.memoryFeature(row: r) {
                    let top = embedding.matmul(unit(feature)).topk(nearest).indices.toArray(Int64.self).map(Int.init)
                    print("  feature (EMA) nearest tokens: \(top.map { loaded.tokenizer.decode([$0]).debugDescription }.joined(separator: " "))")
                }
            }
        }

        static func parse(_ text: String, count: Int) throws -> [Int] {
            var out: [Int] = []
            for part in text.split(separator: ",") {
                let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !bounds.isEmpty, bounds.count <= 2, bounds.allSatisfy({ $0 != nil }) else {
                    throw ValidationError("--rows \(text): use indices and ranges such as 0-9,100")
                }
                let low = bounds[0]!, high = bounds.last!!
                guard low >= 0, high < count, low <= high else {
                    throw ValidationError("--rows \(part): the bank has rows 0..<\(count)")
                }
                out += Array(low...high)
            }
            return out
        }
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace bank rows of a run's latest checkpoint (knowledge editing).",
            discussion: """
                Each text is tokenized with the run's tokenizer and padded with memory_pad_id to memory_length; a text \
                longer than a row, or a row outside the bank, is refused before anything is written. The checkpoint's \
                model.safetensors (and ema.safetensors, if the run has one) is rewritten atomically; nothing else changes. \
                --file F: one edit per line, `ROW<TAB>TEXT` (blank lines and lines starting with # are skipped).
                """)

        @Argument(help: "Run folder of a MiniMind trained with use_memory = true.") var runFolder: String
        @Option(help: "The row to replace (with --text).") var row: Int?
        @Option(help: "The row's new text (with --row).") var text: String?
        @Option(help: "A file of edits, one `ROW<TAB>TEXT` per line.") var file: String?

        func validate() throws {
            if file == nil && (row == nil || text == nil) { throw ValidationError("give --row N --text TEXT (together), or --file F") }
            if file != nil && (row != nil || text != nil) { throw ValidationError("give either --file or --row/--text, not both") }
        }

        func run() throws {
            Runtime.checkVersion()
            var edits: [MemoryBankEditing.Edit] = []
            if let file {
                guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ValidationError("cannot read \(file) as UTF-8 text")
                }
                edits = try MemoryBankEditing.parse(contents, source: file)
            } else if let row, let text {
                edits = [MemoryBankEditing.Edit(row: row, text: text)]
            }
            for (row, ids) in try MemoryBankEditing.write(edits, runDirectory: runFolder) { print("row \(row): \(ids)") }
        }
    }
}
