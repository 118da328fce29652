// ModuleTests.swift — TorchNN's Module against PyTorch modules (module_mlp / module_emb fixtures): names equal
// state_dict keys, forward and every gradient match; state-dict loading reports what does not fit.
import Foundation
import Testing
@testable import Torch
@testable import TorchNN

func fixtureTensors(_ name: String) throws -> [String: Tensor] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsIO.load(url.path)
}

/// max |a - b| ≤ atol + rtol·|b| everywhere, with equal shapes.
func close(_ a: Tensor, _ b: Tensor, atol: Double = 1e-5, rtol: Double = 1e-4) -> Bool {
    a.shape == b.shape && a.allClose(b.to(a.dtype), rtol: rtol, atol: atol)
}

final class FixtureMLP: Module, UnaryLayer {
    let fc1 = Linear(6, 8)
    let ln = LayerNorm(8)
    let fc2 = Linear(8, 3, bias: false)
    func callAsFunction(_ x: Tensor) -> Tensor { fc2(ln(fc1(x)).gelu()) }
}

final class FixtureEmb: Module {
    let emb = Embedding(10, 4)
    let proj = Linear(4, 10)
    func callAsFunction(_ idx: Tensor) -> Tensor { proj(emb(idx)) }
}

@Suite struct ModuleTests {
    @Test func mlpMatchesPyTorch() throws {
        let f = try fixtureTensors("module_mlp")
        let model = FixtureMLP()
        let params = f.filter { $0.key.hasPrefix("param.") }
        #expect(Set(model.stateDict().keys) == Set(params.keys.map { String($0.dropFirst(6)) }))
        #expect(model.namedParameters().map(\.name) == ["fc1.weight", "fc1.bias", "ln.weight", "ln.bias", "fc2.weight"])
        try model.load(stateDict: Dictionary(uniqueKeysWithValues: params.map { (String($0.key.dropFirst(6)), $0.value) }))
        let x = f["x"]!.clone().requiringGrad()
        let out = model(x)
        #expect(close(out, f["out"]!))
        (out * f["cot"]!).sum().backward()
        #expect(close(x.grad!, f["grad_x"]!))
        for (name, p) in model.namedParameters() {
            #expect(close(p.grad!, f["grad.\(name)"]!), "gradient of \(name)")
        }
        #expect(model.parameterCount == 8 * 6 + 8 + 8 + 8 + 3 * 8)
    }

