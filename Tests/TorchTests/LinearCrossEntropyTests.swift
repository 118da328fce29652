// LinearCrossEntropyTests.swift — the fused, chunked linear cross-entropy (fused.cpp) against the unfused path,
// crossEntropy(hidden.matmul(weight.T), targets): the loss and the gradients of hidden and weight, with ignored
// targets, chunk sizes that do and do not divide the rows, an incoming gradient other than 1, under no-grad, and
// under bf16 autocast (against the unfused path under the same autocast); a shape mismatch is refused. And CPU
// autocast really runs matmuls in bfloat16 (dtype = "bfloat16" on a CPU run relies on it). Targets whose probability
// underflows keep an exact loss.
import Testing
@testable import Torch

@Suite struct LinearCrossEntropyTests {
    func unfused(_ h: Tensor, _ w: Tensor, _ y: Tensor) -> Tensor {
        crossEntropy(h.matmul(w.T), y, ignoreIndex: -1)
    }

    @Test(arguments: [1, 7, 32, 100])
    func equalsTheUnfusedPath(chunkRows: Int) {
        let generator = Generator(seed: 31)
        let (n, c, v) = (37, 12, 53)
        let h0 = Tensor.randn([n, c], generator: generator), w0 = Tensor.randn([v, c], generator: generator) * 0.3
        var targets = Tensor.randint(0, v, [n], generator: generator).toArray(Int64.self)
        for i in stride(from: 0, to: n, by: 5) { targets[i] = -1 }                 // every fifth row ignored
        let y = Tensor(targets, shape: [n])
        let (h1, w1) = (h0.clone().requiringGrad(), w0.clone().requiringGrad())
        let (h2, w2) = (h0.clone().requiringGrad(), w0.clone().requiringGrad())
        let fused = linearCrossEntropy(h1, weight: w1, targets: y, chunkRows: chunkRows)
        let plain = unfused(h2, w2, y)
        #expect(abs(fused.item() - plain.item()) < 1e-5, "loss \(fused.item()) vs \(plain.item())")
        (fused * 2.5).backward()
        (plain * 2.5).backward()
        #expect((h1.grad! - h2.grad!).abs().max().item() < 1e-5, "grad hidden")
        #expect((w1.grad! - w2.grad!).abs().max().item() < 1e-5, "grad weight")
        let ignored = h1.grad!.indexSelect(dim: 0, index: Tensor([0, 5, 10], shape: [3]))
        #expect(ignored.abs().max().item() == 0, "ignored rows get no gradient")
    }

    /// Logit gaps far past float32's exp range: p(y) underflows to 0 on many rows, whose loss terms must come out exact
    /// (logsumexp − logit), not infinite.
    @Test func targetsWithVanishingProbabilityKeepAnExactLoss() {
        let generator = Generator(seed: 33)
        let h = Tensor.randn([24, 8], generator: generator) * 30, w = Tensor.randn([50, 8], generator: generator) * 30
        let y = Tensor.randint(0, 50, [24], generator: generator)
        let (h1, h2) = (h.clone().requiringGrad(), h.clone().requiringGrad())
        let fused = linearCrossEntropy(h1, weight: w, targets: y, chunkRows: 10), plain = unfused(h2, w, y)
        #expect(plain.item() > 200, "the test needs rows whose p(y) underflows: mean loss \(plain.item())")
        #expect(abs(fused.item() - plain.item()) < 1e-4 * plain.item(), "\(fused.item()) vs \(plain.item())")
        fused.backward()
        plain.backward()
        #expect((h1.grad! - h2.grad!).abs().max().item() < 1e-4)
    }

    @Test func withoutGradientsAndUnderAutocast() throws {
        let generator = Generator(seed: 32)
        let h = Tensor.randn([40, 16], generator: generator), w = Tensor.randn([30, 16], generator: generator) * 0.3
        let y = Tensor.randint(0, 30, [40], generator: generator)
        let loss = withNoGrad { linearCrossEntropy(h, weight: w.clone().requiringGrad(), targets: y, chunkRows: 8) }
        #expect(abs(loss.item() - unfused(h, w, y).item()) < 1e-5)
        #expect(!loss.requiresGrad)
        let (h1, w1) = (h.clone().requiringGrad(), w.clone().requiringGrad())
        let (h2, w2) = (h.clone().requiringGrad(), w.clone().requiringGrad())
        let fused = withAutocast { linearCrossEntropy(h1, weight: w1, targets: y, chunkRows: 8) }
        let plain = withAutocast { unfused(h2, w2, y) }
        #expect(fused.dtype == .float32)
        #expect(abs(fused.item() - plain.item()) < 2e-2, "bf16 matmuls: \(fused.item()) vs \(plain.item())")
        fused.backward()
        plain.backward()
        let (fusedW, plainW) = (try #require(w1.grad, "fused grad weight"), try #require(w2.grad, "unfused grad weight"))
        let (fusedH, plainH) = (try #require(h1.grad, "fused grad hidden"), try #require(h2.grad, "unfused grad hidden"))
        #expect((fusedW - plainW).abs().max().item() < 5e-2 && fusedW.dtype == .float32)
        #expect((fusedH - plainH).abs().max().item() < 5e-2)
    }

    @Test func cpuAutocastRunsMatmulsInBFloat16() {
        let a = Tensor.randn([8, 16]), b = Tensor.randn([16, 4])
        #expect(withAutocast { a.matmul(b) }.dtype == .bfloat16)
        #expect(withAutocast { linear(a, weight: b.T) }.dtype == .bfloat16)
        #expect(a.matmul(b).dtype == .float32, "autocast ends with its closure")
    }

    @Test func mismatchedShapesAreRefused() {
        let error = #expect(throws: TorchError.self) {
            try withError { linearCrossEntropy(Tensor.zeros([4, 3]), weight: Tensor.zeros([5, 2]), targets: Tensor.zeros([4], dtype: .int64)) }
        }
        #expect(error?.message.contains("do not fit") == true, "\(error?.message ?? "")")
    }
}
