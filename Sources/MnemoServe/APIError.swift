// APIError.swift — every refusal of the server, as OpenAI writes it: an HTTP status and the body
// {"error": {"message", "type", "param", "code"}}. Request data never traps: what cannot be used becomes one of these,
// naming the parameter at fault.
import MnemoSupport

public struct APIError: Error, Sendable, CustomStringConvertible {
    /// HTTP status (400, 401, 404, 405, 413, 500, 503).
    public var status: Int
    public var message: String
    /// OpenAI's error type: invalid_request_error, authentication_error, not_found_error, server_error.
    public var type: String
    /// The request parameter at fault, if one is.
    public var param: String?
    /// A machine-readable code (OpenAI's invalid_api_key, context_length_exceeded, model_not_found, …).
    public var code: String?

    public init(status: Int = 400, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { message }

    /// A parameter of the wrong kind or out of range.
    public static func invalid(_ param: String, _ message: String, code: String? = "invalid_value") -> APIError {
        APIError(message, param: param, code: code)
    }

    public static func unauthorized(_ message: String) -> APIError {
        APIError(status: 401, message, type: "authentication_error", code: "invalid_api_key")
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, message, type: "not_found_error", code: "not_found")
    }

    /// The JSON body.
    public var json: String {
        func optional(_ text: String?) -> String { text.map(jsonQuoted) ?? "null" }
        return "{\"error\":{\"message\":\(jsonQuoted(message)),\"type\":\(jsonQuoted(type)),\"param\":\(optional(param)),\"code\":\(optional(code))}}"
    }
}
