// ModelRegistry.swift — models by name, for `mnemo train | sample | eval | report` and resumed runs.
//
// A run names its model (`model = "gpt"`, the default); the model's configuration type owns the schema of its
// keys (GPT: nanoGPT's n_layer, n_head, …). Adding a model is one file with its configuration and one line in
// `ModelRegistry.all`.
import Torch
import TorchNN

/// The settings of one kind of model.
public protocol ModelConfiguration: Sendable {
    /// The settings a run file may give for this model, with their keys.
    static var schema: SettingsSchema<Self> { get }
    /// The values a run starts from when its file does not set them.
    static var defaults: Self { get }
    /// The smallest useful shape (vocabulary following the tokenizer): what the registry's conformance test trains.
    static var tiny: Self { get }
    /// Vocabulary size; 0 follows the tokenizer (the trainer fills it in).
    var vocabSize: Int { get set }
    /// The context the model reads: the trainer's windows have this many tokens.
    var contextLength: Int { get }
    /// The key of that setting in this model's schema (`context_length` names it on every model).
    static var contextLengthKey: String { get }
    /// What makes the settings unusable, as messages that say what to fix (vocab_size is filled in first).
    func problems() -> [String]
}

/// A model the registry can build.
public struct RegisteredModel: Sendable {
    public let name: String
    public let summary: String
    /// `mnemo export` writes it as a Hugging Face folder that HuggingFaceImport (and transformers) read back.
    public let exportsToHuggingFace: Bool
    let defaults: any ModelConfiguration
    let tinyConfiguration: any ModelConfiguration
    let keysOf: @Sendable () -> [String]
    let setter: @Sendable (inout any ModelConfiguration, String, Any, String) throws -> Void
    let valuesOf: @Sendable (any ModelConfiguration) -> [(key: String, value: SettingValue)]
    let builder: @Sendable (any ModelConfiguration) -> any LanguageModel

    public init<C: ModelConfiguration>(_ name: String, summary: String, _ type: C.Type, exportsToHuggingFace: Bool = false,
                                       build: @escaping @Sendable (C) -> any LanguageModel) {
        self.name = name
        self.summary = summary
        self.exportsToHuggingFace = exportsToHuggingFace
        defaults = C.defaults
        tinyConfiguration = C.tiny
        keysOf = { C.schema.keys }
        setter = { config, key, value, source in
            guard var typed = config as? C else { throw ConfigError("\(source): the settings are not \(name)'s") }
            try C.schema.set(key, value, on: &typed, source: source)
            config = typed
        }
        valuesOf = { config in (config as? C).map { C.schema.values(of: $0) } ?? [] }
        builder = { config in build(config as! C) }
    }

    public var keys: [String] { keysOf() }
    /// The model at its tiny shape.
    public var tiny: ModelSpec { ModelSpec(name: name, configuration: tinyConfiguration) }
}

/// A model's name and its settings: what a run trains.
public struct ModelSpec: Sendable, CustomStringConvertible {
    public private(set) var name: String
    public var configuration: any ModelConfiguration

    /// The registered model `name` with its default settings.
    public init(_ name: String) throws {
        guard let entry = ModelRegistry.entry(name) else {
            throw ConfigError("unknown model '\(name)'; known models: \(ModelRegistry.names.joined(separator: ", "))")
        }
        self.name = name
        configuration = entry.defaults
    }

    public init<C: ModelConfiguration>(name: String, _ configuration: C) {
        self.name = name
        self.configuration = configuration
    }

    init(name: String, configuration: any ModelConfiguration) {
        self.name = name
        self.configuration = configuration
    }

    var entry: RegisteredModel { ModelRegistry.entry(name)! }
    /// The key of the model's window setting (block_size, max_seq_len, …).
    public var contextLengthKey: String { type(of: configuration).contextLengthKey }
    public var keys: [String] { entry.keys }
    public func has(_ key: String) -> Bool { keys.contains(key) }

    public mutating func set(_ key: String, _ value: Any, source: String) throws {
        try entry.setter(&configuration, key, value, source)
    }
    public var values: [(key: String, value: SettingValue)] { entry.valuesOf(configuration) }
    public func value(_ key: String) -> SettingValue? { values.first { $0.key == key }?.value }

    /// The model, freshly initialised.
    public func build() throws -> any LanguageModel {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ConfigError(problems.joined(separator: "\n")) }
        return entry.builder(configuration)
    }

    public var description: String {
        "\(name)(" + values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }
}

extension ModelSpec: Equatable {
    public static func == (a: ModelSpec, b: ModelSpec) -> Bool {
        a.name == b.name && a.values.map(\.key) == b.values.map(\.key) && a.values.map(\.value) == b.values.map(\.value)
    }
}

public enum ModelRegistry {
    /// Every model a run may name. One line per model.
    public static let all: [RegisteredModel] = [
        RegisteredModel("gpt", summary: "GPT-2 architecture (nanoGPT's model.py)", GPTConfig.self,
                        exportsToHuggingFace: true) { GPT($0) },
        RegisteredModel("minimind", summary: "MiniMind: Llama-family decoder (RMSNorm, RoPE, GQA, SwiGLU, optional MoE)",
                        MiniMindConfig.self, exportsToHuggingFace: true) { MiniMind($0) },
        RegisteredModel("mlp", summary: "Bengio-style MLP language model (a model with an auxiliary loss and a metric)",
                        MLPLanguageModelConfig.self) { MLPLanguageModel($0) },
        RegisteredModel("grok_mlp", summary: "the grokking paper's MLP: one-hot pair → 200 → 200 → p, answering once",
                        GrokMLPConfig.self) { GrokMLP($0) },
        RegisteredModel("grok_transformer", summary: "a one-layer transformer on the pair, answering at the last position",
                        GrokTransformerConfig.self) { GrokTransformer($0) },
    ]

    public static var names: [String] { all.map(\.name) }
    public static func entry(_ name: String) -> RegisteredModel? { all.first { $0.name == name } }
}
