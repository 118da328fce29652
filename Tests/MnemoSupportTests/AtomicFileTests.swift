// AtomicFileTests.swift — the one atomic, durable file writer: replacing, streaming with a header patched last,
// giving up without a trace, and errors that name the file and say what to do.
import Foundation
import Testing
@testable import MnemoSupport

private func withTemporaryFolder(_ body: (String) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-atomic-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try body(folder)
}

@Suite("atomic file")
struct AtomicFileTests {
    @Test("writes and replaces a file; no temporary file is left")
    func writeAndReplace() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/a.txt"
            try AtomicFile.write(Data("first".utf8), to: path)
            #expect(FileManager.default.contents(atPath: path) == Data("first".utf8))
            try AtomicFile.write(Data(), to: path)
            #expect(FileManager.default.contents(atPath: path) == Data())
            try AtomicFile.write(Data("second".utf8), to: path)
            #expect(FileManager.default.contents(atPath: path) == Data("second".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["a.txt"])
        }
    }

    @Test("streams pieces, patches a header last, and puts the file in place only on commit")
    func streaming() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/s.bin"
            try AtomicFile.write(Data("old".utf8), to: path)
            let writer = try AtomicFile.Writer(path: path)
            try writer.write([0, 0])
            try writer.write(Data([3, 4, 5]))
            try writer.write([1, 2], at: 0)
            #expect(FileManager.default.contents(atPath: path) == Data("old".utf8))  // not yet
            #expect(FileManager.default.fileExists(atPath: writer.temporary))
            try writer.commit()
            #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3, 4, 5]))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["s.bin"])
            #expect(throws: AtomicFileError.self) { try writer.write([9]) }  // committed: closed
        }
    }

    @Test("a writer dropped or discarded before commit leaves the old file and no temporary file")
    func discard() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/d.bin"
            try AtomicFile.write(Data("keep".utf8), to: path)
            do {
                let writer = try AtomicFile.Writer(path: path)
                try writer.write([1, 2, 3])
            }
            let discarded = try AtomicFile.Writer(path: path)
            try discarded.write([1])
            discarded.discard()
            #expect(throws: AtomicFileError.self) { try discarded.commit() }
            #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["d.bin"])
        }
    }

    @Test("a missing folder: the path, the reason and a hint")
    func missingFolder() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/no/such/x.json"
            let error = try #require(throws: AtomicFileError.self) { try AtomicFile.write(Data("x".utf8), to: path) }
            #expect(error.path == path && error.code == ENOENT)
            #expect(error.hint == "the folder does not exist")
            #expect(error.description.hasPrefix(path + ": cannot create " + path + ".tmp-"))
            #expect(error.description.contains("No such file or directory (errno 2). hint: the folder does not exist"))
        }
    }

    @Test("a folder in the way: an error, the folder untouched, the temporary file removed")
    func folderInTheWay() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/taken"
            try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
            let error = try #require(throws: AtomicFileError.self) { try AtomicFile.write(Data("x".utf8), to: path) }
            #expect(error.message.hasPrefix("cannot rename"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["taken"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["inside"])
        }
    }
}
