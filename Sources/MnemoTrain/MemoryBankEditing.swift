// MemoryBankEditing.swift — knowledge editing of a trained run's explicit memory bank (`mnemo memory write`): rows of
// the latest checkpoint replaced by new text, tokenized with the run's tokenizer and padded to memory_length.
//
// Edits are `row<TAB>text` lines (a file; blank lines and lines starting with # are skipped) or one row and text. Each
// text is encoded as the run encodes its training text (no special tokens added) and padded with memory_pad_id; a
// text longer than a row, a row outside the bank, a run without a bank are refused before anything is written. The
// checkpoint's model.safetensors is rewritten atomically (a new file renamed over the old one), with its metadata and
// every other tensor unchanged; so is the parameter EMA's file when it holds the rows. The working EMA's feature
// offset of an edited row (if the run kept one) is cleared, so the row reads as its new text says.
// It refuses to edit a Hugging Face folder (no bank there) and does not touch the optimizer or the run's history.
import Foundation
import MnemoData
import MnemoModels
import MnemoSupport
import Torch

public enum MemoryBankEditing {
    public struct Edit: Sendable, Equatable {
        public var row: Int
        public var text: String
        public init(row: Int, text: String) {
            self.row = row
            self.text = text
        }
    }

    /// The state-dict keys of the bank's token ids, and of the rows with a feature offset and those offsets.
    public static let rowsKey = "model.memory_bank.rows"
    static let touchedKey = "model.memory_bank.touched", offsetsKey = "model.memory_bank.offsets"

    /// `row<TAB>text` lines → edits; `source` names the file in errors.
    public static func parse(_ contents: String, source: String) throws -> [Edit] {
        var edits: [Edit] = []
        for (n, line) in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let text = String(line)   // "\r\n" is one Character, a newline
            if text.trimmingCharacters(in: .whitespaces).isEmpty || text.hasPrefix("#") { continue }
            guard let tab = text.firstIndex(of: "\t"), let row = Int(text[..<tab].trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError("\(source):\(n + 1): expected `row<TAB>text`, e.g. `42\tAlice Smith born_in Paris`")
            }
            edits.append(Edit(row: row, text: String(text[text.index(after: tab)...])))
        }
        return edits
    }

    /// Writes `edits` into the latest checkpoint of `runDirectory`; returns each edited row's new token ids (padded),
    /// in the order given. Nothing is written when any edit is refused.
    @discardableResult
    public static func write(_ edits: [Edit], runDirectory: String) throws -> [(row: Int, ids: [Int])] {
        let loaded = try LoadedRun(runDirectory: runDirectory, device: .cpu)
        guard let model = loaded.model as? MiniMind, let bank = model.memoryRows else {
            throw ConfigError("\(runDirectory) is not a MiniMind run with use_memory = true: it has no memory bank to write")
        }
        guard !loaded.isHuggingFaceFolder, let folder = RunFolder(runDirectory).latestCheckpoint else {
            throw ConfigError("\(runDirectory): only a run folder's checkpoint can be edited")
        }
        let (count, length, pad) = (bank.size(0), bank.size(1), model.config.memoryPadId)
        var encoded: [(row: Int, ids: [Int])] = []
        for edit in edits {
            guard (0..<count).contains(edit.row) else {
                throw ConfigError("row \(edit.row): the bank has rows 0..<\(count)")
            }
            let ids: [Int]
            switch loaded.tokenizer {   // a character-level vocabulary refuses characters it lacks instead of trapping
            case let chars as CharTokenizer: ids = try chars.encodeChecked(edit.text)
            case let numbers as NumberTokenizer: ids = try numbers.encodeChecked(edit.text)
            default: ids = loaded.tokenizer.encode(edit.text)
            }
            guard ids.count <= length else {
                throw ConfigError("row \(edit.row): \(edit.text.debugDescription) is \(ids.count) tokens; a row holds memory_length = \(length) — shorten the text")
            }
            encoded.append((edit.row, ids + Array(repeating: pad, count: length - ids.count)))
        }
        for file in ["model.safetensors", ParameterEMA.fileName] {
            let path = "\(folder)/\(file)"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let (stored, metadata) = try SafeTensorsIO.loadWithMetadata(path)
            var tensors = stored
            guard let rows = tensors[rowsKey] else {
                if file == "model.safetensors" { throw ConfigError("\(path) has no \(rowsKey)") }
                continue
            }
            let edited = rows.clone()
            for (row, ids) in encoded {
                edited.narrow(dim: 0, start: row, length: 1).copy_(Tensor(ids.map(Int32.init), shape: [1, length]).to(rows.dtype))
            }
            tensors[rowsKey] = edited
            if let touched = tensors[touchedKey], let offsets = tensors[offsetsKey], touched.count > 0 {
                let slots = touched.toArray(Int64.self), cleared = offsets.clone()
                for (row, _) in encoded {
                    if let slot = slots.firstIndex(of: Int64(row)) { cleared.select(dim: 0, index: slot).zero_() }
                }
                tensors[offsetsKey] = cleared
            }
            try SafeTensorsIO.save(tensors, to: path, metadata: metadata)
        }
        return encoded
    }
}
