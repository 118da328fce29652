// StudyTestSupport.swift — what the study tests share: a scratch folder, a small text corpus and the presets' paths.
import Foundation

func temporaryFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A few KB of text with structure a tiny model can learn.
func writeCorpus(in folder: String) throws -> String {
    var text = ""
    for i in 0..<400 { text += "line \(i % 17): the quick brown fox jumps over the lazy dog.\n" }
    let path = "\(folder)/corpus.txt"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The absolute path of a preset in the repository's configs/ ("looped-cpu.toml").
func presetPath(_ name: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("configs/\(name)").path
}
