import EngageProtocol
import EngageStorage
import Foundation
import HTTPTypes
import Hummingbird

/// An error the API answers with: a status, a stable code and a message that says what to do.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    /// Store errors keep their meaning; anything unexpected is a 500 without details.
    static func from(_ error: StoreError) -> APIError {
        switch error.code {
        case .notFound: APIError(.notFound, error.code.rawValue, error.message)
        case .invalid, .ambiguousID, .deleted: APIError(.badRequest, error.code.rawValue, error.message)
        case .outOfScope: APIError(.forbidden, error.code.rawValue, error.message)
        case .identityConflict, .noIdentityConflict, .nodeInUse, .cursorAhead, .hubWentBack:
            APIError(.conflict, error.code.rawValue, error.message)
        case .database, .file:
            APIError(.internalServerError, "internal", "the server could not complete the request; try again later")
        case .diskFull:
            APIError(
                .serviceUnavailable, error.code.rawValue,
                "the server's disk is full; nothing was written and your changes wait on the device — sync again later")
        case .unavailable:
            APIError(
                .serviceUnavailable, error.code.rawValue,
                "the server cannot reach its database; nothing was written and your changes wait on the device — sync again in a few minutes"
            )
        }
    }

    func response(now: Int64) -> Response {
        let body = (try? WireJSON.encode(ErrorResponse(code: code, message: message))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name(ProtocolVersion.serverTimeHeader)!] = String(now)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Encodes a value as the JSON answer, with the server's time header.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, now: Int64) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[HTTPField.Name(ProtocolVersion.serverTimeHeader)!] = String(now)
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try WireJSON.encode(value))))
}

/// A JSON answer already serialised.
func rawJSONResponse(_ body: String, now: Int64) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[HTTPField.Name(ProtocolVersion.serverTimeHeader)!] = String(now)
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
}
