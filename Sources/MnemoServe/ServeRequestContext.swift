// ServeRequestContext.swift — the request context of `mnemo serve`'s routes: Hummingbird's basic context plus the
// connection the request came on, so that a non-streamed generation can be cancelled when its client goes away before
// the answer is ready (a streamed one notices at its next write).
//
// The server allows remote half-closure, so a client that closes its socket shows first as the end of the
// connection's input (or, with a reset, as the connection closing); `onClientGone` watches for both with a handler
// at the front of the connection's pipeline, removed again when the answer is ready.
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

    /// Runs `body`; if the client goes away meanwhile, `gone` runs (once).
    func onClientGone<T>(_ gone: @escaping @Sendable () -> Void, during body: () async throws -> T) async throws -> T {
        let watcher = ClientGoneWatcher(gone)
        do { try await connection.pipeline.addHandler(watcher, position: .first).get() } catch { gone() }
        defer { connection.pipeline.removeHandler(watcher, promise: nil) }
        return try await body()
    }
}

/// Calls its action when the connection's input ends or the connection closes; passes everything on.
final class ClientGoneWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    private let gone: @Sendable () -> Void

    init(_ gone: @escaping @Sendable () -> Void) { self.gone = gone }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { gone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        gone()
        context.fireChannelInactive()
    }
}
