// DataParallelTests.swift — `mnemo train` on 2 CPU ranks through libtorch's c10d (Gloo), started as a launcher
// would start it (two processes with RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT; no torchrun needed):
//   - 2 ranks × batch 4 take the same steps as 1 process × batch 8: losses and final weights agree;
//   - a rank killed mid-run makes the other stop with a message naming its rank, and the checkpoint stays whole.
// The collectives themselves (bucketed all-reduce mean, broadcast, barrier) are checked in-process with 2 threads.
import Foundation
import Testing
import Torch
@testable import MnemoTrain
#if canImport(Glibc)
import Glibc
#endif

/// The mnemo executable built beside this test bundle.
func mnemoExecutable() throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mnemo").path,
        { () -> String in
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url.appendingPathComponent(".build/debug/mnemo").path
        }(),
    ]
    return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                        "no mnemo executable next to the tests (\(candidates)); build it with swift build")
}

/// A TCP port that is free now (bound to port 0 and released).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Starts `mnemo ARGS` as rank `rank` of `world`, its output in `log`.
func startRank(_ rank: Int, of world: Int, port: Int, arguments: [String], log: String, timeout: Int = 60) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try mnemoExecutable())
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["RANK"] = "\(rank)"
    environment["LOCAL_RANK"] = "\(rank)"
    environment["WORLD_SIZE"] = "\(world)"
    environment["MASTER_ADDR"] = "127.0.0.1"
    environment["MASTER_PORT"] = "\(port)"
    environment["GLOO_SOCKET_IFNAME"] = "lo"
    environment["MNEMO_DIST_TIMEOUT"] = "\(timeout)"
    environment["OMP_NUM_THREADS"] = "1"
    environment.removeValue(forKey: "TORCHELASTIC_USE_AGENT_STORE")
    process.environment = environment
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

func waitFor(_ process: Process, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    return !process.isRunning
}

