// AtomicFile.swift — replacing a file so that a reader, or the disk after a crash, sees the old file or the whole
// new one, never a torn one: the bytes go to a temporary file in the same folder (`PATH.tmp-<pid>-<random>`), which
// is fsync'ed, renamed over PATH, and then the folder is fsync'ed so that the rename itself survives a power cut.
//
// Two ways in: `AtomicFile.write(data, to:)` for bytes in memory, and `AtomicFile.Writer` for files streamed in
// pieces (token shards, safetensors files): open, write (and patch a header with `write(_:at:)`), `commit()`. A
// writer dropped or failed before `commit()` removes its temporary file and leaves PATH as it was.
//
// Every failure is an AtomicFileError naming the file, the step that failed and the system's reason, with a hint
// for the usual causes (no such folder, not writable, disk full); callers whose API promises another error type map
// it. It does not create folders, and it does not lock: two processes writing one path both succeed, the last
// rename wins.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Writes `data` to `path` atomically and durably, replacing any file there. The folder must exist.
    public static func write(_ data: Data, to path: String) throws(AtomicFileError) {
        let writer = try Writer(path: path)
        try writer.write(data)
        try writer.commit()
    }

    /// A file written in pieces to a temporary file and put in place by `commit()`. One thread at a time.
    public final class Writer {
        /// The file it replaces.
        public let path: String
        /// Where the bytes go until `commit()`.
        public let temporary: String
        private var fd: Int32
        private var committed = false

        /// Creates the temporary file beside `path`.
        public init(path: String) throws(AtomicFileError) {
            self.path = path
            temporary = path + ".tmp-\(getpid())-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                let code = errno
                throw AtomicFileError(path: path, "cannot create \(temporary)", code: code,
                                      hint: code == ENOENT ? "the folder does not exist" : "check that the folder is writable")
            }
        }

        deinit { if !committed { discard() } }

        /// Appends `bytes` (short writes and interruptions are retried).
        public func write(_ bytes: UnsafeRawBufferPointer) throws(AtomicFileError) {
            try checkOpen()
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let written = systemWrite(fd, next, min(left, 1 << 30))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", errno)
                }
                next += written
                left -= written
            }
        }

        public func write(_ data: Data) throws(AtomicFileError) {
            var failure: AtomicFileError?
            data.withUnsafeBytes { bytes in
                do throws(AtomicFileError) { try write(bytes) } catch { failure = error }
            }
            if let failure { throw failure }
        }

        public func write(_ bytes: [UInt8]) throws(AtomicFileError) {
            var failure: AtomicFileError?
            bytes.withUnsafeBytes { raw in
                do throws(AtomicFileError) { try write(raw) } catch { failure = error }
            }
            if let failure { throw failure }
        }

        /// Writes `bytes` at `offset` without moving the end of the file (a header whose contents are known last).
        public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(AtomicFileError) {
            try checkOpen()
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count, position = off_t(offset)
            while left > 0 {
                let written = pwrite(fd, next, left, position)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", errno)
                }
                next += written
                left -= written
                position += off_t(written)
            }
        }

        public func write(_ bytes: [UInt8], at offset: Int) throws(AtomicFileError) {
            var failure: AtomicFileError?
            bytes.withUnsafeBytes { raw in
                do throws(AtomicFileError) { try write(raw, at: offset) } catch { failure = error }
            }
            if let failure { throw failure }
        }

        /// fsyncs the temporary file, renames it over `path` and fsyncs the folder. On failure the temporary file is
        /// removed and `path` is as it was.
        public func commit() throws(AtomicFileError) {
            try checkOpen()
            guard fsync(fd) == 0 else { throw failure("fsync", errno) }
            let descriptor = fd
            fd = -1
            guard close(descriptor) == 0 else { throw failure("close", errno) }
            guard rename(temporary, path) == 0 else {
                let code = errno
                discard()
                throw AtomicFileError(path: path, "cannot rename \(temporary) to it", code: code,
                                      hint: code == EISDIR ? "a folder has this name" : nil)
            }
            committed = true
            AtomicFile.syncFolder(of: path)
        }

        /// Gives up: closes and removes the temporary file (nothing happens after `commit()`).
        public func discard() {
            guard !committed else { return }
            if fd >= 0 {
                close(fd)
                fd = -1
            }
            unlink(temporary)
        }

        private func checkOpen() throws(AtomicFileError) {
            guard fd >= 0, !committed else {
                throw AtomicFileError(path: path, "the temporary file \(temporary) is already closed", code: 0, hint: nil)
            }
        }

        /// The error for a failed step; the temporary file is removed.
        private func failure(_ action: String, _ code: Int32) -> AtomicFileError {
            discard()
            return AtomicFileError(path: path, "cannot \(action) \(temporary)", code: code,
                                   hint: code == ENOSPC || code == EDQUOT ? "the disk is full" : nil)
        }
    }

    /// fsyncs the folder holding `path`, so that a rename into it survives a crash. Best effort: some file systems
    /// refuse to open or sync a folder, and the rename has happened either way.
    public static func syncFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// write(2), under a name that the Writer's own `write` methods do not hide.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// Writing a file atomically failed: the file, what failed (with the system's reason) and a hint.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    /// The file that was to be written.
    public let path: String
    /// What failed and why, e.g. "cannot create out/x.bin.tmp-12-5f3a: No such file or directory (errno 2)".
    public let message: String
    /// errno of the failing call (0 when there is none).
    public let code: Int32
    public let hint: String?

    public init(path: String, _ what: String, code: Int32, hint: String?) {
        self.path = path
        self.code = code
        self.hint = hint
        message = code == 0 ? what : "\(what): \(String(cString: strerror(code))) (errno \(code))"
    }

    public var description: String {
        "\(path): \(message)" + (hint.map { ". hint: \($0)" } ?? "")
    }
}
