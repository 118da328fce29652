// Tensor+SafeTensors.swift — loading and saving named tensors as safetensors files.
//
// Reading validates the whole header first (SafeTensorsFile) and copies each tensor's bytes straight from
// the memory-mapped file into a libtorch tensor. Writing is atomic (temporary file, fsync, rename).
import CTorch
import Foundation
import SafeTensors

extension DType {
    public var safeTensorsDType: SafeTensorsDType {
        switch self {
        case .float32: .float32
        case .float64: .float64
        case .bfloat16: .bfloat16
        case .float16: .float16
        case .int64: .int64
        case .int32: .int32
        case .int16: .int16
        case .int8: .int8
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    public init?(_ s: SafeTensorsDType) {
        switch s {
        case .float32: self = .float32
        case .float64: self = .float64
        case .bfloat16: self = .bfloat16
        case .float16: self = .float16
        case .int64: self = .int64
        case .int32: self = .int32
        case .int16: self = .int16
        case .int8: self = .int8
        case .uint8: self = .uint8
        case .bool: self = .bool
        default: return nil
        }
    }
}

extension SafeTensorsFile {
    /// The named tensor as a fresh libtorch tensor on `device`.
    public func tensor(_ name: String, device: Device = .cpu) throws -> Torch.Tensor {
        let info = try self.info(name)
        guard let dtype = DType(info.dtype) else {
            throw SafeTensorsError(.unknownDType, file: path, tensor: name,
                                   "dtype \(info.dtype.code) has no libtorch counterpart in Mnemo")
        }
        let dims = info.shape.map(Int64.init)
        return try withUnsafeBytes(of: name) { raw in
            let h = mt_from_data(raw.baseAddress, dims, Int64(dims.count), dtype.raw, device.raw)
            let t = wrap(h, "load \(name) from \(path)")
            if mt_last_error() != nil, h == nil { throw TorchError("load \(name): \(lastErrorMessage())") }
            return t
        }
    }

    /// Every tensor of the file by name.
    public func tensors(device: Device = .cpu) throws -> [String: Torch.Tensor] {
        var out: [String: Torch.Tensor] = [:]
        for name in names { out[name] = try tensor(name, device: device) }
        return out
    }
}

public enum SafeTensorsIO {
    /// Reads all tensors of a safetensors file.
    public static func load(_ path: String, device: Device = .cpu) throws -> [String: Tensor] {
        try SafeTensorsFile(path: path).tensors(device: device)
    }

    /// Reads all tensors and the metadata.
    public static func loadWithMetadata(_ path: String, device: Device = .cpu) throws -> ([String: Tensor], [String: String]) {
        let file = try SafeTensorsFile(path: path)
        return (try file.tensors(device: device), file.metadata)
    }

    /// Writes tensors (any device, any layout; values are copied to the CPU) atomically.
    public static func save(_ tensors: [String: Tensor], to path: String, metadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter(metadata: metadata)
        for name in tensors.keys.sorted() {
            let t = tensors[name]!.detached()
            let bytes = t.withUnsafeBytes { Data($0) }
            try writer.append(name, dtype: t.dtype.safeTensorsDType, shape: t.shape, bytes: bytes)
        }
        try writer.write(to: path)
    }
}
