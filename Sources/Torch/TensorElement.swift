// TensorElement.swift — the Swift types that can be copied in and out of tensors.

public protocol TensorElement: Sendable {
    static var dtype: DType { get }
    static var zeroValue: Self { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 }; public static var zeroValue: Float { 0 } }
extension Double: TensorElement { public static var dtype: DType { .float64 }; public static var zeroValue: Double { 0 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 }; public static var zeroValue: Int64 { 0 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 }; public static var zeroValue: Int32 { 0 } }
extension Int16: TensorElement { public static var dtype: DType { .int16 }; public static var zeroValue: Int16 { 0 } }
extension Int8: TensorElement { public static var dtype: DType { .int8 }; public static var zeroValue: Int8 { 0 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 }; public static var zeroValue: UInt8 { 0 } }
extension Bool: TensorElement { public static var dtype: DType { .bool }; public static var zeroValue: Bool { false } }
/// Swift's `Int` is 64-bit on every platform Mnemo supports; it maps to int64.
extension Int: TensorElement { public static var dtype: DType { .int64 }; public static var zeroValue: Int { 0 } }
#if arch(x86_64) || arch(arm64)
extension Float16: TensorElement { public static var dtype: DType { .float16 }; public static var zeroValue: Float16 { 0 } }
#endif
