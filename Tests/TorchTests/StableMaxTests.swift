// StableMaxTests.swift — StableMax, LogStableMax, StableMax cross-entropy, the loss switch, softmax-collapse
// diagnostics and ⊥Grad against Fixtures/stablemax.safetensors (scripts/make_stablemax_fixtures.py; the cases are
// documented in Fixtures/stablemax.md), plus the oracle StableMax(x) = Softmax(sign(x)·log1p(|x|)).
//
// Tolerances: the fixture defaults (float32 atol 1e-5, rtol 1e-4; float64 atol 1e-10, rtol 1e-10), except the
// softmax collapse case, compared exactly (the point is an exact 0), its StableMax twin (atol 1e-9, rtol 1e-5: its
// gradients are ~5e-4), and the optimizer cases (float32 atol 1e-6, rtol 1e-5 on the parameters; float64 1e-12 /
// 1e-10).
import Foundation
import Testing
@testable import Torch
@testable import TorchNN
@testable import TorchOptim
import TorchChecks

@Suite struct StableMaxFixtureTests {
    static let file = "stablemax"

    static let ops = OpFixtures.stablemax.ops   // the Swift expressions live in TorchChecks
    static func tolerance(_ name: String) -> Tolerance? { OpFixtures.stablemax.tolerance(name) }

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: StableMaxFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let result = try checkFixtureCase(Self.file, name, Self.ops[name], tolerance: Self.tolerance(name))
        #expect(result.outputs > 0)
    }

    /// Logits [1000, 0, …]: float32 softmax CE is exactly 0 with an exactly-zero gradient; StableMax CE is not.
    @Test func stableMaxSurvivesWhereSoftmaxCollapses() throws {
        let f = try Fixture(Self.file)
        let logits = try f.tensor("collapse_softmax_ce_f32.in0"), targets = try f.tensor("collapse_softmax_ce_f32.in1")
        let softmaxInput = logits.clone().requiringGrad()
        let softmaxLoss = crossEntropy(softmaxInput, targets)
        softmaxLoss.backward()
        #expect(softmaxLoss.item() == 0)
        #expect(softmaxInput.grad!.abs().max().item() == 0)

        let stableInput = logits.clone().requiringGrad()
        let stableLoss = stableMaxCrossEntropy(stableInput, targets)
        stableLoss.backward()
        #expect(stableLoss.dtype == .float32)
        #expect(stableLoss.item() > 0)
        #expect(stableInput.grad!.abs().max().item() > 0)
        // The target's own gradient is non-zero (negative: it keeps pushing the target up).
        #expect(stableInput.grad![0, 0].item() < 0)
    }

    /// float32 softmax with margin 15 is not collapsed; with margin 18 it is (loss and SC flag from the diagnostics).
    @Test(arguments: [15, 18])
    func marginCollapse(_ margin: Int) throws {
        let f = try Fixture(Self.file)
        let logits = try f.tensor("margin\(margin)_f32.in0"), targets = try f.tensor("margin\(margin)_f32.in1")
        let losses = crossEntropy(logits, targets, reduction: .none)
        let stats = SoftmaxCollapse.stats(logits: logits, targets: targets, perSampleLosses: losses)
        let collapsed = margin == 18
        #expect(stats.collapsedFraction == (collapsed ? 1 : 0))
        #expect(stats.zeroLossFraction == (collapsed ? 1 : 0))
        #expect(Swift.abs(stats.medianMargin - Double(margin)) < 1e-12)
        #expect(stats.count == 3)
        // StableMax CE of the same logits is never exactly 0.
        let stable = stableMaxCrossEntropy(logits, targets, reduction: .none)
        #expect(SoftmaxCollapse.zeroLossFraction(stable) == 0)
    }
}

