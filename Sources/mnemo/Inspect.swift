// `mnemo inspect FILE.safetensors`: the tensors (name, dtype, shape, bytes) and metadata of a safetensors file.
//
// Uses only the SafeTensors module: it validates the whole header and layout, reads no tensor data and never
// starts libtorch. A missing or corrupt file prints `error: <what, where, hint>` on stderr and exits with 1.

import ArgumentParser
import Foundation
import MnemoSupport
import SafeTensors

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors and metadata of a safetensors file.",
        discussion: """
            Checks the whole header first (dtypes, shapes, offsets, layout) and reports the first problem found. \
            Tensors are listed in file order (by position in the data section).
            """
    )

    @Argument(help: "The .safetensors file to inspect.")
    var file: String

    func run() throws {
        let contents: SafeTensorsFile
        do {
            contents = try SafeTensorsFile(path: file)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print(Self.report(contents), terminator: "")
    }

    /// The listing: a header line, an aligned table, a total line, then the metadata.
    static func report(_ contents: SafeTensorsFile) -> String {
        var out = "\(contents.path): \(groupedThousands(contents.fileByteCount)) bytes, header \(groupedThousands(contents.dataStart - 8)) bytes\n"
        let header = ["name", "dtype", "shape", "bytes"]
        let rows = contents.tensors.map { tensor in
            [printable(tensor.name), tensor.dtype.code,
             "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]", groupedThousands(tensor.byteCount)]
        }
        if rows.isEmpty {
            out += "no tensors\n"
        } else {
            var widths = header.map(\.count)
            for row in rows {
                for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
            }
            func line(_ cells: [String]) -> String {
                var text = ""
                for (column, cell) in cells.enumerated() {
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    if column == cells.count - 1 {
                        text += padding + cell  // bytes: right-aligned
                    } else {
                        text += cell + padding + "  "
                    }
                }
                return text + "\n"
            }
            out += line(header)
            for row in rows { out += line(row) }
        }
        let parameters = contents.tensors.reduce(0) { $0 + $1.elementCount }
        let bytes = contents.tensors.reduce(0) { $0 + $1.byteCount }
        let noun = contents.count == 1 ? "tensor" : "tensors"
        out += "total: \(groupedThousands(contents.count)) \(noun), \(groupedThousands(parameters)) parameters, \(groupedThousands(bytes)) bytes"
            + (bytes >= 1024 ? " (\(humanBytes(bytes)))\n" : "\n")
        if contents.metadata.isEmpty {
            out += "metadata: none\n"
        } else {
            out += "metadata:\n"
            let keys = contents.metadata.keys.sorted()
            let width = keys.map { printable($0).count }.max() ?? 0
            for key in keys {
                let name = printable(key)
                let value = contents.metadata[key]!
                out += "  " + name + String(repeating: " ", count: width - name.count) + "  "
                    + (value.isEmpty ? "\"\"" : printable(value)) + "\n"
            }
        }
        return out
    }
}

/// Control characters escaped, so that one name or value stays on one line of the table.
private func printable(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
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
    }
    return out
}
