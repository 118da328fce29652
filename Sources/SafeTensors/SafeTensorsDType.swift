// The element types a safetensors header may name, with their string codes and sizes in bytes.
//
// Covers every byte-sized dtype of the reference implementation (huggingface/safetensors 0.8). The sub-byte
// dtypes (F4, F6_E2M3, F6_E3M2: several elements packed per byte) are refused when a file is read: their byte
// count is not `count × size` and nothing in Mnemo computes with them.

/// An element type of the safetensors format. The raw value is the code written in the JSON header.
///
/// Cases are declared in the reference implementation's order, which is by increasing alignment.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case float8E8M0 = "F8_E8M0"
    case float8E4M3FNUZ = "F8_E4M3FNUZ"
    case float8E5M2FNUZ = "F8_E5M2FNUZ"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case complex64 = "C64"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// The codes of the format that Mnemo knows but refuses (sub-byte, packed element types).
    public static let unsupportedCodes: Set<String> = ["F4", "F6_E2M3", "F6_E3M2"]

    /// The header code, e.g. `"F32"`.
    public var code: String { rawValue }

    /// Creates the dtype for a header code such as `"BF16"` (codes are case-sensitive), or nil.
    public init?(code: String) { self.init(rawValue: code) }

    /// Bytes per element. Also the alignment a tensor of this dtype wants in memory.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0, .float8E4M3FNUZ, .float8E5M2FNUZ: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .complex64, .float64, .int64, .uint64: 8
        }
    }

    /// The position in the reference implementation's order (increasing alignment); the writer lays out data
    /// by decreasing rank, as the reference does.
    var layoutRank: Int { Self.allCases.firstIndex(of: self)! }

    /// True for the floating-point (and complex) types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float8E5M2, .float8E4M3, .float8E8M0, .float8E4M3FNUZ, .float8E5M2FNUZ,
             .float16, .bfloat16, .float32, .float64, .complex64: true
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: false
        }
    }
}

extension SafeTensorsDType: CustomStringConvertible {
    public var description: String { rawValue }
}