@Suite struct StableMaxTests {
    /// StableMax(x) = Softmax(sign(x)·log1p(|x|)), values and gradients, both dtypes, logits up to ±1e3.
    @Test(arguments: [DType.float32, .float64])
    func oracle(_ dtype: DType) {
        let generator = Generator(seed: 7)
        let raw = Tensor.randn([8, 13], dtype: dtype, generator: generator)
        let scale = Tensor.rand([8, 1], dtype: dtype, generator: generator) * 3 - 1   // 10^[-1, 2)
        let x = (raw * Tensor.full([1], 10, dtype: dtype).pow(scale) * 10).detached()
        let a = x.clone().requiringGrad(), b = x.clone().requiringGrad()
        let got = stableMax(a), want = (b.sign() * b.abs().log1p()).softmax(dim: -1)
        let tolerance = dtype == .float32 ? Tolerance(atol: 1e-7, rtol: 1e-5) : Tolerance(atol: 1e-15, rtol: 1e-12)
        #expect(mismatch(got, want, tolerance: tolerance) == nil)
        let cot = Tensor.randn([8, 13], dtype: dtype, generator: generator)
        (got * cot).sum().backward()
        (want * cot).sum().backward()
        #expect(mismatch(a.grad!, b.grad!, tolerance: tolerance) == nil)
        // LogStableMax agrees with the log of the oracle too.
        let logTolerance = dtype == .float32 ? Tolerance(atol: 1e-5, rtol: 1e-5) : Tolerance(atol: 1e-12, rtol: 1e-12)
        #expect(mismatch(logStableMax(x), (x.sign() * x.abs().log1p()).logSoftmax(dim: -1), tolerance: logTolerance) == nil)
    }

    /// s has a finite gradient everywhere, including 0 (where both branches have slope 1) and ±large values.
    @Test func sGradientIsFiniteEverywhere() {
        let x = Tensor([-1e30, -1e3, -1, 0, 1, 1e3, 1e30] as [Float]).requiringGrad()
        stableMaxS(x).sum().backward()
        let g = x.grad!.toArray(Float.self)
        let finite = g.allSatisfy { $0.isFinite }
        #expect(finite)
        #expect(g[3] == 1 && g[4] == 1 && g[6] == 1)
        #expect(Swift.abs(g[2] - 0.25) < 1e-7)
        #expect(stableMaxS(Tensor([-Float.infinity])).item() == 0)  // a −∞ (masked) logit gets probability 0
        // log s has slope 1 at 0 too (clamp-based forms get 0 there), and 1/(1 − x) = 0.5 at −1.
        let y = Tensor([-1, 0, 3] as [Double]).requiringGrad()
        stableMaxLogS(y).sum().backward()
        #expect(y.grad!.toArray(Double.self) == [0.5, 1, 0.25])
    }

    @Test func lossKindsAndHelpers() throws {
        let generator = Generator(seed: 3)
        let logits = Tensor.randn([2, 5, 11], generator: generator) * 5
        let targets = Tensor.randint(0, 11, [2, 5], generator: generator)
        targets[0, 1] = Tensor(Int64(-100))
        #expect(LossKind(rawValue: "log_stablemax") == .logStablemax)
        #expect(try JSONDecoder().decode([LossKind].self, from: Data(#"["softmax","stablemax","log_stablemax"]"#.utf8))
                == [.softmax, .stablemax, .logStablemax])

        let soft = lossFunction(.softmax)(logits, targets)
        let direct = crossEntropy(logits.reshape([-1, 11]), targets.reshape([-1]))
        #expect(Swift.abs(soft.item() - direct.item()) < 1e-6)
        #expect(lossFunction(.softmax, reduction: .none)(logits, targets).shape == [2, 5])

        let paper = lossFunction(.stablemax)(logits, targets), working = lossFunction(.logStablemax)(logits, targets)
        #expect(paper.dtype == .float32 && working.dtype == .float32)
        #expect(Swift.abs(paper.item() - working.item()) < 1e-5)
        #expect(Swift.abs(paper.item() - stableMaxCrossEntropy(logits, targets).item()) == 0)

