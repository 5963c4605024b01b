import EngageCore
import EngageModel
import EngageProtocol
import EngageStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What every handler needs: the store, the configuration, time and randomness, metrics.
struct Service: Sendable {
    let store: any HubStorage
    let configuration: ServerConfiguration
    let environment: ServerEnvironment
    let metrics: ServerMetrics
    /// Where a 5xx's cause is written (its code and the store's reason — never a token or a
    /// record's contents, which GRDB keeps out of its messages).
    let logger: Logger

    /// Runs store work, turning its errors into API errors (and logging the server's own).
    func database<T: Sendable>(_ work: () async throws(StoreError) -> T) async throws -> T {
        do {
            return try await work()
        } catch {
            if error.code == .database || error.code == .file {
                logger.error("the store failed; answering 500", metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.message)"])
            } else if error.code == .diskFull {
                logger.error("the disk is full; writes answer 503 until space is freed", metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.message)"])
            }
            throw APIError.from(error)
        }
    }

    /// Reads and decodes a JSON body, with errors that name what is wrong.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int? = nil) async throws -> T {
        try await decode(type, request, limit: limit) { try WireJSON.decode(type, from: $0) }
    }

    /// The most an unauthenticated enrolment body may hold: a code and a node id fit in 200 bytes.
    static let enrolBodyLimit = 4 * 1024

    /// Reads a JSON body and decodes it with `decoder`; errors name what is wrong.
    func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, limit: Int? = nil, with decoder: (Data) throws -> T
    ) async throws -> T {
        try checkVersion(request)
        let buffer: ByteBuffer
        let limit = min(limit ?? configuration.maxBodyBytes, configuration.maxBodyBytes)
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large",
                           "the request body is over \(limit) bytes; send fewer changes per push")
        }
        let data = Data(buffer.readableBytesView)
        do {
            return try decoder(data)
        } catch let error as DecodingError {
            // Telling malformed JSON apart builds a tree of the body: only for small ones, so a
            // request's memory stays bounded by its size (see `PushRequest.foundationFallbackLimit`).
            if data.count <= PushRequest.foundationFallbackLimit,
                (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) == nil
            {
                throw APIError.badRequest("malformed_json", "the body is not JSON; send application/json")
            }
            throw APIError.badRequest("invalid_body", "the body is not a valid \(type) message: \(error.readableDescription)")
        }
    }

    func checkVersion(_ request: Request) throws {
        guard let value = request.headers[HTTPField.Name(ProtocolVersion.header)!] else { return }
        let major = value.split(separator: ".").first.flatMap { Int($0) }
        guard major == ProtocolVersion.current else {
            throw APIError.badRequest(
                "unsupported_version", "this server speaks protocol \(ProtocolVersion.current), not '\(value)'; update the app")
        }
    }

    /// The device behind the bearer token, refusing missing, unknown and revoked tokens.
    func authenticate(_ request: Request) async throws -> DeviceRecord {
        try checkVersion(request)
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw APIError(.unauthorized, "missing_token", "no bearer token; enrol this device with `engage enroll --server URL --code CODE`")
        }
        let hash = Secrets.hash(String(header.dropFirst(7)))
        let store = store
        guard let device = try await database({ () async throws(StoreError) in try await store.device(tokenHash: hash) }) else {
            throw APIError(.unauthorized, "invalid_token", "this token is not known to the server; enrol the device again")
        }
        if device.revoked {
            throw APIError(.unauthorized, "device_revoked",
                           "this device was revoked by an administrator; its local data is kept — ask for a new enrolment code")
        }
        let now = environment.now()
        if (device.lastSeen ?? 0) < now - 60_000 {
            // Bookkeeping: on a full disk the request still goes on (pulls only read).
            do { try await database({ () async throws(StoreError) in try await store.touch(deviceId: device.id) }) } catch let error as APIError
            where error.code == StoreError.Code.diskFull.rawValue {}
        }
        return device
    }
}
