// MemoryTests.swift — 10,000 training-like steps of a small module keep resident memory flat (no handle,
// graph or gradient leaks across steps).
import Foundation
import Testing
@testable import Torch
@testable import TorchNN
@testable import TorchOptim

/// Resident set size in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite(.serialized) struct MemoryTests {
    @Test func tenThousandStepsKeepMemoryFlat() {
        let model = Sequential([Linear(16, 32), GELU(), Linear(32, 4)])
        let opt = AdamW(model.parameters(), lr: 1e-3)
        let g = Generator(seed: 11)
        let x = Tensor.randn([8, 16], generator: g)
        let y = Tensor.randint(0, 4, [8], generator: g)
        func step() {
            let loss = crossEntropy(model(x), y)
            opt.zeroGrad()
            loss.backward()
            clipGradNorm(model.parameters(), maxNorm: 1)
            opt.step()
            _ = loss.item()
        }
        for _ in 0..<1_000 { step() }  // warm-up: allocator caches, lazy state
        let before = residentBytes()
        for _ in 0..<10_000 { step() }
        let after = residentBytes()
        let grown = Double(after - before) / 1_048_576
        #expect(grown < 8, "resident memory grew by \(grown) MiB over 10,000 steps")
    }
}