        for kind in LossKind.allCases {
            let p = probabilities(kind)(logits)
            #expect(mismatch(p.sum(dims: [-1]), Tensor.ones([2, 5]), tolerance: .float32) == nil)
            #expect(mismatch(logProbabilities(kind)(logits).exp(), p, tolerance: .float32) == nil)
        }
        #expect(mismatch(probabilities(.stablemax)(logits), stableMax(logits), tolerance: .exact) == nil)
    }

    /// The mean over nothing (every target ignored) is NaN, as PyTorch's.
    @Test func allIgnoredIsNaN() {
        let loss = stableMaxCrossEntropy(Tensor.zeros([2, 3]), Tensor([-100, -100] as [Int64]))
        #expect(loss.item().isNaN)
    }
}

@Suite struct OrthogonalGradientTests {
    @Test func removesTheParallelPartAndKeepsTheNorm() {
        let generator = Generator(seed: 11)
        let w = Tensor.randn([6, 5], generator: generator), g = Tensor.randn([6, 5], generator: generator)
        let o = orthogonalGradient(w, g)
        #expect(o.shape == g.shape && o.dtype == .float32)
        #expect(Swift.abs(SoftmaxCollapse.cosine(o, w)) < 1e-6)
        #expect(Swift.abs(o.norm().item() - g.norm().item()) < 1e-5)
        // A gradient exactly along the weights keeps only rounding noise, which the rescale brings back to ‖g‖
        // (the definition's behaviour): the norm is all that can be asserted.
        #expect(Swift.abs(orthogonalGradient(w, w * 3).norm().item() - (w * 3).norm().item()) < 1e-3)
        // A zero parameter leaves the gradient alone.
        #expect(mismatch(orthogonalGradient(Tensor.zeros([6, 5]), g), g, tolerance: .float32) == nil)
    }

    final class Net: Module {
        let fc = Linear(4, 3)
        let head = Linear(3, 2, bias: false)
        func callAsFunction(_ x: Tensor) -> Tensor { head(fc(x).relu()) }
    }

