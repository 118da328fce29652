// PaddedDocumentRows.swift — MiniMind's pretraining layout (`data_layout = "padded"`): one row per document,
// bos + text + eos, cut or padded to T + 1 tokens; inputs = row[:-1], targets = row[1:], and the loss ignores the
// positions whose target is padding (MiniMind's `loss_mask = Y != pad_id`): those targets are -1.
import Torch

/// Fixed-length rows of token ids (rows × (T + 1)), padding marked by `pad`.
public struct PaddedDocumentRows: RowBatchSource, Sendable {
    public let ids: [Int32]
    public let rowLength: Int      // T + 1
    public let pad: Int
    public var rows: Int { ids.count / rowLength }

    /// Rows of `documents` (already tokenized): bos + ids + eos, cut to `rowLength`, padded with `pad`.
    public init(documents: [[Int]], rowLength: Int, bos: Int, eos: Int, pad: Int) {
        var ids: [Int32] = []
        ids.reserveCapacity(documents.count * rowLength)
        for doc in documents {
            let row = ([bos] + doc + [eos]).prefix(rowLength)
            ids += row.map(Int32.init)
            ids += Array(repeating: Int32(pad), count: rowLength - row.count)
        }
        self.ids = ids
        self.rowLength = rowLength
        self.pad = pad
    }

    public var tokenCount: Int { ids.count }
    public var exampleCount: Int { rows }

    /// Inputs (B, T) and targets (B, T) of rows `indices`, targets -1 where their token is padding; int64 on `device`.
    public func batch(_ indices: [Int], device: Device) -> Batch {
        let t = rowLength - 1
        var x: [Int64] = [], y: [Int64] = []
        x.reserveCapacity(indices.count * t); y.reserveCapacity(indices.count * t)
        for r in indices {
            let row = ids[(r * rowLength)..<((r + 1) * rowLength)]
            x += row.dropLast().map(Int64.init)
            y += row.dropFirst().map { Int($0) == pad ? -1 : Int64($0) }
        }
        return Batch(inputs: Tensor(x, shape: [indices.count, t], device: device),
                     targets: Tensor(y, shape: [indices.count, t], device: device),
                     knownTargetCount: y.lazy.filter { $0 != -1 }.count)
    }

    public func problem(split: String) -> String? {
        rows > 0 ? nil : "the \(split) split has no document rows; use more documents or a smaller val_fraction"
    }
}
