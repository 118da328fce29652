// InstructTask.swift — the instruction-tuning study's task, made from a seed, with exact answers: invented people, each
// with three facts (home town, favourite colour, pet).
//
//   pretraining   short biographies, every person's facts in several wordings and orders ("Tavo keeps a fox. Tavo
//                 lives in Arden. Tavo's favourite colour is red."), as {"text"} documents: what the base model knows
//   SFT           conversations about the first 60 % of the people (MiniMind's {"conversations"} jsonl; 1–3 questions,
//                 some with a system prompt); each answer either short ("Arden.") or a sentence ("Tavo lives in
//                 Arden."), half and half
//   preference    for the same people, {"prompt", "chosen", "rejected"} in messages: the sentence chosen over the
//                 short answer (a preference DPO can move and the study can count)
//   test          one question per fact of the other 40 % — people the model met in pretraining only — and of a
//                 sample of the SFT people
// A reply is correct when it names the right value of the fact and no other value of that fact; it is a sentence when
// it starts with the person's name. Chance is one value in ten.
import Foundation
import MnemoData
import MnemoSupport

public struct InstructTask: Sendable {
    public enum Fact: String, CaseIterable, Sendable {
        case city, colour, pet

        /// The ten values a fact takes.
        public var values: [String] {
            switch self {
            case .city: ["Arden", "Belmor", "Corvan", "Dunmere", "Elgar", "Fennick", "Galt", "Harrow", "Ismere", "Jorvik"]
            case .colour: ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "grey", "pink"]
            case .pet: ["cat", "dog", "fox", "owl", "horse", "goat", "frog", "crow", "hare", "duck"]
            }
        }

        /// The wordings of the fact in a biography.
        func statements(_ name: String, _ value: String) -> [String] {
            switch self {
            case .city: ["\(name) lives in \(value).", "\(name) comes from \(value).", "\(name)'s home town is \(value)."]
            case .colour: ["\(name)'s favourite colour is \(value).", "\(name) likes the colour \(value)."]
            case .pet: ["\(name) keeps \(Self.article(value)) \(value).", "\(name) has a pet \(value)."]
            }
        }

        /// The question an instruction asks.
        public func question(_ name: String) -> String {
            switch self {
            case .city: "Where does \(name) live?"
            case .colour: "What is \(name)'s favourite colour?"
            case .pet: "What pet does \(name) have?"
            }
        }

        /// The answer as a sentence (the preferred form).
        public func sentence(_ name: String, _ value: String) -> String {
            switch self {
            case .city: "\(name) lives in \(value)."
            case .colour: "\(name)'s favourite colour is \(value)."
            case .pet: "\(name) has \(Self.article(value)) \(value)."
            }
        }

        static func article(_ noun: String) -> String { "aeiou".contains(noun.prefix(1)) ? "an" : "a" }

