// OneDNNKernelsTests.swift — the oneDNN linear layer and short causal attention (onednn.cpp, onednn_attention.cpp)
// against libtorch's own path (at::linear; at::scaled_dot_product_attention, which PyTorch runs): outputs and every
// input's gradient, for the shapes the models use (batched 3-D inputs, a bias, grouped-query heads, transposed views),
// and that each call really took the path it is tested on (its autograd node). Masks, dropout, long sequences,
// other dtypes and autocast keep libtorch's path.
import Testing
@testable import Torch

@Suite(.serialized) struct OneDNNKernelsTests {
    /// `body` with the oneDNN kernels on, restoring the switch after.
    func withOneDNN<R>(_ on: Bool, _ body: () -> R) -> R {
        let before = Runtime.oneDNNKernels
        Runtime.oneDNNKernels = on
        defer { Runtime.oneDNNKernels = before }
        return body()
    }

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Double { (a - b).abs().max().item() }

    @Test(arguments: [false, true])
    func linearEqualsLibtorchs(withBias: Bool) throws {
        let generator = Generator(seed: 41)
        let x0 = Tensor.randn([3, 7, 24], generator: generator)              // (B, T, in): a view of (N, in) result
        let w0 = Tensor.randn([40, 24], generator: generator) * 0.2, b0 = Tensor.randn([40], generator: generator)
        func run(_ on: Bool) -> (y: Tensor, gx: Tensor, gw: Tensor, gb: Tensor?, node: String?) {
            let (x, w, b) = (x0.clone().requiringGrad(), w0.clone().requiringGrad(), b0.clone().requiringGrad())
            let y = withOneDNN(on) { linear(x, weight: w, bias: withBias ? b : nil) }
            let node = withOneDNN(on) { linear(x.view(21, 24), weight: w) }.gradFunctionName   // 2-D: no view after it
            withOneDNN(on) { (y * y.detached().cos()).sum().backward() }
            return (y.detached(), x.grad!, w.grad!, b.grad, node)
        }
        let reference = run(false), onednn = run(true)
        #expect(reference.y.shape == [3, 7, 40] && onednn.y.shape == [3, 7, 40])
        #expect(maxDifference(onednn.y, reference.y) < 1e-5)
        #expect(maxDifference(onednn.gx, reference.gx) < 1e-5)
        #expect(maxDifference(onednn.gw, reference.gw) < 1e-4)
        if withBias { #expect(maxDifference(try #require(onednn.gb), try #require(reference.gb)) < 1e-4) }
        #expect(onednn.node?.contains("OneDnnLinear") == true, "took \(onednn.node ?? "no node")")
        #expect(reference.node?.contains("OneDnn") == false)
    }

    @Test func linearOnATransposedInputAndWithoutGradients() {
        let generator = Generator(seed: 42)
        let x = Tensor.randn([16, 10], generator: generator).T          // (10, 16), not contiguous
        let w = Tensor.randn([12, 16], generator: generator)
        let reference = linear(x, weight: w)
        let onednn = withOneDNN(true) { withNoGrad { linear(x, weight: w) } }
        #expect(maxDifference(onednn, reference) < 1e-5)
        #expect(!onednn.requiresGrad)
    }

    /// q (B, H, T, D), k and v (B, K, T, D), causal, both paths; returns the output and the three gradients.
    func attention(_ on: Bool, q q0: Tensor, k k0: Tensor, v v0: Tensor, gqa: Bool = false, mask: Tensor? = nil,
                   causal: Bool = true) -> (out: Tensor, grads: [Tensor], node: String?) {
        let (q, k, v) = (q0.clone().requiringGrad(), k0.clone().requiringGrad(), v0.clone().requiringGrad())
        let out = withOneDNN(on) {
            scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: causal, enableGQA: gqa)
        }
        let node = out.gradFunctionName
        withOneDNN(on) { (out * out.detached().sin()).sum().backward() }
        return (out.detached(), [q.grad!, k.grad!, v.grad!], node)
    }

    @Test(arguments: [(4, 4, 2), (4, 1, 64), (6, 2, 37)])
    func causalAttentionEqualsSDPA(heads: Int, keyHeads: Int, positions: Int) {
        let generator = Generator(seed: 43)
        let q = Tensor.randn([2, heads, positions, 8], generator: generator)
        let k = Tensor.randn([2, keyHeads, positions, 8], generator: generator)
        let v = Tensor.randn([2, keyHeads, positions, 8], generator: generator)
        let gqa = heads != keyHeads
        let reference = attention(false, q: q, k: k, v: v, gqa: gqa)
        let onednn = attention(true, q: q, k: k, v: v, gqa: gqa)
        #expect(onednn.node?.contains("CausalAttention") == true, "took \(onednn.node ?? "no node")")
        #expect(maxDifference(onednn.out, reference.out) < 1e-5)
        for (name, (a, b)) in zip(["q", "k", "v"], zip(onednn.grads, reference.grads)) {
            #expect(maxDifference(a, b) < 1e-5, "grad \(name): \(maxDifference(a, b))")
        }
    }

    @Test func attentionOnTransposedViewsAsTheModelsPass() {
        let generator = Generator(seed: 44)
        let qkv = Tensor.randn([3, 20, 3 * 32], generator: generator).split(32, dim: 2)     // (B, T, C) each
        let heads = qkv.map { $0.view(3, 20, 4, 8).transpose(1, 2) }                        // (B, H, T, D) views
        let reference = attention(false, q: heads[0], k: heads[1], v: heads[2])
        let onednn = attention(true, q: heads[0], k: heads[1], v: heads[2])
        #expect(maxDifference(onednn.out, reference.out) < 1e-5)
        for (a, b) in zip(onednn.grads, reference.grads) { #expect(maxDifference(a, b) < 1e-5) }
    }

    @Test func otherAttentionKeepsLibtorchsKernel() {
        let generator = Generator(seed: 45)
        let q = Tensor.randn([1, 2, 8, 4], generator: generator), k = Tensor.randn([1, 2, 8, 4], generator: generator)
        let long = Tensor.randn([1, 1, 300, 4], generator: generator)
        let mask = Tensor.ones([8, 8]).tril().to(.bool)
        #expect(attention(true, q: q, k: k, v: k, mask: mask, causal: false).node?.contains("CausalAttention") == false)
        #expect(attention(true, q: q, k: k, v: k, causal: false).node?.contains("CausalAttention") == false)
        #expect(attention(true, q: long, k: long, v: long).node?.contains("CausalAttention") == false)
        #expect(attention(true, q: q, k: k, v: k).node?.contains("CausalAttention") == true)
    }
}
