// ServeRequestContext.swift — the request context of `mnemo serve`'s routes: Hummingbird's basic context plus the
// connection the request came on, so that a non-streamed generation can be cancelled when its client goes away before
// the answer is ready (a streamed one notices at its next write).
//
// The server allows remote half-closure, so a client that closes its socket shows first as the end of the
// connection's input (or, with a reset, as the connection closing). Every connection of the server gets a
// ClientGoneWatcher in its pipeline (`ModelServer.http`) that remembers either; a request asks it to run an action
// then, or at once if the client is already gone. (A client that half-closes on purpose and still waits for its
// answer is treated as gone.)
import Foundation
import Hummingbird
import NIOCore

public struct ServeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's connection.
    let connection: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }

    /// Runs `body`; if the client goes away meanwhile (or went away before), `gone` runs, once. Without a watcher in
    /// the connection's pipeline (a server built without `ModelServer.http`), just `body`.
    func onClientGone<T>(_ gone: @escaping @Sendable () -> Void, during body: () async throws -> T) async throws -> T {
        guard let watcher = try? await connection.pipeline.handler(type: ClientGoneWatcher.self).get() else { return try await body() }
        let token = watcher.whenGone(gone)
        defer { watcher.forget(token) }
        return try await body()
    }
}

/// Remembers when its connection's input ends or the connection closes, and runs the actions waiting for it.
final class ClientGoneWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked: `isGone`, `actions` and `nextToken` are only touched while `lock` is held.
    typealias InboundIn = NIOAny
    private let lock = NSLock()
    private var isGone = false
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var nextToken = 0

    /// Runs `action` when the client goes away, or now if it has; returns a token for `forget`.
    func whenGone(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        if isGone {
            lock.unlock()
            action()
            return -1
        }
        nextToken += 1
        actions[nextToken] = action
        lock.unlock()
        return nextToken
    }

    func forget(_ token: Int) {
        lock.lock(); defer { lock.unlock() }
        actions[token] = nil
    }

    private func clientWentAway() {
        lock.lock()
        isGone = true
        let waiting = actions.values
        actions = [:]
        lock.unlock()
        for action in waiting { action() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { clientWentAway() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientWentAway()
        context.fireChannelInactive()
    }
}
