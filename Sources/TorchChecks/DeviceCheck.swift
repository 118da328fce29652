// DeviceCheck.swift — every op fixture case, and the device-specific behaviour the trainer relies on, run on
// one device (`mnemo check --device cuda`): the PyTorch CPU references must hold on a GPU too.
import Foundation
import Torch

/// The outcome of one fixture file on one device.
public struct FixtureFileReport: Sendable {
    public var file: String
    public var cases = 0
    public var passed = 0
    public var outputs = 0
    public var gradients = 0
    public var maxDifference = 0.0
    /// Failing cases with their first problem.
    public var failures: [(name: String, problem: String)] = []
}

/// Runs every case of every op table whose file is in `folder` on `device`, each with its own tolerance
/// (`tolerance` replaces the defaults where given). A file missing from the folder is a failure.
public func checkOpFixtures(folder: String, device: Device, tables: [OpFixtureTable] = OpFixtures.all,
                            tolerance: Tolerance? = nil) -> [FixtureFileReport] {
    tables.map { table in
        var report = FixtureFileReport(file: table.file)
        let path = "\(folder)/\(table.file).safetensors"
        let fixture: Fixture
        do { fixture = try Fixture(path: path) } catch {
            report.failures.append(("(file)", "\(path): \(error)"))
            return report
        }
        for problem in fixtureCoverageProblems(fixture, table.ops) { report.failures.append(("(coverage)", problem)) }
        for name in table.ops.keys.sorted() {
            guard let op = table.ops[name] else { continue }
            let outcome = runFixtureCase(fixture, name, op, device: device, tolerance: tolerance ?? table.tolerance(name))
            report.cases += 1
            report.outputs += outcome.outputs
            report.gradients += outcome.gradients
            report.maxDifference = Swift.max(report.maxDifference, outcome.maxDifference)
            if outcome.passed { report.passed += 1 } else { report.failures.append((name, outcome.problems[0])) }
        }
        return report
    }
}

/// Behaviour the trainer needs from a device beyond single ops: generators that live on it (sampling and
/// checkpointed streams), bf16 autocast, and, on CUDA, the allocator's memory figures. Each entry is
/// (what, nil when it holds / the problem).
public func checkDeviceBehaviour(device: Device) -> [(check: String, problem: String?)] {
    var results: [(String, String?)] = []
    func run(_ what: String, _ body: () throws -> String?) {
        do { results.append((what, try withError { try body() })) } catch { results.append((what, "\(error)")) }
    }
    run("a generator on the device draws there and its state restores the stream") {
        let g = Generator(seed: 7, device: device)
        guard g.device == device else { return "Generator(device: \(device)).device is \(g.device)" }
        let saved = g.state
        let a = Tensor.randn([1000], device: device, generator: g).to(.cpu).toArray(Float.self)
        g.state = saved
        let b = Tensor.randn([1000], device: device, generator: g).to(.cpu).toArray(Float.self)
        return a == b ? nil : "the stream after restoring the state differs"
    }
    run("multinomial samples on the device with the device's generator (the trainer's sampling)") {
        let probs = Tensor([0.1, 0.2, 0.7] as [Float], shape: [1, 3]).to(device)
        let g = Generator(seed: 1, device: device)
        let draws = probs.expand([20_000, 3]).multinomial(1, replacement: true, generator: g).to(.cpu).toArray(Int64.self)
        let share2 = Double(draws.filter { $0 == 2 }.count) / Double(draws.count)
        return Swift.abs(share2 - 0.7) < 0.02 ? nil : "category 2 drawn \(share2) of the time, want ≈ 0.7"
    }
    run("the default generator of the device is checkpointable") {
        let g = Generator.defaultGenerator(for: device)
        guard g.device == device else { return "default generator of \(device) is on \(g.device)" }
        let saved = g.state
        let a = Tensor.rand([100], device: device).to(.cpu).toArray(Float.self)
        g.state = saved
        let b = Tensor.rand([100], device: device).to(.cpu).toArray(Float.self)
        return a == b ? nil : "the global stream after restoring the state differs"
    }
    run("bf16 autocast runs matmul in bfloat16 and keeps float32 leaves") {
        let x = Tensor.randn([8, 16], device: device, generator: Generator(seed: 3, device: device))
        let w = Tensor.randn([16, 4], device: device, generator: Generator(seed: 4, device: device)).requiringGrad()
        let y = withAutocast(device: device, dtype: .bfloat16) { x.matmul(w) }
        guard y.dtype == .bfloat16 else { return "autocast matmul gave \(y.dtype)" }
        y.float().sum().backward()
        guard let grad = w.grad, grad.dtype == .float32 else { return "the float32 leaf's gradient is \(w.grad?.dtype.description ?? "missing")" }
        return nil
    }
    if case .cuda(let index) = device {
        run("the CUDA allocator reports its memory (torch.cuda.max_memory_allocated)") {
            try Runtime.resetCUDAPeakMemory(device: index)
            let before = try Runtime.cudaMemory(device: index)
            let big = Tensor.zeros([64, 1024, 1024], device: device)   // 256 MiB
            Runtime.cudaSynchronize()
            let after = try Runtime.cudaMemory(device: index)
            _ = big
            let grew = after.peakAllocated - before.allocated
            return grew >= 256 << 20 ? nil : "peak allocated grew by \(grew) bytes for a 256 MiB tensor"
        }
    }
    return results
}
