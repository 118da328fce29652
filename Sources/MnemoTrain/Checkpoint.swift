// Checkpoint.swift — everything needed to continue a run exactly: model, optimizer state, random generator
// states and the loop's counters. One folder per checkpoint, written atomically:
//
//   checkpoints/step_000500/model.safetensors      model state dict (PyTorch names)
//                          /optimizer.safetensors  AdamW moments and step counts, hyper-parameters in metadata
//                          /rng.safetensors        generator states (data, eval, sample, global CPU, global CUDA on CUDA)
//                          /state.json             step to run next, best val loss, elapsed time
//   checkpoints/latest                              name of the newest complete checkpoint
//
// A checkpoint is built in a temporary folder and renamed into place, so a killed run leaves either the old
// checkpoint or the new one, never half of one. A big one takes a while (its fsyncs wait for the disk): with
// `progress`, a line says it is being written once it takes more than 2 s, and another how long it took.
import Foundation
import MnemoModels
import MnemoSupport
import Torch
import TorchNN
import TorchOptim

public struct CheckpointState: Codable, Sendable, Equatable {
    public var step: Int            // the iteration that runs next
    public var bestValLoss: Double?
    public var elapsedSeconds: Double
    public var tokensSeen: Int
    /// Ranks of the data-parallel run that wrote it (nil in checkpoints from before data parallelism: 1).
    public var worldSize: Int? = nil
    /// The stability metrics' history (nil in checkpoints from before them).
    public var stability: StabilityState? = nil
}

public enum Checkpoint {
    public static func folderName(step: Int) -> String { String(format: "step_%06d", step) }

    /// Writes a checkpoint under `root` (the run's checkpoints folder) and points `latest` at it; keeps the
    /// newest `keep` checkpoints. `progress`: say on standard output that it is writing when that takes over 2 s.
    public static func save(root: String, model: Module, optimizer: any Optimizer, generators: [String: Generator],
                            state: CheckpointState, keep: Int, progress: Bool = false,
                            extraFiles: [String: [String: Tensor]] = [:]) throws {
        let name = folderName(step: state.step)
        let weights = model.stateDict()
        guard progress else {
            return try write(root: root, name: name, weights: weights, optimizer: optimizer, generators: generators,
                             state: state, keep: keep, extraFiles: extraFiles)
        }
        let bytes = weights.values.reduce(0) { $0 + $1.byteCount } + optimizer.stateDict().values.reduce(0) { $0 + $1.byteCount }
        let size = humanBytes(bytes)
        let notice = SlowTaskNotice(after: 2, every: 10, output: printLine) { seconds in
            "writing checkpoint \(name) (\(size))… \(formatDuration(seconds)) so far"
        }
        try write(root: root, name: name, weights: weights, optimizer: optimizer, generators: generators, state: state,
                  keep: keep, extraFiles: extraFiles)
        let seconds = notice.stop()
        if seconds >= 2 { printLine(String(format: "checkpoint %@ (%@) written in %.1f s", name, size, seconds)) }
    }

    private static func write(root: String, name: String, weights: [String: Tensor], optimizer: any Optimizer,
                              generators: [String: Generator], state: CheckpointState, keep: Int,
                              extraFiles: [String: [String: Tensor]]) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let temporary = "\(root)/.tmp-\(name)-\(getpid())"
        try? fm.removeItem(atPath: temporary)
        try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try SafeTensorsIO.save(weights, to: "\(temporary)/model.safetensors")
        try optimizer.save(to: "\(temporary)/optimizer.safetensors")
        var rng = generators.mapValues(\.state)
        rng["global_cpu"] = Random.state
        try SafeTensorsIO.save(rng, to: "\(temporary)/rng.safetensors")
        for (file, tensors) in extraFiles { try SafeTensorsIO.save(tensors, to: "\(temporary)/\(file)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(state), to: "\(temporary)/state.json")
        let final = "\(root)/\(name)"
        try? fm.removeItem(atPath: final)
        try fm.moveItem(atPath: temporary, toPath: final)
        try writeAtomically(Data(name.utf8), to: "\(root)/latest")
        // Older checkpoints beyond `keep`.
        let all = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("step_") }.sorted()
        for old in all.dropLast(Swift.max(keep, 1)) where old != name { try? fm.removeItem(atPath: "\(root)/\(old)") }
    }

    /// The newest complete checkpoint folder under `root`, or nil.
    public static func latest(root: String) -> String? { RunFolder.latestCheckpoint(in: root) }

    /// The loop state of the checkpoint `folder` (its state.json).
    public static func state(folder: String) throws -> CheckpointState {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/state.json"))
        return try JSONDecoder().decode(CheckpointState.self, from: data)
    }

    /// Loads the checkpoint `folder`'s weights into `model` (a model whose buffers grow takes their shapes first).
    /// `averaged`: the parameter EMA's weights instead, when the checkpoint has them; returns whether it did.
    @discardableResult
    public static func loadWeights(folder: String, into model: Module, averaged: Bool = false) throws -> Bool {
        let weights = try SafeTensorsIO.load("\(folder)/model.safetensors")
        (model as? any StateDictPreparing)?.prepare(forStateDict: weights)
        try model.load(stateDict: weights)
        let shadow = "\(folder)/\(ParameterEMA.fileName)"
        guard averaged, FileManager.default.fileExists(atPath: shadow) else { return false }
        try ParameterEMA.loadAveraged(try SafeTensorsIO.load(shadow), into: model)
        return true
    }

    /// Restores model, optimizer and generators from `folder` (resume); returns the loop state.
    public static func load(folder: String, model: Module, optimizer: any Optimizer,
                            generators: [String: Generator]) throws -> CheckpointState {
        try loadWeights(folder: folder, into: model)
        try optimizer.load(from: "\(folder)/optimizer.safetensors")
        let rng = try SafeTensorsIO.load("\(folder)/rng.safetensors")
        for (name, generator) in generators {
            guard let s = rng[name] else { throw ConfigError("\(folder)/rng.safetensors has no state for generator '\(name)'") }
            generator.state = s
        }
        if let global = rng["global_cpu"] { Random.state = global }
        return try state(folder: folder)
    }
}

/// A line on standard output at once (unbuffered, as the trainer's own lines), from any thread.
@Sendable private func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes `data` to `path` atomically and durably (AtomicFile); a failure is a ConfigError naming the file.
func writeAtomically(_ data: Data, to path: String) throws {
    do { try AtomicFile.write(data, to: path) } catch { throw ConfigError(error.description) }
}