@Suite(.serialized) struct DataParallelTests {
    static func writeConfig(in dir: String, maxIters: Int, evalInterval: Int = 4, checkpointInterval: Int = 0) throws -> String {
        let path = "\(dir)/dp.toml"
        try """
            data = "\(try writeCorpus(in: dir))"
            n_layer = 2
            n_head = 2
            n_embd = 16
            block_size = 16
            bias = false
            dropout = 0.0
            batch_size = 8
            max_iters = \(maxIters)
            learning_rate = 3e-3
            warmup_iters = 2
            lr_decay_iters = \(maxIters)
            eval_interval = \(evalInterval)
            checkpoint_interval = \(checkpointInterval)
            eval_iters = 2
            eval_full = true
            log_interval = 1
            sample_tokens = 0
            threads = 1
            seed = 7
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func collectivesAverageBroadcastAndWait() throws {
        try #require(ProcessGroup.isAvailable, "this build has no c10d Gloo group: install libgloo-dev (make setup does) and rebuild")
        let port = freePort()
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var results: [[Double]] = [[], []]
            var errors: [String?] = [nil, nil]
            func set(_ rank: Int, result: [Double]? = nil, error: String? = nil) {
                lock.lock(); defer { lock.unlock() }
                if let result { results[rank] = result }
                errors[rank] = error
            }
            var done: Bool {
                lock.lock(); defer { lock.unlock() }
                return (0..<2).allSatisfy { !results[$0].isEmpty || errors[$0] != nil }
            }
        }
        let outcome = Outcome()
        let threads = (0..<2).map { (rank: Int) -> Thread in
            Thread {
                do {
                    let group = try ProcessGroup(host: "127.0.0.1", port: port, rank: rank, worldSize: 2, hostsStore: rank == 0, timeout: 30)
                    // three tensors of two dtypes in two buckets (a 1 KB bucket limit splits the floats)
                    let a = Tensor([Double(rank + 1), 10], shape: [2]).float()
                    let b = Tensor.full([300], Double(rank * 4), dtype: .float32)
                    let c = Tensor([Double(rank)], shape: [1]).to(.float64)
                    try group.allReduceMean([a, b, c], bucketBytes: 1024)
                    let d = Tensor.full([5], Double(rank + 7), dtype: .float32)
                    try group.broadcast([d], root: 1)
                    try group.barrier()
                    outcome.set(rank, result: a.toArray(Float.self).map(Double.init) + [b.mean().item(), c.item(), d.sum().item()])
                } catch {
                    outcome.set(rank, error: "\(error)")
                }
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(60)
        while !outcome.done && Date() < deadline { usleep(20_000) }
        #expect(outcome.errors == [nil, nil], "\(outcome.errors)")
        for rank in 0..<2 {
            #expect(outcome.results[rank] == [1.5, 10, 2, 0.5, 40], "rank \(rank): \(outcome.results[rank])")
        }
    }

    @Test func twoRanksEqualOneProcessWithTheGlobalBatch() throws {
        try #require(ProcessGroup.isAvailable, "this build has no c10d Gloo group: install libgloo-dev (make setup does) and rebuild")
        let dir = try temporaryFolder("data-parallel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.writeConfig(in: dir, maxIters: 8)
        // one process, batch 8
        var settings = try TrainConfig.load(config)
        settings.threads = 1
        let single = try Trainer(config: settings, runDirectory: "\(dir)/single")
        single.progress = false
        try single.run()
        // two ranks, batch 4 each
        let port = freePort()
        let arguments = ["train", config, "--set", "batch_size=4", "--out", "\(dir)/parallel", "--quiet"]
        let ranks = try (0..<2).map { try startRank($0, of: 2, port: port, arguments: arguments, log: "\(dir)/rank\($0).log") }
        for (rank, process) in ranks.enumerated() {
            let finished = waitFor(process, seconds: 120)
            if !finished { process.terminate() }
            let output = (try? String(contentsOfFile: "\(dir)/rank\(rank).log", encoding: .utf8)) ?? ""
            #expect(finished && process.terminationStatus == 0, "rank \(rank) failed:\n\(output)")
        }
        // rank 1 wrote nothing into the run folder; rank 0 wrote the run
        let a = try metricLines("\(dir)/single"), b = try metricLines("\(dir)/parallel")
        let trainA = a.filter { $0["train_loss"] != nil }, trainB = b.filter { $0["train_loss"] != nil }
        #expect(trainA.count == 8 && trainB.count == 8)
        for (x, y) in zip(trainA, trainB) {
            let dx = x["train_loss"] as! Double, dy = y["train_loss"] as! Double
            #expect(Swift.abs(dx - dy) < 1e-5, "step \(x["step"]!): one process \(dx), two ranks \(dy)")
            #expect(Swift.abs((x["grad_norm"] as! Double) - (y["grad_norm"] as! Double)) < 1e-4, "grad norm at step \(x["step"]!)")
        }
        let evalA = a.filter { $0["val_loss"] != nil }, evalB = b.filter { $0["val_loss"] != nil }
        #expect(evalA.count == evalB.count && evalA.count == 3)
        for (x, y) in zip(evalA, evalB) {
            for key in ["val_loss", "train_loss_est", "val_loss_full"] {
                let dx = x[key] as! Double, dy = y[key] as! Double
                #expect(Swift.abs(dx - dy) < 1e-5, "\(key) at step \(x["step"]!): \(dx) vs \(dy)")
            }
        }
        let checkpointA = try #require(Checkpoint.latest(root: "\(dir)/single/checkpoints"))
        let checkpointB = try #require(Checkpoint.latest(root: "\(dir)/parallel/checkpoints"))
        let weightsA = try SafeTensorsIO.load(checkpointA + "/model.safetensors")
        let weightsB = try SafeTensorsIO.load(checkpointB + "/model.safetensors")
        #expect(Set(weightsA.keys) == Set(weightsB.keys))
        for (name, wa) in weightsA {
            let diff = (wa - weightsB[name]!).abs().max().item()
            #expect(diff < 1e-5, "\(name) differs by \(diff)")
        }
        let state = try String(contentsOfFile: checkpointB + "/state.json", encoding: .utf8)
        #expect(state.contains("\"worldSize\":2") || state.contains("\"worldSize\" : 2"), "\(state)")
    }

    @Test func aKilledRankStopsTheOtherWithItsRankAndTheCheckpointStaysWhole() throws {
        try #require(ProcessGroup.isAvailable, "this build has no c10d Gloo group: install libgloo-dev (make setup does) and rebuild")
        let dir = try temporaryFolder("data-parallel-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.writeConfig(in: dir, maxIters: 100_000, evalInterval: 5000, checkpointInterval: 5)
        let port = freePort()
        let arguments = ["train", config, "--set", "batch_size=4", "--out", "\(dir)/run", "--quiet"]
        let ranks = try (0..<2).map { try startRank($0, of: 2, port: port, arguments: arguments, log: "\(dir)/rank\($0).log", timeout: 20) }
        defer { ranks.forEach { if $0.isRunning { kill($0.processIdentifier, SIGKILL) } } }
        // wait for the first checkpoint, then kill rank 1
        let deadline = Date().addingTimeInterval(90)
        while Checkpoint.latest(root: "\(dir)/run/checkpoints") == nil && Date() < deadline && ranks[0].isRunning { usleep(100_000) }
        try #require(Checkpoint.latest(root: "\(dir)/run/checkpoints") != nil,
                     "no checkpoint within 90 s: \((try? String(contentsOfFile: "\(dir)/rank0.log", encoding: .utf8)) ?? "")")
        kill(ranks[1].processIdentifier, SIGKILL)
        let start = Date()
        let stopped = waitFor(ranks[0], seconds: 60)
        let output = (try? String(contentsOfFile: "\(dir)/rank0.log", encoding: .utf8)) ?? ""
        #expect(stopped, "rank 0 still running 60 s after rank 1 was killed")
        #expect(ranks[0].terminationStatus != 0)
        #expect(output.contains("rank 0 of 2"), "rank 0's message: \(output)")
        print("rank 0 stopped \(String(format: "%.1f", Date().timeIntervalSince(start))) s after rank 1 was killed: \(output.split(separator: "\n").last ?? "")")
        // the checkpoint is whole: the run loads and resumes (alone, with the world-size note)
        let loaded = try LoadedRun(runDirectory: "\(dir)/run")
        #expect(loaded.step > 0 && loaded.step % 5 == 0)
        let resumed = try Trainer.resume(runDirectory: "\(dir)/run", overrides: ["max_iters=\(loaded.step + 2)"])
        resumed.progress = false
        try resumed.run()
        let log = try String(contentsOfFile: "\(dir)/run/log.txt", encoding: .utf8)
        #expect(log.contains("resuming a run trained on 2 rank(s) with 1"))
    }
}
