// BadRequestTests.swift — what a malformed request gets: OpenAI's error JSON with a 4xx status and the parameter at
// fault, never a crash — bad JSON, bad UTF-8, the wrong kinds, huge and non-finite numbers, values out of range, a
// prompt too long for the context, text a character vocabulary cannot spell, and features Mnemo refuses by name.
import Foundation
import HummingbirdTesting
import MnemoServe
import Testing

@Suite struct BadRequestTests {
    @Test func malformedBodies() async throws {
        let (server, _) = try tinyServer()
        try await application(server).test(.router) { client in
            for route in ["/v1/completions", "/v1/chat/completions"] {
                expectError(try await post(client, route, ""), status: 400, containing: "empty")
                expectError(try await post(client, route, #"{"prompt": "a""#), status: 400, containing: "not valid JSON")
                expectError(try await post(client, route, "[1, 2]"), status: 400, containing: "JSON object")
                expectError(try await post(client, route, #"{"a": 1, "a": 2}"#), status: 400, containing: "not valid JSON")
                expectError(try await post(client, route, String(repeating: "[", count: 10_000)), status: 400)
                expectError(try await send(client, .post, route, body: Array(#"{"prompt": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)),
                            status: 400, containing: "UTF-8")
            }
            let huge = "{\"prompt\": \"" + String(repeating: "b", count: 3 << 20) + "\"}"
            expectError(try await post(client, "/v1/completions", huge), status: 413)
            // the server still answers
            #expect(try await send(client, .get, "/health").status == 200)
        }
    }

    @Test func wrongKindsAndRanges() async throws {
        let (server, _) = try tinyServer()
        try await application(server).test(.router) { client in
            let cases: [(String, String)] = [
                (#"{"prompt": 5}"#, "prompt"),
                (#"{"prompt": []}"#, "prompt"),
                (#"{"prompt": [[]]}"#, "prompt"),
                (#"{"prompt": [1, -2]}"#, "prompt"),
                (#"{"prompt": [1, 2.5]}"#, "prompt"),
                (#"{"prompt": [99999]}"#, "prompt"),
                (#"{"prompt": [{"a": 1}]}"#, "prompt"),
                (#"{"prompt": "hi", "temperature": "hot"}"#, "temperature"),
                (#"{"prompt": "hi", "temperature": 1e999}"#, "temperature"),
                (#"{"prompt": "hi", "temperature": -1}"#, "temperature"),
                (#"{"prompt": "hi", "top_p": 1.5}"#, "top_p"),
                (#"{"prompt": "hi", "max_tokens": 1e300}"#, "max_tokens"),
                (#"{"prompt": "hi", "max_tokens": 123456789012345678901234567890}"#, "max_tokens"),
                (#"{"prompt": "hi", "max_tokens": -1}"#, "max_tokens"),
                (#"{"prompt": "hi", "max_tokens": 1.5}"#, "max_tokens"),
                (#"{"prompt": "hi", "max_tokens": 31}"#, "max_tokens"),           // 2 + 31 > the context of 32
                (#"{"prompt": "hi", "n": 2}"#, "n"),
                (#"{"prompt": "hi", "best_of": 3}"#, "best_of"),
                (#"{"prompt": "hi", "logprobs": 50}"#, "logprobs"),
                (#"{"prompt": "hi", "echo": "yes"}"#, "echo"),
                (#"{"prompt": "hi", "stop": 3}"#, "stop"),
                (#"{"prompt": "hi", "stop": ["a", 3]}"#, "stop"),
                (#"{"prompt": "hi", "stop": [""]}"#, "stop"),
                (#"{"prompt": "hi", "seed": "x"}"#, "seed"),
                (#"{"prompt": "hi", "presence_penalty": 1}"#, "presence_penalty"),
                (#"{"prompt": "hi", "logit_bias": {"1": 5}}"#, "logit_bias"),
                (#"{"prompt": "hi", "stream_options": {"include_usage": true}}"#, "stream_options"),
                (#"{"prompt": ["a", "b"], "stream": true}"#, "stream"),
                (#"{"prompt": "héllo"}"#, "prompt"),                              // not in the character vocabulary
                (#"{"prompt": "\#(String(repeating: "a", count: 40))"}"#, "prompt"), // longer than the context
                (#"{"max_tokens": 3}"#, "prompt"),
            ]
            for (body, param) in cases {
                expectError(try await post(client, "/v1/completions", body), status: 400, param: param)
            }
            let chatCases: [(String, String)] = [
                (#"{"messages": "hi"}"#, "messages"),
                (#"{"messages": []}"#, "messages"),
                (#"{"messages": [{"role": "robot", "content": "x"}]}"#, "messages[0]"),
                (#"{"messages": [{"role": "user"}]}"#, "messages[0]"),
                (#"{"messages": [{"role": "user", "content": 3}]}"#, "messages[0]"),
                (#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, "messages[0]"),
                (#"{"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 0}"#, "max_completion_tokens"),
                (#"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}"#, "tools"),
                (#"{"messages": [{"role": "user", "content": "x"}], "logprobs": true}"#, "logprobs"),
                (#"{"messages": [{"role": "user", "content": "x"}], "stream": 1}"#, "stream"),
                (#"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}"#, "response_format"),
            ]
            for (body, param) in chatCases {
                expectError(try await post(client, "/v1/chat/completions", body), status: 400, param: param)
            }
            // the long-context refusal names the numbers
            expectError(try await post(client, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "\(String(repeating: "a", count: 10))"}]}
                """), status: 400, containing: "maximum context length is 32")
            #expect(try await send(client, .get, "/health").status == 200)
        }
    }

    @Test func aModelWithoutChatFormatRefusesChatOnly() async throws {
        let (server, _) = try tinyServer(chat: false)
        try await application(server).test(.router) { client in
            expectError(try await post(client, "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}]}"#),
                        status: 400, param: "messages")
            #expect(try await post(client, "/v1/completions", #"{"prompt": "x", "max_tokens": 2}"#).status == 200)
        }
    }
}