        /// The short answer.
        public func short(_ value: String) -> String { value.prefix(1).uppercased() + value.dropFirst() + "." }
    }

    public struct Person: Sendable {
        public var name: String
        /// The value of each fact, by Fact.allCases order.
        public var values: [String]
        public func value(_ fact: Fact) -> String { values[Fact.allCases.firstIndex(of: fact)!] }
    }

    /// One test question with its answer.
    public struct Question: Sendable {
        public var person: Person
        public var fact: Fact
        public var prompt: [ChatMessage] { [ChatMessage(role: "user", content: fact.question(person.name))] }
    }

    public static let system = "You answer questions about the people you know."
    public static let specialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    public let people: [Person]
    /// How many of `people` (the first ones) the SFT and preference data speak of.
    public let tunedCount: Int
    let seed: UInt64

    public init(people count: Int = 240, tunedFraction: Double = 0.6, seed: UInt64 = 1337) {
        var random = SplitMix64(seed)
        let onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"], vowels = ["a", "e", "i", "o", "u"]
        var names = Set<String>(), people: [Person] = []
        while people.count < count {
            let syllables = (0..<Int.random(in: 2...3, using: &random)).map { _ in
                onsets.randomElement(using: &random)! + vowels.randomElement(using: &random)!
            }
            let name = syllables.joined().prefix(1).uppercased() + syllables.joined().dropFirst()
            guard names.insert(name).inserted else { continue }
            people.append(Person(name: name, values: Fact.allCases.map { $0.values.randomElement(using: &random)! }))
        }
        self.people = people
        tunedCount = Int((Double(count) * tunedFraction).rounded())
        self.seed = seed
    }

    public var tuned: ArraySlice<Person> { people[..<tunedCount] }
    public var heldOut: ArraySlice<Person> { people[tunedCount...] }

    /// Pretraining documents: `copies` biographies per person, the facts in a random wording and order each time.
    public func biographies(copies: Int = 8) -> [String] {
        var random = SplitMix64(seed &+ 1), documents: [String] = []
        for _ in 0..<copies {
            for person in people {
                let sentences = Fact.allCases.map { $0.statements(person.name, person.value($0)).randomElement(using: &random)! }
                documents.append(sentences.shuffled(using: &random).joined(separator: " "))
            }
        }
        return documents.shuffled(using: &random)
    }

    /// SFT conversations about the tuned people: `perPerson` each, of 1–3 questions, a third with the system prompt,
    /// each answer short or a sentence at random.
    public func conversations(perPerson: Int = 4) -> [[ChatMessage]] {
        var random = SplitMix64(seed &+ 2), out: [[ChatMessage]] = []
        for _ in 0..<perPerson {
            for person in tuned {
                var messages = Int.random(in: 0..<3, using: &random) == 0 ? [ChatMessage(role: "system", content: Self.system)] : []
                for fact in Fact.allCases.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)) {
                    let value = person.value(fact)
                    let answer = Bool.random(using: &random) ? fact.sentence(person.name, value) : fact.short(value)
                    messages += [ChatMessage(role: "user", content: fact.question(person.name)), ChatMessage(role: "assistant", content: answer)]
                }
                out.append(messages)
            }
        }
        return out.shuffled(using: &random)
    }

    /// Preference pairs about the tuned people: every question, the sentence chosen over the short answer.
    public func preferencePairs() -> [(prompt: [ChatMessage], chosen: String, rejected: String)] {
        tuned.flatMap { person in
            Fact.allCases.map { fact in
                ([ChatMessage(role: "user", content: fact.question(person.name))],
                 fact.sentence(person.name, person.value(fact)), fact.short(person.value(fact)))
            }
        }
    }

    /// Every fact of the held-out people; and of the first `tunedSample` tuned people.
    public func questions(heldOut: Bool, tunedSample: Int = 40) -> [Question] {
        let who = heldOut ? Array(self.heldOut) : Array(tuned.prefix(tunedSample))
        return who.flatMap { person in Fact.allCases.map { Question(person: person, fact: $0) } }
    }

    /// Whether `reply` answers `question` (names the right value and no other), and whether it is a sentence.
    public static func score(_ reply: String, for question: Question) -> (correct: Bool, sentence: Bool) {
        let words = Set(reply.lowercased().split { !$0.isLetter }.map(String.init))
        let named = question.fact.values.filter { words.contains($0.lowercased()) }
        return (named == [question.person.value(question.fact)], reply.hasPrefix(question.person.name + " ") || reply.hasPrefix(question.person.name + "'"))
    }

    // MARK: files

    /// Writes OUT's task files — pretrain.jsonl, sft.jsonl, dpo.jsonl — and a byte-level BPE tokenizer.json trained on
    /// the task's text (ChatML's special tokens added).
    public func write(to folder: String, vocabularySize: Int = 512) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func lines(_ rows: [String]) -> Data { Data(rows.map { $0 + "\n" }.joined().utf8) }
        func messages(_ m: [ChatMessage]) -> String {
            "[" + m.map { "{\"role\": \(jsonQuoted($0.role)), \"content\": \(jsonQuoted($0.content))}" }.joined(separator: ", ") + "]"
        }
        let documents = biographies(), chats = conversations()
        try lines(documents.map { "{\"text\": \(jsonQuoted($0))}" }).write(to: URL(fileURLWithPath: "\(folder)/pretrain.jsonl"))
        try lines(chats.map { "{\"conversations\": \(messages($0))}" }).write(to: URL(fileURLWithPath: "\(folder)/sft.jsonl"))
        try lines(preferencePairs().map {
            "{\"prompt\": \(messages($0.prompt)), \"chosen\": \(messages([ChatMessage(role: "assistant", content: $0.chosen)])), "
                + "\"rejected\": \(messages([ChatMessage(role: "assistant", content: $0.rejected)]))}"
        }).write(to: URL(fileURLWithPath: "\(folder)/dpo.jsonl"))
        let text = documents + chats.flatMap { $0.map(\.content) }
        try BPETrainer(vocabularySize: vocabularySize, specialTokens: Self.specialTokens).train(text).save(to: "\(folder)/tokenizer.json")
    }
}
