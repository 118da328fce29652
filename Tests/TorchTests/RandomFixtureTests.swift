// RandomFixtureTests.swift — Fixtures/random.safetensors: the same streams as PyTorch's CPU generator.
//
// Most entries seed the global CPU generator (torch.manual_seed), so this suite is `.serialized`. Swift
// Testing still runs other suites in parallel with it: no other test may draw from the global generator
// (tests that need randomness pass their own `Generator(seed:)`). Each entry is also replayed on a private
// generator with the same seed, which no other test can disturb.
import Testing
@testable import Torch
import TorchChecks

@Suite(.serialized) struct RandomFixtureTests {
    static let file = "random"

    /// Each draw, given the generator to use (nil = the global one, seeded here first).
    static let draws: [String: (seed: UInt64, draw: @Sendable (Generator?) -> Tensor)] = [
        "randn_seed42": (42, { Tensor.randn([3, 4], generator: $0) }),
        "rand_seed42": (42, { Tensor.rand([3, 4], generator: $0) }),
        "randint_seed42": (42, { Tensor.randint(0, 10, [3, 4], generator: $0) }),
        "randperm_seed7": (7, { Tensor.randperm(10, generator: $0) }),
        "normal_init_seed123": (123, { g in
            let t = Tensor.empty([4, 5])
            t.normal_(mean: 0, std: 0.02, generator: g)
            return t
        }),
        "randn_gen5": (5, { Tensor.randn([2, 3], generator: $0) }),
    ]
    /// Entries that PyTorch drew from a `torch.Generator` of their own rather than the global one.
    static let ownGenerator: Set<String> = ["randn_gen5"]

    @Test func tableCoversEveryTensor() throws {
        let fixture = try Fixture(Self.file)
        #expect(Set(fixture.tensors.keys) == Set(Self.draws.keys),
                "random.safetensors holds \(fixture.tensors.keys.sorted()), the table \(Self.draws.keys.sorted())")
    }

    /// As the fixture was made: the global generator after `Random.seed`, or a fresh `Generator(seed:)`.
    @Test(arguments: RandomFixtureTests.draws.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let fixture = try Fixture(Self.file)
        let (seed, draw) = try #require(Self.draws[name])
        let got: Tensor
        if Self.ownGenerator.contains(name) {
            got = draw(Generator(seed: seed))
        } else {
            Random.seed(seed)
            got = draw(nil)
        }
        let problem = mismatch(got, try fixture.tensor(name), tolerance: .exact)
        #expect(problem == nil, "random/\(name): \(problem ?? "")")
    }

    /// The same stream from a private generator (immune to other tests drawing from the global one).
    @Test(arguments: RandomFixtureTests.draws.keys.sorted())
    func privateGeneratorMatchesPyTorch(_ name: String) throws {
        let fixture = try Fixture(Self.file)
        let (seed, draw) = try #require(Self.draws[name])
        let problem = mismatch(draw(Generator(seed: seed)), try fixture.tensor(name), tolerance: .exact)
        #expect(problem == nil, "random/\(name) on Generator(seed: \(seed)): \(problem ?? "")")
    }

    /// Re-seeding the global generator restarts its stream.
    @Test func reseedingRepeatsTheStream() {
        Random.seed(42)
        let a = Tensor.randn([5]).toArray(Float.self)
        Random.seed(42)
        let b = Tensor.randn([5]).toArray(Float.self)
        #expect(a == b)
    }
}