    @Test func embeddingModelMatchesPyTorch() throws {
        let f = try fixtureTensors("module_emb")
        let model = FixtureEmb()
        try model.load(stateDict: Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }
            .map { (String($0.key.dropFirst(6)), $0.value) }))
        let out = model(f["x"]!)
        #expect(close(out, f["out"]!))
        (out * f["cot"]!).sum().backward()
        for (name, p) in model.namedParameters() { #expect(close(p.grad!, f["grad.\(name)"]!), "gradient of \(name)") }
    }

    @Test func loadReportsMissingUnexpectedAndWrongShape() throws {
        let model = FixtureMLP()
        var sd = model.stateDict().mapValues { $0.clone() }
        sd["fc1.bias"] = nil
        sd["extra.weight"] = Tensor.zeros([2])
        sd["fc2.weight"] = Tensor.zeros([4, 8])
        let before = model.fc1.weight.clone()
        do {
            try model.load(stateDict: sd)
            Issue.record("load should have thrown")
        } catch let report as StateDictReport {
            #expect(report.missing == ["fc1.bias"])
            #expect(report.unexpected == ["extra.weight"])
            #expect(report.wrongShape.map(\.key) == ["fc2.weight"])
            #expect(report.description.contains("fc2.weight: expected shape [3, 8], found [4, 8]"))
        }
        #expect(model.fc1.weight.equal(before), "a failed load modifies nothing")
        // Non-strict loading accepts missing / unexpected keys but never a wrong shape.
        sd["fc2.weight"] = Tensor.ones([3, 8])
        let report = try model.load(stateDict: sd, strict: false)
        #expect(report.missing == ["fc1.bias"])
        #expect(model.fc2.weight.equal(Tensor.ones([3, 8])))
    }

    @Test func namesOfListsWrappersAndBuffers() throws {
        final class Block: Module {
            @ModuleInfo(key: "c_attn") var qkv = Linear(4, 12)
            let ln_1 = LayerNorm(4, bias: false)
            @Buffer(persistent: false) var mask = Tensor.ones([3, 3]).tril()
            @Buffer var counter = Tensor.zeros([1])
        }
        final class Net: Module {
            let h = [Block(), Block()]
            let head: Linear? = nil
            let norm = LayerNorm(4, affine: false)
        }
        let net = Net()
        #expect(net.namedParameters().map(\.name) == ["h.0.c_attn.weight", "h.0.c_attn.bias", "h.0.ln_1.weight",
                                                       "h.1.c_attn.weight", "h.1.c_attn.bias", "h.1.ln_1.weight"])
        #expect(net.namedBuffers().map(\.name) == ["h.0.mask", "h.0.counter", "h.1.mask", "h.1.counter"])
        #expect(Set(net.stateDict().keys).contains("h.1.counter"))
        #expect(!Set(net.stateDict().keys).contains("h.0.mask"))
        let seq = Sequential([Linear(2, 3), ReLU(), Linear(3, 1)])
        #expect(seq.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        net.eval()
        #expect(!net.h[1].training)
        net.train()
        #expect(net.h[1].training)
    }

    @Test func tiedWeightsAreOneParameter() {
        final class Tied: Module {
            let wte = Embedding(5, 3)
            let lm_head = Linear(3, 5, bias: false)
            override init() {
                super.init()
                lm_head.weight.setData(wte.weight)  // not tying; checked below
            }
        }
        final class ReallyTied: Module {
            let a: Tensor
            let b: Tensor
            override init() {
                a = Tensor.zeros([2]).requiringGrad()
                b = a
                super.init()
            }
        }
        #expect(Tied().namedParameters().count == 2)
        let t = ReallyTied()
        #expect(t.namedParameters().map(\.name) == ["a"])
        #expect(Set(t.stateDict().keys) == ["a", "b"], "state_dict lists tied tensors under every name, as PyTorch")
    }

    @Test func initialisersHaveTheRightStatistics() {
        let g = Generator(seed: 7)
        let w = Tensor.empty([256, 512])
        Init.kaimingUniform(w, a: 5.0.squareRoot(), generator: g)  // nn.Linear default: U(-1/√512, 1/√512)
        let bound = 1 / 512.0.squareRoot()
        #expect(w.abs().max().item() <= bound + 1e-7)
        #expect(Swift.abs(w.std().item() - bound / 3.0.squareRoot()) < 0.01 * bound)
        Init.xavierNormal(w, generator: g)
        #expect(Swift.abs(w.std().item() - (2.0 / 768).squareRoot()) < 0.01)
        Init.kaimingNormal(w, generator: g)
        #expect(Swift.abs(w.std().item() - (2.0 / 512).squareRoot()) < 0.01)
        Init.zeros(w)
        #expect(w.abs().sum().item() == 0)
        Init.ones(w)
        #expect(w.sum().item() == 256 * 512)
    }

    @Test func dropoutOnlyInTraining() {
        let d = Dropout(0.5)
        let x = Tensor.ones([1000])
        let y = d(x)
        let zeros = (y .== 0).sum().item()
        #expect(zeros > 400 && zeros < 600)
        #expect(Set(y.toArray(Float.self)).isSubset(of: [0, 2]))
        d.eval()
        #expect(d(x).equal(x))
    }
}

/// RMSNorm's `upcast` (Llama / MiniMind): the statistics in float32, the result back in the input's dtype.
@Suite struct RMSNormUpcastTests {
    @Test func upcastEqualsPlainInFloat32AndKeepsBFloat16() {
        let plain = RMSNorm(8, eps: 1e-5), upcast = RMSNorm(8, eps: 1e-5, upcast: true)
        withNoGrad { plain.weight.copy_(Tensor.randn([8], generator: Generator(seed: 1))); upcast.weight.copy_(plain.weight) }
        let x = Tensor.randn([3, 8], generator: Generator(seed: 2))
        #expect((plain(x) - upcast(x)).abs().max().item() < 1e-6)
        let half = x.to(.bfloat16)
        let y = upcast(half)
        #expect(y.dtype == .float32, "bf16 normalised values times the float32 weight promote to float32, as in PyTorch")
        let reference = upcast.weight * rmsNorm(half.float(), normalizedShape: [8], eps: 1e-5).to(.bfloat16)
        #expect((y - reference).abs().max().item() == 0)
    }
}
