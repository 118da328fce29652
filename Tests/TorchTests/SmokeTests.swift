import Testing
@testable import Torch

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
