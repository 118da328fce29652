// RunFolder.swift — the files of a training run, named once for everything that reads or writes them (the trainer
// and its resume, `mnemo sample | eval | export`, the report):
//
//   RUN/config.json        the resolved settings (flat: the trainer's keys, "model", the model's keys)
//   RUN/metrics.jsonl      one JSON object per logged step and per evaluation
//   RUN/events.out.tfevents.*  the same scalars and the samples for TensorBoard, a new file per process that trained
//                          the run (MnemoReport's TensorBoardWriter; `tensorboard = false` turns them off)
//   RUN/log.txt            the lines the run printed
//   RUN/tokenizer.*        what rebuilds the tokenizer (RunTokenizer)
//   RUN/samples/           step_000250.txt, … samples at each evaluation
//   RUN/checkpoints/       step_000500/ … (Checkpoint) and `latest`, the name of the newest complete one
import Foundation

public struct RunFolder: Sendable, Equatable {
    public let path: String
    public init(_ path: String) { self.path = path }

    public var config: String { "\(path)/config.json" }
    public var metrics: String { "\(path)/metrics.jsonl" }
    public var log: String { "\(path)/log.txt" }
    public var samples: String { "\(path)/samples" }
    public var checkpoints: String { "\(path)/checkpoints" }
    public func sample(step: Int) -> String { "\(samples)/step_\(String(format: "%06d", step)).txt" }

    /// A run has been started here (its metrics file exists).
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: metrics) }
    /// It has the settings of a run.
    public var hasConfig: Bool { FileManager.default.fileExists(atPath: config) }

    /// The newest complete checkpoint folder, or nil (`latest` names it; a folder without state.json is incomplete).
    public var latestCheckpoint: String? { Self.latestCheckpoint(in: checkpoints) }

    public static func latestCheckpoint(in root: String) -> String? {
        guard let name = try? String(contentsOfFile: "\(root)/latest", encoding: .utf8) else { return nil }
        let folder = "\(root)/\(name.trimmingCharacters(in: .whitespacesAndNewlines))"
        return FileManager.default.fileExists(atPath: "\(folder)/state.json") ? folder : nil
    }

    /// Creates the folder with its checkpoints/ and samples/.
    public func create() throws {
        for folder in [checkpoints, samples] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }
}
