// ServeTestSupport.swift — a served tiny GPT for the server's tests: randomly initialised (1 layer, 16 wide, a context
// of 32 unless asked) over a character vocabulary of printable ASCII and "\n", so every prompt a test writes encodes, and ChatML
// is spelt letter by letter (its end of turn is then stopped on as text). `reference` runs on the model before the
// scheduler takes it, so tests compare the server's answers with direct forwards of the same weights.
import Foundation
import Hummingbird
import HummingbirdTesting
import MnemoData
import MnemoModels
import MnemoServe
import MnemoSupport
import Testing
import Torch

let asciiTokenizer = CharTokenizer(corpus: "\n" + String((32...126).map { Character(Unicode.Scalar(UInt8($0))) }))

/// A server over a fresh tiny GPT; `reference` reads the same weights first. The scheduler gets a twin of the model
/// read, built from plain arrays of its weights, so that the model it owns shares no tensor with the test's.
func tinyServer<R>(apiKey: String? = nil, slots: Int = 8, chat: Bool = true, context: Int = 32,
                   reference: (GPT) -> R = { _ in () }) throws -> (server: ModelServer, reference: R) {
    let config = GPTConfig(blockSize: context, vocabSize: asciiTokenizer.vocabularySize, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0, bias: true)
    let original = GPT(config)
    original.eval()
    let expected = withNoGrad { reference(original) }
    let weights = original.stateDict().mapValues { (values: $0.toArray(Float.self), shape: $0.shape) }
    let model = GPT(config)
    model.eval()
    _ = try model.load(stateDict: weights.mapValues { Tensor($0.values, shape: $0.shape) })
    let card = ModelCard(id: "tiny", tokenizer: asciiTokenizer, contextLength: context, chatFormat: chat ? .chatML : nil,
                         created: 1_700_000_000)
    let scheduler = GenerationScheduler(model: model, tokenizer: asciiTokenizer, device: .cpu, lossKind: .softmax, slots: slots)
    return (ModelServer(card: card, scheduler: scheduler, apiKey: apiKey), expected)
}

func ids(_ text: String) -> [Int] { asciiTokenizer.encode(text) }

func idTensor(_ ids: [Int]) -> Tensor { Tensor(ids.map(Int64.init), shape: [1, ids.count]) }

/// Greedy continuation of `prompt` by `generate` (the reference for the server's temperature-0 answers).
func greedyText(_ model: GPT, _ prompt: String, tokens: Int) -> String {
    let out = model.generate(idTensor(ids(prompt)), maxNewTokens: tokens, sampling: .greedy).toArray(Int64.self)
    return asciiTokenizer.decode(out.dropFirst(ids(prompt).count).map(Int.init))
}

/// A response: status, content type, body parsed as JSON (nil when it is not JSON) and as text.
struct Reply {
    let status: Int
    let contentType: String?
    let text: String
    var json: JSONValue? { try? JSONParser.parse(text) }
    /// The `data:` payloads of an event stream.
    var events: [String] {
        text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }
}

func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: [UInt8]? = nil,
          headers: HTTPFields = [:]) async throws -> Reply {
    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
        Reply(status: Int(response.status.code), contentType: response.headers[.contentType], text: String(buffer: response.body))
    }
}

func post(_ client: any TestClientProtocol, _ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> Reply {
    try await send(client, .post, uri, body: Array(json.utf8), headers: headers)
}

func application(_ server: ModelServer) -> some ApplicationProtocol {
    Application(router: server.router(), server: ModelServer.http)
}

/// The OpenAI error record of a refusal.
func expectError(_ reply: Reply, status: Int, param: String? = nil, containing words: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status of \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.contentType == "application/json", sourceLocation: sourceLocation)
    let error = reply.json?["error"]
    #expect(error?["message"]?.string != nil, "no error.message in \(reply.text)", sourceLocation: sourceLocation)
    #expect(error?["type"]?.string != nil, sourceLocation: sourceLocation)
    #expect(error?.object?.map(\.key) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    if let param { #expect(error?["param"]?.string == param, "param of \(reply.text)", sourceLocation: sourceLocation) }
    if let words { #expect(error?["message"]?.string?.contains(words) == true, "\(reply.text)", sourceLocation: sourceLocation) }
}
