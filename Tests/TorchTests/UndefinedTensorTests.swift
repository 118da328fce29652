// UndefinedTensorTests.swift — a handle to an undefined libtorch tensor (no storage, no dtype; what a failed op
// returns inside `withError`) must never take the process down with a C++ exception: every shim function that
// reads it fails through the usual path, so metadata and ops on it are recorded inside `withError` and stop the
// program with the shim's message outside it.
import Foundation
import Testing
@testable import Torch

@Suite struct UndefinedTensorTests {
    static func undefined() -> Tensor { Tensor.standIn() }

    /// Every metadata accessor, by the name its failure message starts with.
    static var accessors: [(name: String, read: (Tensor) -> Void)] { [
        ("ndim", { _ = $0.ndim }),
        ("shape", { _ = $0.shape }),
        ("strides", { _ = $0.strides }),
        ("count", { _ = $0.count }),
        ("dtype", { _ = $0.dtype }),
        ("device", { _ = $0.device }),
        ("isContiguous", { _ = $0.isContiguous }),
        ("requiresGrad", { _ = $0.requiresGrad }),
        ("isLeaf", { _ = $0.isLeaf }),
        ("isSame", { _ = $0.isSame(Tensor.zeros([1])) }),
        ("item()", { _ = $0.item() }),
        ("itemInt()", { _ = $0.itemInt() }),
    ] }

    @Test func metadataOfAnUndefinedTensorIsAnErrorNotACrash() {
        for (name, read) in Self.accessors {
            let t = Self.undefined()
            let error = #expect(throws: TorchError.self, "\(name)") { try withError { read(t) } }
            guard let message = error?.message else { continue }
            #expect(message.hasPrefix("\(name)"), "\(message)")
            #expect(message.contains("undefined tensor"), "\(name): \(message)")
            #expect(!message.contains("Exception raised from"), "C++ backtrace leaked: \(message)")
        }
    }

    @Test func opsGivenAnUndefinedTensorFailWithAClearMessage() {
        let t = Self.undefined(), x = Tensor([1, 2, 3] as [Float])
        let error = #expect(throws: TorchError.self) { try withError { x + t } }
        #expect(error?.message.contains("undefined tensor") == true, "\(error?.message ?? "")")
        #expect(x.toArray(Float.self) == [1, 2, 3])
    }

    @Test func definedTellsItApart() throws {
        let undefined = Self.undefined()
        // A question, not a failure: nothing is recorded.
        #expect(try withError { undefined.isDefined } == false)
        #expect(Tensor.zeros([2]).isDefined)
        #expect(undefined.description.contains("undefined"))
    }

    /// Outside `withError` the program stops with the shim's message (a Swift trap), not a C++ terminate.
    @Test func ndimOutsideWithErrorStopsWithTheShimMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = UndefinedTensorTests.undefined().ndim
        }
        guard let result else { return }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("torch: ndim: undefined tensor"), "\(stderr)")
        #expect(!stderr.contains("terminate called"), "\(stderr)")
    }
}
