// mnemo-bench — per-op cost of a chain of small ops and matmul GFLOP/s, from Swift through the C shim.
// bench/bench_ops.py measures the same things from Python torch; bench/run_bench.sh runs both and prints ratios.
// Output: one `name value` line per measurement (µs per op, GFLOP/s).
import Foundation
import Torch

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best of `repeats` timings (the least-disturbed run), after one warm-up.
func best(repeats: Int, _ body: () -> Void) -> Double {
    body()
    return (0..<repeats).map { _ in seconds(body) }.min()!
}

Runtime.checkVersion()
let chain = 1000
let x = Tensor.randn([64, 64])

// As the Python side: under no_grad (the tensors need no gradient anyway).
let plain = withNoGrad {
    best(repeats: 20) {
        var y = x
        for _ in 0..<chain { y = y + x }
    }
}
print(String(format: "add_chain_us %.3f", plain / Double(chain) * 1e6))

// A 4×4 tensor: the kernel is nearly free, so this is the per-op overhead of each language's path into libtorch.
let tiny = Tensor.randn([4, 4])
let overhead = withNoGrad {
    best(repeats: 20) {
        var y = tiny
        for _ in 0..<chain { y = y + tiny }
    }
}
print(String(format: "add_chain_4x4_us %.3f", overhead / Double(chain) * 1e6))

let leaf = Tensor.randn([64, 64]).requiringGrad()
let recorded = best(repeats: 20) {
    var y = leaf
    for _ in 0..<chain { y = y + leaf }
}
print(String(format: "add_chain_autograd_us %.3f", recorded / Double(chain) * 1e6))

let backward = best(repeats: 10) {
    var y = leaf
    for _ in 0..<chain { y = y + leaf }
    y.sum().backward()
    leaf.grad = nil
}
print(String(format: "add_chain_fwd_bwd_us %.3f", backward / Double(chain) * 1e6))

for n in [512, 2048] {
    let a = Tensor.randn([n, n]), b = Tensor.randn([n, n])
    let reps = n == 512 ? 50 : 5
    let t = best(repeats: reps) { _ = a.matmul(b) }
    print(String(format: "matmul_%d_gflops %.2f", n, 2 * pow(Double(n), 3) / t / 1e9))
}

