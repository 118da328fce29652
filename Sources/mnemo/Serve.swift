// Serve.swift — `mnemo serve RUN|DIR`: the model of a run (or a Hugging Face folder) behind an OpenAI-compatible HTTP
// server (MnemoServe: /v1/chat/completions, /v1/completions, /v1/models, /health), so the openai client,
// lm-evaluation-harness's local-completions model and other tools talk to it as to any OpenAI-style server. It binds
// 127.0.0.1 unless --host says otherwise, and accepts any API key unless --api-key names the one to require. The
// chat format is chosen as `mnemo chat` chooses it; a model without one serves completions only. Ctrl-C (SIGINT) or
// SIGTERM stops it.
import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import MnemoData
import MnemoModels
import MnemoServe
import MnemoTrain
import Torch

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve a run's model over an OpenAI-compatible HTTP API (chat and completions, streamed).")

    @Argument(help: "Run folder, or a Hugging Face model folder.") var runFolder: String
    @Option(help: "Address to bind (0.0.0.0: every interface).") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8000
    @Option(help: "Require this key (Authorization: Bearer KEY); by default any key is accepted.") var apiKey: String?
    @Option(help: "The model's name in responses and /v1/models (default: the folder's name).") var name: String?
    @Option(help: "chatml, tokenizer, or a path to a tokenizer_config.json (default: as `mnemo chat` chooses).") var template: String?
    @Option(help: "Requests generated at once at most; the others wait in arrival order.") var slots = 8
    @Option(help: "cpu, cuda or cuda:N (default: the run's device when available, else cpu).") var device: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535") }
        guard (1...1024).contains(slots) else { throw ValidationError("--slots must be in 1...1024") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
    }

    func run() throws {
        Runtime.checkVersion()
        let server: ModelServer
        do {
            server = try Self.server(runFolder: runFolder, name: name, template: template, slots: slots,
                                     device: try parseDevice(device), apiKey: apiKey)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let card = server.card
        let app = Application(router: server.router(), server: ModelServer.http,
                              configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "mnemo"),
                              onServerRunning: { channel in
            let lines = "mnemo serve: \(card.id) (context \(card.contextLength) tokens; chat: \(card.chatProblem ?? "yes"))\n"
                + "  OpenAI base URL: http://\(host):\(channel.localAddress?.port ?? port)/v1\n"
            FileHandle.standardOutput.write(Data(lines.utf8))
        })
        let stopped = DispatchSemaphore(value: 0)
        Task {
            do { try await app.runService() } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                Foundation.exit(1)
            }
            stopped.signal()
        }
        stopped.wait()
    }

    /// The run loaded, its card written and its model handed to a scheduler.
    static func server(runFolder: String, name: String?, template: String?, slots: Int, device: Device?, apiKey: String?) throws -> ModelServer {
        let loaded = try LoadedRun(runDirectory: runFolder, device: device)
        var format: ChatFormat?, problem: String?
        do { format = try loaded.chatFormat(template) } catch { problem = "no chat format: \(error)" }
        let folderName = URL(fileURLWithPath: runFolder).standardizedFileURL.lastPathComponent
        let card = ModelCard(id: name ?? folderName, tokenizer: loaded.tokenizer, contextLength: loaded.model.contextLength,
                             promptPrefix: loaded.promptPrefix, endOfSequence: loaded.endOfSequence, chatFormat: format,
                             chatProblem: problem, created: Int(Date().timeIntervalSince1970))
        let tokenizer = loaded.tokenizer, runDevice = loaded.device, lossKind = loaded.lossKind
        let scheduler = GenerationScheduler(model: loaded.model, tokenizer: tokenizer, device: runDevice, lossKind: lossKind, slots: slots)
        return ModelServer(card: card, scheduler: scheduler, apiKey: apiKey)
    }
}
