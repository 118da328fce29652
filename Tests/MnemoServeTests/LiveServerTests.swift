// LiveServerTests.swift — the server on a real loopback port (Hummingbird's live test framework binds a free one):
// a request over TCP, and clients that hang up — mid-stream, or while a non-streamed answer is being generated — whose
// requests must be cancelled and their slots freed long before their 2,000 tokens would have been generated.
import Foundation
import Hummingbird
import HummingbirdTesting
import MnemoServe
import Testing

@Suite struct LiveServerTests {
    @Test func aClientThatHangsUpMidStreamFreesItsSlot() async throws {
        let (server, _) = try tinyServer(context: 2048)
        let load = server.scheduler.load
        try await application(server).test(.live) { client in
            let health = try await send(client, .get, "/health")
            #expect(health.json?["status"]?.string == "ok")
            let port = try #require(client.port)
            let hangingUp = TestClient(host: "localhost", port: port)
            hangingUp.connect()
            let body = #"{"prompt": "abc", "max_tokens": 2000, "ignore_eos": true, "stream": true}"#
            try await hangingUp.executeAndDontWaitForResponse(
                TestClient.Request("/v1/completions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)))
            try await waitUntil { load.snapshot.active == 1 }
            #expect(load.snapshot.active == 1)
            try await hangingUp.shutdown()
            try await waitUntil { load.snapshot.active == 0 }
            #expect(load.snapshot.cancelled == 1)
            #expect(load.snapshot.finished == 0)
            // and the server goes on answering
            let reply = try await post(client, "/v1/completions", #"{"prompt": "abc", "max_tokens": 3}"#)
            #expect(reply.status == 200)
        }
    }

    @Test func aClientThatHangsUpBeforeItsAnswerFreesItsSlot() async throws {
        let (server, _) = try tinyServer(context: 2048)
        let load = server.scheduler.load
        try await application(server).test(.live) { client in
            let port = try #require(client.port)
            for (route, body) in [("/v1/completions", #"{"prompt": "abc", "max_tokens": 2000, "ignore_eos": true}"#),
                                  ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "abc"}], "max_tokens": 1900}"#)] {
                let before = load.snapshot
                let hangingUp = TestClient(host: "localhost", port: port)
                hangingUp.connect()
                try await hangingUp.executeAndDontWaitForResponse(
                    TestClient.Request(route, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)))
                try await waitUntil { load.snapshot.active == 1 }
                #expect(load.snapshot.active == 1, "\(route)")
                try await hangingUp.shutdown()
                try await waitUntil { load.snapshot.active == 0 }
                #expect(load.snapshot.cancelled == before.cancelled + 1, "\(route)")
                #expect(load.snapshot.finished == before.finished, "\(route)")
            }
            let reply = try await post(client, "/v1/completions", #"{"prompt": "abc", "max_tokens": 3}"#)
            #expect(reply.status == 200)
        }
    }
}
