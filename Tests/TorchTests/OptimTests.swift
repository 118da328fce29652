// OptimTests.swift — TorchOptim against torch.optim (optim fixture): AdamW with two parameter groups and
// clipping over five steps, AdamW in float64, SGD with momentum (plain and Nesterov), nanoGPT's schedule,
// and optimizer state that saves and loads.
import Foundation
import Testing
@testable import Torch
@testable import TorchNN
@testable import TorchOptim

@Suite struct OptimTests {
    @Test func adamWWithGroupsAndClippingMatchesPyTorch() throws {
        let f = try fixtureTensors("optim")
        let p0 = f["adamw.init.p0"]!.clone().requiringGrad(), p1 = f["adamw.init.p1"]!.clone().requiringGrad()
        let opt = AdamW(groups: [
            ParameterGroup(params: [p0], names: ["p0"], lr: 1e-2, weightDecay: 0.1, betas: (0.9, 0.95), eps: 1e-8),
            ParameterGroup(params: [p1], names: ["p1"], lr: 1e-2, weightDecay: 0.0, betas: (0.9, 0.95), eps: 1e-8),
        ])
        for s in 1...5 {
            p0.grad = f["adamw.g\(s).p0"]!.clone()
            p1.grad = f["adamw.g\(s).p1"]!.clone()
            let norm = clipGradNorm([p0, p1], maxNorm: 1.0)
            #expect(Swift.abs(norm - f["adamw.norm\(s)"]!.item()) < 1e-5 * norm, "pre-clip norm at step \(s)")
            opt.step()
            #expect(close(p0, f["adamw.after\(s).p0"]!, atol: 1e-6, rtol: 1e-5), "p0 after step \(s)")
            #expect(close(p1, f["adamw.after\(s).p1"]!, atol: 1e-6, rtol: 1e-5), "p1 after step \(s)")
        }
    }

    @Test func adamWFloat64MatchesPyTorch() throws {
        let f = try fixtureTensors("optim")
        let p0 = f["adamw_f64.init.p0"]!.clone().requiringGrad(), p1 = f["adamw_f64.init.p1"]!.clone().requiringGrad()
        #expect(p0.dtype == .float64)
        let opt = AdamW([p0, p1], lr: 1e-2, betas: (0.9, 0.95), eps: 1e-8, weightDecay: 0.1)
        for s in 1...3 {
            p0.grad = f["adamw_f64.g\(s).p0"]!.clone()
            p1.grad = f["adamw_f64.g\(s).p1"]!.clone()
            opt.step()
            #expect(close(p0, f["adamw_f64.after\(s).p0"]!, atol: 1e-12, rtol: 1e-10))
            #expect(close(p1, f["adamw_f64.after\(s).p1"]!, atol: 1e-12, rtol: 1e-10))
        }
    }

    @Test(arguments: ["sgd", "sgd_nesterov"])
    func sgdMatchesPyTorch(prefix: String) throws {
        let f = try fixtureTensors("optim")
        let p = f["\(prefix).init.p0"]!.clone().requiringGrad()
        let opt = SGD([p], lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: prefix == "sgd_nesterov")
        for s in 1...3 {
            p.grad = f["\(prefix).g\(s).p0"]!.clone()
            opt.step()
            #expect(close(p, f["\(prefix).after\(s).p0"]!, atol: 1e-6, rtol: 1e-5), "\(prefix) step \(s)")
        }
    }

    @Test func warmupCosineIsNanoGPTsGetLR() throws {
        let expected = try fixtureTensors("optim")["sched.warmup_cosine"]!.toArray(Double.self)
        let schedule = WarmupCosineSchedule(lr: 1e-3, minLR: 1e-4, warmupSteps: 10, decaySteps: 100)
        for (step, lr) in expected.enumerated() {
            #expect(Swift.abs(schedule(step) - lr) < 1e-15, "step \(step)")
        }
        #expect(LinearWarmupSchedule(lr: 1, warmupSteps: 4)(1) == 0.4)
        #expect(ConstantSchedule(0.3)(1000) == 0.3)
    }

    @Test func clippingLeavesSmallGradientsAlone() {
        let p = Tensor([3, 4] as [Float]).requiringGrad()
        p.grad = Tensor([0.3, 0.4] as [Float])
        #expect(Swift.abs(clipGradNorm([p], maxNorm: 1) - 0.5) < 1e-7)
        #expect(p.grad!.toArray(Float.self) == [0.3, 0.4])
        p.grad = Tensor([3, 4] as [Float])
        #expect(Swift.abs(clipGradNorm([p], maxNorm: 1) - 5) < 1e-6)
        #expect(Swift.abs(p.grad!.norm().item() - 1) < 1e-5)
    }

    @Test func perGroupClipping() {
        let a = Tensor([0, 0] as [Float]).requiringGrad(), b = Tensor([0, 0] as [Float]).requiringGrad()
        let opt = SGD(groups: [ParameterGroup(params: [a], lr: 1, maxGradNorm: 1), ParameterGroup(params: [b], lr: 1)])
        a.grad = Tensor([6, 8] as [Float])
        b.grad = Tensor([6, 8] as [Float])
        let norms = opt.clipGroups()
        #expect(Swift.abs(norms[0]! - 10) < 1e-5 && norms[1] == nil)
        opt.step()
        #expect(close(a, Tensor([-0.6, -0.8] as [Float])))
        #expect(close(b, Tensor([-6, -8] as [Float])))
    }

    @Test func gradientTransformRunsBeforeTheStep() {
        let p = Tensor([1, 1] as [Float]).requiringGrad()
        var seen: [String] = []
        let opt = GradientTransformingOptimizer(SGD(groups: [ParameterGroup(params: [p], names: ["w"], lr: 1)])) { name, _, grad in
            seen.append(name)
            return grad * 0   // a transform that cancels every update
        }
        p.grad = Tensor([5, 5] as [Float])
        opt.step()
        #expect(seen == ["w"])
        #expect(p.toArray(Float.self) == [1, 1])
    }

    @Test func adamWStateSavesAndResumesExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-optim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Generator(seed: 3)
        let grads = (0..<6).map { _ in Tensor.randn([4], generator: g) }
        func run(_ steps: Range<Int>, _ p: Tensor, _ opt: AdamW) {
            for s in steps { p.grad = grads[s].clone(); opt.step() }
        }
        let a = Tensor.ones([4]).requiringGrad()
        let optA = AdamW(groups: [ParameterGroup(params: [a], names: ["w"], lr: 0.1, weightDecay: 0.1)])
        run(0..<6, a, optA)

        let b = Tensor.ones([4]).requiringGrad()
        let optB = AdamW(groups: [ParameterGroup(params: [b], names: ["w"], lr: 0.1, weightDecay: 0.1)])
        run(0..<3, b, optB)
        let path = dir.appendingPathComponent("opt.safetensors").path
        try optB.save(to: path)
        let c = b.detached().clone().requiringGrad()
        let optC = AdamW(groups: [ParameterGroup(params: [c], names: ["w"], lr: 0.5, weightDecay: 0.1)])
        try optC.load(from: path)
        #expect(optC.groups[0].lr == 0.1)
        run(3..<6, c, optC)
        #expect(c.equal(a), "resumed run equals the uninterrupted one")
    }
}
