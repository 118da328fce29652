// ServerRouteTests.swift — the routes of `mnemo serve` through Hummingbird's router test client (no port): models and
// health, completions (echo + logprobs equal to a direct forward's log-softmax; greedy text equal to `generate`;
// token-id prompts; max_tokens 0), chat (streamed chunks join to the non-streamed reply; usage), seeds, API keys.
import Foundation
import Hummingbird
import HummingbirdTesting
import MnemoModels
import MnemoServe
import MnemoSupport
import Testing
import Torch

@Suite struct ServerRouteTests {
    @Test func healthAndModels() async throws {
        let (server, _) = try tinyServer()
        try await application(server).test(.router) { client in
            let health = try await send(client, .get, "/health")
            #expect(health.status == 200)
            #expect(health.json?["status"]?.string == "ok")
            #expect(health.json?["slots"]?.int == 8)
            let models = try await send(client, .get, "/v1/models")
            #expect(models.json?["object"]?.string == "list")
            #expect(models.json?["data"]?.array?.first?["id"]?.string == "tiny")
            #expect(try await send(client, .get, "/v1/models/tiny").json?["id"]?.string == "tiny")
            expectError(try await send(client, .get, "/v1/models/other"), status: 404)
            expectError(try await send(client, .get, "/v1/nothing"), status: 404)
        }
    }

    /// lm-evaluation-harness's loglikelihood request: echo, logprobs 1, temperature 0, max_tokens 0 or 1.
    @Test func echoLogprobsEqualTheForwardLogSoftmax() async throws {
        let prompt = "To be, or not"
        let (server, expected) = try tinyServer { model in
            let logProbs = model.forward(idTensor(ids(prompt)), targets: nil).logits.logSoftmax(dim: -1).squeeze(0)  // (T, V)
            let t = ids(prompt).count
            let next = Tensor(ids(prompt).dropFirst().map(Int64.init), shape: [t - 1, 1])
            let chosen = logProbs.narrow(dim: 0, start: 0, length: t - 1).gather(dim: 1, index: next).toArray(Double.self)
            let best = logProbs.narrow(dim: 0, start: 0, length: t - 1).max(dim: -1).values.toArray(Double.self)
            return (chosen, best)
        }
        try await application(server).test(.router) { client in
            for maxTokens in [0, 1] {
                let reply = try await post(client, "/v1/completions", """
                    {"model": "tiny", "prompt": \(jsonQuoted(prompt)), "echo": true, "logprobs": 1, "max_tokens": \(maxTokens), "temperature": 0}
                    """)
                #expect(reply.status == 200, "\(reply.text)")
                let choice = try #require(reply.json?["choices"]?.array?.first)
                let logprobs = try #require(choice["logprobs"])
                let tokenLogprobs = try #require(logprobs["token_logprobs"]?.array)
                #expect(tokenLogprobs.count == prompt.count + maxTokens)
                #expect(tokenLogprobs[0].isNull)
                for (i, value) in tokenLogprobs.dropFirst().prefix(prompt.count - 1).enumerated() {
                    #expect(abs((value.double ?? .nan) - expected.0[i]) < 1e-5, "token \(i + 1)")
                }
                // top_logprobs: the most likely token's log-probability, and the chosen one's
                let tops = try #require(logprobs["top_logprobs"]?.array)
                for (i, top) in tops.dropFirst().prefix(prompt.count - 1).enumerated() {
                    let values = top.object?.compactMap { $0.value.double } ?? []
                    #expect(abs((values.max() ?? .nan) - expected.1[i]) < 1e-5)
                    #expect(values.contains { abs($0 - expected.0[i]) < 1e-5 })
                }
                #expect(logprobs["tokens"]?.array?.prefix(prompt.count).compactMap(\.string).joined() == prompt)
                #expect(logprobs["text_offset"]?.array?.prefix(prompt.count).compactMap(\.int) == Array(0..<prompt.count))
                #expect(choice["text"]?.string?.hasPrefix(prompt) == true)
                #expect(choice["finish_reason"]?.string == "length")
                #expect(reply.json?["usage"]?["prompt_tokens"]?.int == prompt.count)
                #expect(reply.json?["usage"]?["completion_tokens"]?.int == maxTokens)
            }
        }
    }