    /// Skipping by name fires with the model's dotted names; skipping 1-D parameters fires by shape.
    @Test(arguments: [false, true])
    func skipsByNameAndShape(_ bySubstring: Bool) {
        let generator = Generator(seed: 5)
        let net = Net()
        let named = net.namedParameters()
        #expect(named.map(\.name) == ["fc.weight", "fc.bias", "head.weight"])
        var seen: [String: Bool] = [:]
        let base = SGD(groups: [ParameterGroup(params: named.map(\.tensor), names: named.map(\.name), lr: 0.1)])
        let wrapped = orthogonalized(base, skipSubstrings: bySubstring ? ["bias"] : [], skipOneDimensional: !bySubstring)
        let probe = GradientTransformingOptimizer(base) { name, param, grad in
            let replaced = wrapped.transform(name, param, grad)
            seen[name] = replaced != nil
            return replaced
        }
        let x = Tensor.randn([8, 4], generator: generator)
        net(x).square().sum().backward()
        probe.step()
        #expect(seen == ["fc.weight": true, "fc.bias": false, "head.weight": true])
        #expect(orthogonalGradientSkips(name: "blocks.0.ln_1.weight", shape: [8], skipSubstrings: ["ln_"],
                                        skipOneDimensional: false))
        #expect(!orthogonalGradientSkips(name: "lm_head.weight", shape: [8, 4], skipSubstrings: [""],
                                         skipOneDimensional: true))
    }

    /// ⊥AdamW and ⊥SGD keep each update orthogonal to the weights when the base step is the raw gradient step
    /// (SGD without momentum or decay) and train a model end to end.
    @Test func composesWithSGDAndAdamW() {
        let generator = Generator(seed: 9)
        let w = Tensor.randn([7, 3], generator: generator).requiringGrad()
        let sgd = orthogonalized(SGD(groups: [ParameterGroup(params: [w], names: ["w"], lr: 0.05)]))
        let before = w.detached().clone()
        w.grad = Tensor.randn([7, 3], generator: generator)
        sgd.step()
        #expect(Swift.abs(SoftmaxCollapse.updateCosine(before: before, after: w)) < 1e-5)

        let net = Net()
        let named = net.namedParameters()
        let adamw = orthogonalized(AdamW(groups: [ParameterGroup(params: named.map(\.tensor), names: named.map(\.name),
                                                                 lr: 1e-2, weightDecay: 0, betas: (0.9, 0.99), eps: 1e-25)]),
                                   skipSubstrings: ["bias"])
        let x = Tensor.randn([32, 4], generator: generator)
        let y = Tensor.randint(0, 2, [32], generator: generator)
        var first = 0.0, last = 0.0
        for step in 0..<60 {
            let loss = crossEntropy(net(x), y)
            adamw.zeroGrad()
            loss.backward()
            adamw.step()
            if step == 0 { first = loss.item() }
            last = loss.item()
        }
        #expect(last < first)
    }

    @Test func weightNormAndCosine() {
        let a = Tensor([3, 0] as [Float]), b = Tensor([[4]] as [[Float]])
        #expect(SoftmaxCollapse.weightNorm([a, b]) == 5)
        #expect(Swift.abs(SoftmaxCollapse.cosine(a, Tensor([1, 1] as [Float])) - 0.5.squareRoot()) < 1e-12)
        #expect(SoftmaxCollapse.updateCosine(before: a, after: a * 1.5) > 0.999999)
        #expect(SoftmaxCollapse.cosine(a, Tensor.zeros([2])).isNaN)
    }

    @Test func medianIsTheLowerMiddle() {
        let logits = Tensor([[3, 0], [0, 1], [5, 1], [0, 10]] as [[Float]])
        let targets = Tensor([0, 1, 0, 1] as [Int64])   // margins 3, 1, 4, 10
        #expect(SoftmaxCollapse.medianMargin(logits, targets) == 3)
        let ignored = Tensor([0, -100, 0, 1] as [Int64])  // margins 3, 4, 10
        let stats = SoftmaxCollapse.stats(logits: logits, targets: ignored, ignoreIndex: -100)
        #expect(stats.count == 3 && stats.medianMargin == 4 && stats.zeroLossFraction == nil)
    }
}

/// Margins from the top two logits equal the float64 reference (target − max over the other classes), ties
/// included, without an (N, C) float64 copy.
@Suite struct SoftmaxMarginTests {
    static func reference(_ logits: [[Float]], _ targets: [Int]) -> [Double] {
        zip(logits, targets).map { row, t in
            let others = row.enumerated().filter { $0.offset != t }.map { Double($0.element) }
            return Double(row[t]) - (others.max() ?? .infinity)
        }
    }

    @Test func equalTheFloat64Definition() {
        let g = Generator(seed: 11)
        let logits = Tensor.randn([64, 50], generator: g) * 5
        let targets = Tensor.randint(0, 50, [64], generator: g)
        // Rows where the target is the best class, and exact ties with another class.
        logits[0, 7] = Tensor(100 as Float); targets[0] = Tensor(7 as Int64)
        logits[1, 3] = Tensor(100 as Float); logits[1, 9] = Tensor(100 as Float); targets[1] = Tensor(9 as Int64)
        let rows = (0..<64).map { logits[$0].toArray(Float.self) }
        let want = Self.reference(rows, targets.toArray(Int64.self).map { Int($0) })
        let got = SoftmaxCollapse.margins(logits, targets).toArray(Double.self)
        #expect(got == want)
        #expect(got[1] == 0 && got[0] > 0)
        #expect(SoftmaxCollapse.margins(Tensor([[2]] as [[Float]]), Tensor([0] as [Int64])).toArray(Double.self) == [.infinity])
    }
}
