import Testing
@testable import Torch
@testable import TorchNN

@Suite struct SmokeTests {
    @Test func addAndBackward() {
        let a = Tensor([1, 2, 3] as [Float]).requiringGrad()
        let b = (a * a + 1.0).sum()
        b.backward()
        #expect(b.item() == 17)
        #expect(a.grad!.toArray(Float.self) == [2, 4, 6])
    }
    @Test func versionsAgree() {
        #expect(Runtime.compiledVersion == "2.15.0")
        #expect(Runtime.versionMismatch() == nil, "\(Runtime.loadedVersion)")
    }
}

@Suite struct AutogradTests {
    @Test func hooksCanRewriteGradients() {
        let w = Tensor([1, 2, 3] as [Float]).requiringGrad()
        var calls = 0
        w.registerHook { grad in
            calls += 1
            return grad * 10
        }
        (w * w).sum().backward()
        #expect(calls == 1)
        #expect(w.grad!.toArray(Float.self) == [20, 40, 60])
    }

    @Test func noGradAndDetach() {
        let w = Tensor([1, 2] as [Float]).requiringGrad()
        let y = withNoGrad { w * 2 }
        #expect(!y.requiresGrad)
        #expect(isGradEnabled)
        #expect(!(w * 2).detached().requiresGrad)
        let z = (w * 3).sum()
        z.backward(retainGraph: true)
        z.backward()
        #expect(w.grad!.toArray(Float.self) == [6, 6], "gradients accumulate across backward calls")
        w.grad!.zero_()
        #expect(w.grad!.toArray(Float.self) == [0, 0])
    }

    @Test func backwardWithAGivenGradient() {
        let x = Tensor([1, 2, 3] as [Float]).requiringGrad()
        (x * x).backward(Tensor([1, 0, -1] as [Float]))
        #expect(x.grad!.toArray(Float.self) == [2, 0, -6])
    }

    @Test func moduleMovesInPlaceKeepingIdentity() {
        let layer = Linear(3, 2)
        let w = layer.weight
        layer.to(.cpu, dtype: .float64)
        #expect(layer.weight.isSame(w) || layer.weight === w)
        #expect(layer.weight.dtype == .float64 && w.dtype == .float64)
        #expect(layer.weight.requiresGrad)
    }
}