    @Test func greedyCompletionIsGenerateAndTokenPromptsWork() async throws {
        let (server, expected) = try tinyServer { model in (greedyText(model, "Hello", tokens: 10), greedyText(model, "abc", tokens: 10)) }
        try await application(server).test(.router) { client in
            let text = try await post(client, "/v1/completions", #"{"prompt": "Hello", "max_tokens": 10, "temperature": 0}"#)
            #expect(text.json?["object"]?.string == "text_completion")
            #expect(text.json?["choices"]?.array?.first?["text"]?.string == expected.0)
            #expect(text.json?["usage"]?["total_tokens"]?.int == 15)
            // a list of token-id prompts: one choice each, in order
            let both = try await post(client, "/v1/completions", """
                {"prompt": [\(ids("Hello")), \(ids("abc"))], "max_tokens": 10, "temperature": 0}
                """)
            let choices = try #require(both.json?["choices"]?.array)
            #expect(choices.map { $0["index"]?.int } == [0, 1])
            #expect(choices.map { $0["text"]?.string } == [expected.0, expected.1])
            #expect(both.json?["usage"]?["prompt_tokens"]?.int == 8)
            // top_p 0 is greedy too
            let nucleus = try await post(client, "/v1/completions", #"{"prompt": "Hello", "max_tokens": 10, "top_p": 0}"#)
            #expect(nucleus.json?["choices"]?.array?.first?["text"]?.string == expected.0)
        }
    }

    @Test func aSeedRepeatsASample() async throws {
        let (server, _) = try tinyServer()
        try await application(server).test(.router) { client in
            let request = #"{"prompt": "Once", "max_tokens": 12, "temperature": 1.5, "seed": 7}"#
            let first = try await post(client, "/v1/completions", request).json?["choices"]?.array?.first?["text"]?.string
            let second = try await post(client, "/v1/completions", request).json?["choices"]?.array?.first?["text"]?.string
            #expect(first != nil && first == second)
        }
    }

    @Test func stopStringEndsTheCompletionBeforeIt() async throws {
        let (server, expected) = try tinyServer { model in greedyText(model, "Hello", tokens: 20) }
        let stop = String(expected.dropFirst(3).prefix(2))
        try await application(server).test(.router) { client in
            let reply = try await post(client, "/v1/completions", """
                {"prompt": "Hello", "max_tokens": 20, "temperature": 0, "stop": [\(jsonQuoted(stop))]}
                """)
            let choice = try #require(reply.json?["choices"]?.array?.first)
            let full = expected
            let cut = full.range(of: stop).map { String(full[..<$0.lowerBound]) } ?? full
            #expect(choice["text"]?.string == cut)
            #expect(choice["finish_reason"]?.string == (cut == full ? "length" : "stop"))
        }
    }

    /// The streamed chunks of a chat reply join to the non-streamed reply; the last chunks carry the finish reason and
    /// the usage, then `[DONE]`.
    @Test func streamedChatJoinsToTheReply() async throws {
        let (server, _) = try tinyServer(chat: true, context: 128)
        try await application(server).test(.router) { client in
            let messages = #"[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi!"}]"#
            let whole = try await post(client, "/v1/chat/completions", """
                {"messages": \(messages), "max_tokens": 6, "temperature": 0}
                """)
            #expect(whole.status == 200, "\(whole.text)")
            #expect(whole.json?["object"]?.string == "chat.completion")
            let message = try #require(whole.json?["choices"]?.array?.first?["message"])
            #expect(message["role"]?.string == "assistant")
            let usage = try #require(whole.json?["usage"])

            let streamed = try await post(client, "/v1/chat/completions", """
                {"messages": \(messages), "max_tokens": 6, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}
                """)
            #expect(streamed.status == 200)
            #expect(streamed.contentType == "text/event-stream")
            let events = streamed.events
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { try? JSONParser.parse($0) }
            #expect(chunks.count == events.count - 1)
            #expect(chunks.allSatisfy { $0["object"]?.string == "chat.completion.chunk" && $0["id"]?.string?.hasPrefix("chatcmpl-") == true })
            #expect(Set(chunks.compactMap { $0["id"]?.string }).count == 1)
            #expect(chunks.first?["choices"]?.array?.first?["delta"]?["role"]?.string == "assistant")
            let content = chunks.compactMap { $0["choices"]?.array?.first?["delta"]?["content"]?.string }.joined()
            #expect(content == message["content"]?.string)
            let finishes = chunks.compactMap { $0["choices"]?.array?.first?["finish_reason"] }
            #expect(finishes.dropLast().allSatisfy { $0.isNull })
            #expect(finishes.last?.string == whole.json?["choices"]?.array?.first?["finish_reason"]?.string)
            let last = try #require(chunks.last)
            #expect(last["choices"]?.array?.isEmpty == true)
            #expect(last["usage"]?["completion_tokens"]?.int == usage["completion_tokens"]?.int)
            #expect(last["usage"]?["prompt_tokens"]?.int == usage["prompt_tokens"]?.int)
        }
    }

    @Test func streamedCompletionEndsWithDone() async throws {
        let (server, expected) = try tinyServer { model in greedyText(model, "Hello", tokens: 8) }
        try await application(server).test(.router) { client in
            let reply = try await post(client, "/v1/completions", #"{"prompt": "Hello", "max_tokens": 8, "temperature": 0, "stream": true}"#)
            let chunks = reply.events.dropLast().compactMap { try? JSONParser.parse($0) }
            #expect(reply.events.last == "[DONE]")
            #expect(chunks.compactMap { $0["choices"]?.array?.first?["text"]?.string }.joined() == expected)
            #expect(chunks.last?["choices"]?.array?.first?["finish_reason"]?.string == "length")
        }
    }

    @Test func anAPIKeyIsRequiredWhenGiven() async throws {
        let (server, _) = try tinyServer(apiKey: "secret")
        try await application(server).test(.router) { client in
            expectError(try await send(client, .get, "/v1/models"), status: 401)
            expectError(try await send(client, .get, "/v1/models", headers: [.authorization: "Bearer wrong"]), status: 401)
            #expect(try await send(client, .get, "/v1/models", headers: [.authorization: "Bearer secret"]).status == 200)
            #expect(try await send(client, .get, "/health").status == 200)
        }
        let (open, _) = try tinyServer()
        try await application(open).test(.router) { client in
            let reply = try await send(client, .get, "/v1/models", headers: [.authorization: "Bearer anything"])
            #expect(reply.status == 200)
        }
    }

    @Test func tokenizerRoutes() async throws {
        let (server, _) = try tinyServer()
        try await application(server).test(.router) { client in
            let tokens = try await post(client, "/tokenize", #"{"prompt": "abc", "add_special_tokens": false}"#)
            #expect(tokens.json?["tokens"]?.array?.compactMap(\.int) == ids("abc"))
            let text = try await post(client, "/detokenize", "{\"tokens\": \(ids("abc"))}")
            #expect(text.json?["prompt"]?.string == "abc")
            #expect(try await send(client, .get, "/tokenizer_info").json?["model_max_length"]?.int == 32)
            expectError(try await post(client, "/detokenize", #"{"tokens": [100000]}"#), status: 400, param: "tokens")
        }
    }
}
