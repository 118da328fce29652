// ErrorTests.swift — libtorch failures inside `withError { }` become TorchErrors with libtorch's own message
// (no C++ backtrace), and the thread is usable again right after.
import Testing
@testable import Torch

@Suite struct ErrorTests {
    @Test func matmulShapeMismatchThrowsLibtorchMessage() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        let error = #expect(throws: TorchError.self) { try withError { a.matmul(b) } }
        guard let message = error?.message else { return }
        #expect(message.contains("cannot be multiplied"), "\(message)")
        #expect(message.contains("matmul of [2, 3] and [4, 5]"), "the Swift context is missing: \(message)")
        #expect(!message.contains("Exception raised from"), "C++ backtrace leaked: \(message)")
    }

    @Test func badReshapeThrows() {
        let t = Tensor.zeros([3, 4])
        let error = #expect(throws: TorchError.self) { try withError { t.reshape(5, 3) } }
        #expect(error?.message.contains("invalid for input of size 12") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Exception raised from") == false)
    }

    @Test func outOfRangeIndexSelectThrows() {
        let t = Tensor.zeros([5, 3])
        let index = Tensor([0, 7] as [Int64])
        let error = #expect(throws: TorchError.self) { try withError { t.indexSelect(dim: 0, index: index) } }
        #expect(error?.message.contains("out of range") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Exception raised from") == false)
    }

    @Test func catOfMismatchedShapesThrows() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([2, 4])
        let error = #expect(throws: TorchError.self) { try withError { cat([a, b], dim: 0) } }
        #expect(error?.message.contains("Sizes of tensors must match") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Exception raised from") == false)
    }

    @Test func firstErrorOfTheScopeIsThrown() {
        let a = Tensor.zeros([2, 3])
        let error = #expect(throws: TorchError.self) {
            try withError {
                _ = a.matmul(Tensor.zeros([4, 5]))
                _ = a.reshape(7)
            }
        }
        #expect(error?.message.contains("cannot be multiplied") == true, "\(error?.message ?? "")")
    }

    @Test func nextOpAfterAnErrorSucceeds() throws {
        let a = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(throws: TorchError.self) { try withError { a.matmul(Tensor.zeros([4, 5])) } }
        // Same thread, straight after: no stale error may leak into the next call or into item().
        let c = try withError { a.matmul(Tensor.ones([3, 1])) }
        #expect(c.shape == [2, 1])
        #expect(c.toArray(Float.self) == [6, 15])
        #expect(c.sum().item() == 21)
        // And outside any scope an op works normally.
        #expect((a + 1.0).sum().item() == 27)
    }

    /// A failed op's result inside the scope must not pass for data: an in-place op or arithmetic with it fails
    /// (recorded, not a crash) instead of broadcasting a stand-in value into real tensors.
    @Test func failedResultCannotLeakIntoLaterOps() {
        let x = Tensor([1, 2, 3] as [Float])
        var standIn: Tensor?
        let error = #expect(throws: TorchError.self) {
            try withError {
                let result = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
                standIn = result
                x.add_(result)
                x += result
                x *= result
                x.copy_(result)
                x.add_(x * result)
                x[0] = result
                #expect(result.item().isNaN, "item() of a failed result reads as data")
            }
        }
        #expect(error?.message.contains("matmul of [2, 3] and [4, 5]") == true, "not the first error: \(error?.message ?? "")")
        #expect(error?.message.contains("cannot be multiplied") == true, "\(error?.message ?? "")")
        #expect(x.toArray(Float.self) == [1, 2, 3], "the failed result leaked into x")
        #expect(standIn?.isDefined == false)
    }

    /// Whatever a caller does with a failed result inside the scope is recorded, never a crash of the process.
    @Test func opsOnAFailedResultAreRecordedNotFatal() {
        let error = #expect(throws: TorchError.self) {
            try withError {
                let result = Tensor.zeros([2, 3]).reshape(7)
                _ = (result.shape, result.strides, result.size(0), result.size(-1), result.count, result.dtype)
                _ = (result.device, result.isContiguous, result.requiresGrad, result.isLeaf, result.grad)
                _ = result.toArray(Float.self)
                _ = result.item(Float.self)
                _ = result.description
                _ = result.sum().softmax(dim: 0).reshape(2, 2)
                _ = result.split(1)
                _ = result.max(dim: 0)
                _ = result[0]
                _ = cat([Tensor.zeros([2]), result])
                result.backward()
            }
        }
        #expect(error?.message.contains("invalid for input of size 6") == true, "\(error?.message ?? "")")
    }

    @Test func successfulScopeReturnsItsValue() throws {
        let value = try withError { Tensor.ones([2, 2]).sum().item() }
        #expect(value == 4)
    }
}
