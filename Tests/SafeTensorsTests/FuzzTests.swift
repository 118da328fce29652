// Random damage to a valid file: every variant must open or throw a SafeTensorsError, never crash. And the
// hand-written UTF-8 check agrees with the standard library's on random byte strings.

import Foundation
import MnemoSupport
import Testing
@testable import SafeTensors

/// SplitMix64: a small deterministic generator, so that a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("fuzz")
struct FuzzTests {
    @Test("damaged copies of Python's file open or throw, never crash")
    func damagedFiles() throws {
        let original = try [UInt8](Data(contentsOf: fixturesFolder().appendingPathComponent("dtypes.safetensors")))
        var generator = SplitMix64(state: 2024)
        let structural = Array("{}[]\",:0123456789-.e \\u".utf8)
        var opened = 0
        var refused = 0
        try withTemporaryFolder { folder in
            for round in 0..<1000 {
                var bytes = original
                switch round % 5 {
                case 0:  // flip bits anywhere in the first 8 + header bytes
                    for _ in 0..<Int.random(in: 1...4, using: &generator) {
                        let i = Int.random(in: 0..<1296, using: &generator)
                        bytes[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
                    }
                case 1:  // JSON punctuation and digits dropped into the header
                    for _ in 0..<Int.random(in: 1...3, using: &generator) {
                        bytes[Int.random(in: 8..<1296, using: &generator)] = structural.randomElement(using: &generator)!
                    }
                case 2:  // truncated
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
                case 3:  // bytes removed from inside the header, length unchanged
                    let i = Int.random(in: 8..<1290, using: &generator)
                    bytes.removeSubrange(i..<(i + Int.random(in: 1...6, using: &generator)))
                default:  // random garbage appended or inserted
                    let garbage = (0..<Int.random(in: 1...16, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    bytes.insert(contentsOf: garbage, at: Int.random(in: 0...bytes.count, using: &generator))
                }
                let path = try writeFile(bytes, named: "fuzz-\(round).safetensors", in: folder)
                do {
                    let file = try SafeTensorsFile(path: path)
                    for name in file.names { _ = try file.data(of: name) }  // every byte reachable
                    opened += 1
                } catch let error as SafeTensorsError {
                    #expect(error.file == path)
                    refused += 1
                }
                try FileManager.default.removeItem(atPath: path)
            }
        }
        #expect(opened + refused == 1000)
        #expect(refused > 700)
    }

    @Test("UTF-8 validation agrees with the standard library")
    func utf8() {
        var generator = SplitMix64(state: 7)
        // Bytes weighted towards the interesting lead and continuation ranges.
        let palette: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
                                0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...6, using: &generator)).map { _ in palette.randomElement(using: &generator)! }
            let ours = bytes.withUnsafeBytes { firstInvalidUTF8($0) } == nil
            let standard = String(validating: bytes, as: UTF8.self) != nil
            #expect(ours == standard, "\(bytes.map { String($0, radix: 16) })")
        }
        for text in ["", "plain", "naïve ✓ 😀 日本", "\u{10FFFF}\u{FFFF}\u{E000}\u{D7FF}"] {
            #expect(Array(text.utf8).withUnsafeBytes { firstInvalidUTF8($0) } == nil)
        }
    }
}
