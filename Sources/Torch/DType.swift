// DType.swift — element types a Tensor can hold, mirroring torch.dtype.
import CTorch

public enum DType: Sendable, Hashable, CustomStringConvertible {
    case float32, float64, bfloat16, float16, int64, int32, int16, int8, uint8, bool

    public static let float = DType.float32
    public static let double = DType.float64
    public static let long = DType.int64

    var raw: mt_dtype {
        switch self {
        case .float32: MT_FLOAT32
        case .float64: MT_FLOAT64
        case .bfloat16: MT_BFLOAT16
        case .float16: MT_FLOAT16
        case .int64: MT_INT64
        case .int32: MT_INT32
        case .int16: MT_INT16
        case .int8: MT_INT8
        case .uint8: MT_UINT8
        case .bool: MT_BOOL
        }
    }

    /// nil for MT_DTYPE_UNKNOWN (mt_get_dtype's failure value) and any value the shim does not define.
    init?(raw: mt_dtype) {
        switch raw {
        case MT_FLOAT32: self = .float32
        case MT_FLOAT64: self = .float64
        case MT_BFLOAT16: self = .bfloat16
        case MT_FLOAT16: self = .float16
        case MT_INT64: self = .int64
        case MT_INT32: self = .int32
        case MT_INT16: self = .int16
        case MT_INT8: self = .int8
        case MT_UINT8: self = .uint8
        case MT_BOOL: self = .bool
        default: return nil
        }
    }

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .bfloat16, .float16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { [.float32, .float64, .bfloat16, .float16].contains(self) }

    /// The name PyTorch prints (`torch.float32` → "float32").
    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .bfloat16: "bfloat16"
        case .float16: "float16"
        case .int64: "int64"
        case .int32: "int32"
        case .int16: "int16"
        case .int8: "int8"
        case .uint8: "uint8"
        case .bool: "bool"
        }
    }
}
