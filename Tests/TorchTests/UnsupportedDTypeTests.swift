// UnsupportedDTypeTests.swift — a libtorch tensor whose dtype Mnemo has no DType for must not pass for float32:
// `dtype` reports an error naming libtorch's dtype (recorded inside `withError`, stopping the program outside).
// No Mnemo op makes such a tensor (every creation and cast takes a DType), so CTorchTestSupport makes them.
import CTorchTestSupport
import Foundation
import Testing
@testable import Torch

@Suite struct UnsupportedDTypeTests {
    static func tensor(_ dtype: mt_test_dtype) -> Tensor { Tensor(handle: mt_test_tensor_of_unsupported_dtype(dtype)!) }

    @Test func dtypeIsAnErrorNamingTheLibtorchDType() {
        let cases: [(dtype: mt_test_dtype, name: String)] = [
            (MT_TEST_COMPLEX64, "ComplexFloat"), (MT_TEST_UINT16, "UInt16"), (MT_TEST_FLOAT8_E4M3FN, "Float8_e4m3fn"),
        ]
        for (dtype, name) in cases {
            let t = Self.tensor(dtype)
            let error = #expect(throws: TorchError.self, "\(name)") { try withError { t.dtype } }
            guard let message = error?.message else { continue }
            #expect(message.hasPrefix("dtype: "), "\(message)")
            #expect(message.contains(name), "the libtorch dtype is not named: \(message)")
            #expect(!message.contains("Exception raised from"), "C++ backtrace leaked: \(message)")
        }
    }

    /// Whatever reads the dtype on the way (here toArray, to pick a conversion) reports the same error.
    @Test func readingValuesReportsTheDType() {
        let t = Self.tensor(MT_TEST_COMPLEX64)
        let error = #expect(throws: TorchError.self) { try withError { t.toArray(Float.self) } }
        #expect(error?.message.contains("ComplexFloat") == true, "\(error?.message ?? "")")
    }

    @Test func dtypeOutsideWithErrorStopsWithTheMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = UnsupportedDTypeTests.tensor(MT_TEST_COMPLEX64).dtype
        }
        guard let result else { return }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("torch: dtype: ") && stderr.contains("ComplexFloat"), "\(stderr)")
    }
}
