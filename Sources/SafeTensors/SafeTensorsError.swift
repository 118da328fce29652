// The one error type of the SafeTensors module: what went wrong, in which file, for which tensor, and a hint.

/// A safetensors file could not be read or written.
///
/// `description` is a full sentence meant for a person, in the form
/// `FILE: tensor "NAME": what is wrong. hint: what to try`, e.g.
///
///     model.safetensors: tensor "wte.weight": data_offsets [0, 100] hold 100 bytes but F32 [5, 6] needs 120 bytes.
///     hint: the header does not match the data; the file was probably written by a buggy tool
///
/// `kind` lets code (and tests) tell failures apart without parsing the message.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The file could not be opened, mapped, written or renamed (the message carries `strerror`).
        case io
        /// The file is shorter than the 8-byte header length.
        case headerTooSmall
        /// The declared header length is above the cap (`SafeTensorsFile.maxHeaderByteCount`).
        case headerTooLarge
        /// The declared header length runs past the end of the file.
        case headerLength
        /// The header bytes are not valid UTF-8.
        case headerNotUTF8
        /// The header is not JSON, or not a JSON object (syntax error, duplicate key, nesting too deep).
        case headerNotJSON
        /// A tensor entry is not an object or lacks `dtype`, `shape` or `data_offsets`.
        case invalidEntry
        /// `dtype` is not a string naming a dtype Mnemo supports.
        case unknownDType
        /// `shape` is not an array of non-negative 64-bit integers.
        case invalidShape
        /// The element count or byte count computed from `shape` does not fit in 64 bits.
        case overflow
        /// `data_offsets` is not `[begin, end]` with integers `0 <= begin <= end`.
        case invalidOffsets
        /// `end - begin` differs from element count × element size.
        case sizeMismatch
        /// The tensor's bytes run past the end of the data section.
        case outOfBounds
        /// Two tensors share bytes.
        case overlap
        /// Some bytes of the data section belong to no tensor (at the start, between tensors or at the end).
        case gap
        /// `__metadata__` is not an object whose values are all strings.
        case invalidMetadata
        /// No tensor of that name is in the file.
        case tensorNotFound
        /// The writer was given a tensor whose name, shape or byte count is not acceptable.
        case invalidTensor
    }

    public let kind: Kind
    /// The file (path as given), or `<memory>` for in-memory encoding.
    public let file: String
    /// The tensor concerned, if any.
    public let tensor: String?
    /// What is wrong, without the file and tensor (they are added by `description`).
    public let message: String
    /// What to check or do about it, if there is something useful to say.
    public let hint: String?

    public init(_ kind: Kind, file: String, tensor: String? = nil, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = file + ": "
        if let tensor { text += "tensor \(quoted(tensor)): " }
        text += message
        if let hint { text += ". hint: " + hint }
        return text
    }
}

/// A string in double quotes, with control characters and quotes escaped, cut to a readable length.
func quoted(_ text: String, limit: Int = 80) -> String {
    var out = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit { out += "…"; break }
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}
