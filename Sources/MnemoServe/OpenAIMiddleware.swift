// OpenAIMiddleware.swift — what every route shares: the API key (when the server was given one, every route but
// /health needs `Authorization: Bearer KEY`; otherwise any key, or none, is accepted) and errors as OpenAI's JSON. An
// APIError keeps its status; Hummingbird's own refusals (no such route, body too large) keep theirs with OpenAI's
// body; anything else is a 500 with the message, and the server goes on.
import Hummingbird

struct OpenAIMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let apiKey, request.uri.path != "/health" {
            guard let header = request.headers[.authorization] else {
                return APIError.unauthorized("missing API key: send the header Authorization: Bearer KEY").response
            }
            guard header == "Bearer \(apiKey)" else { return APIError.unauthorized("incorrect API key").response }
        }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPError {
            let status = Int(error.status.code)
            let message = switch status {
            case 404: "no route \(request.method) \(request.uri.path)"
            case 413: "the request body is larger than \(context.maxUploadSize) bytes"
            default: error.body ?? error.status.reasonPhrase
            }
            let type = status == 404 ? "not_found_error" : "invalid_request_error"
            return APIError(status: status, message, type: type).response
        } catch {
            return APIError(status: 500, "internal error: \(error)", type: "server_error").response
        }
    }
}

extension APIError {
    var response: Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }
}
