import EngageCore
import EngageProtocol
import Foundation

/// The curated client: domain calls over the protocol. Wire types stay inside this module's
/// answers; the CLI sees plain results.
public struct SyncClient: Sendable {
    let transport: any Transport
    let token: String?
    /// The device's raw clock, for timing round trips.
    let now: @Sendable () -> Int64

    public init(transport: any Transport, token: String?, now: @escaping @Sendable () -> Int64) {
        self.transport = transport
        self.token = token
        self.now = now
    }

    /// A round trip's timing and the server's clock, for offset correction, and the sizes of its
    /// two bodies as JSON (before any Content-Encoding), in bytes, for progress.
    public struct Timing: Sendable {
        public var sentMs: Int64
        public var receivedMs: Int64
        public var serverMs: Int64?
        public var sentBytes = 0
        public var receivedBytes = 0
    }

    public func enroll(code: String, nodeId: String) async throws -> (EnrollResponse, Timing) {
        try await call("POST", "/v1/enroll", body: EnrollRequest(code: code, nodeId: nodeId), as: EnrollResponse.self)
    }

    public func push(
        _ changes: [Change], relay: Bool = false, fill: Bool = false, checkpoint: String? = nil
    ) async throws -> (PushResponse, Timing) {
        // Pages of changes are written by hand: the same bytes as the encoder, far faster.
        let body = PushRequest(changes: changes, relay: relay ? true : nil, checkpoint: checkpoint, fill: fill ? true : nil)
            .jsonText
        let (data, timing) = try await exchange("POST", "/v1/push", body: Data(body.utf8))
        do { return (try WireJSON.decode(PushResponse.self, from: data), timing) } catch {
            throw ClientError.badAnswer("PushResponse")
        }
    }

    /// The same client with another token (after the device took a new identity).
    public func with(token: String) -> SyncClient { SyncClient(transport: transport, token: token, now: now) }

    public func newIdentity(nodeId: String) async throws -> (EnrollResponse, Timing) {
        try await call("POST", "/v1/identity", body: IdentityRequest(nodeId: nodeId), as: EnrollResponse.self)
    }

    /// One pull page; with `own` (the receipts of this sync's pushes), without what they wrote.
    public func pull(
        after cursor: Int64, limit: Int? = nil, own: [ClosedRange<Int64>] = [], total: Bool = false, checkpoint: String? = nil
    ) async throws -> (PullResponse, Timing) {
        let query =
            (limit.map { "&limit=\($0)" } ?? "") + (total ? "&total=1" : "")
            + (checkpoint.map { "&checkpoint=" + $0 } ?? "")
            + (own.isEmpty ? "" : "&own=" + own.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ","))
        let (data, timing) = try await exchange("GET", "/v1/pull?cursor=\(cursor)\(query)", body: nil)
        do { return (try PullResponse.decode(data), timing) } catch { throw ClientError.badAnswer("PullResponse") }
    }

    public func history(activityId: String) async throws -> HistoryResponse {
        try await call("GET", "/v1/history/\(activityId)", body: Optional<PushRequest>.none, as: HistoryResponse.self).0
    }

    func call<Body: Encodable, Answer: Decodable>(
        _ method: String, _ path: String, body: Body?, as: Answer.Type
    ) async throws -> (Answer, Timing) {
        let (data, timing) = try await exchange(method, path, body: try body.map { try WireJSON.encode($0) })
        do {
            return (try WireJSON.decode(Answer.self, from: data), timing)
        } catch {
            throw ClientError.badAnswer("\(Answer.self)")
        }
    }

    /// One request; the answer's body when the status is 2xx, else the server's error.
    func exchange(_ method: String, _ path: String, body: Data?) async throws -> (Data, Timing) {
        var headers = [ProtocolVersion.header: String(ProtocolVersion.current), "Accept": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let sent = now()
        let response = try await transport.send(.init(method: method, path: path, headers: headers, body: body))
        let timing = Timing(
            sentMs: sent, receivedMs: now(),
            serverMs: response.headers[ProtocolVersion.serverTimeHeader.lowercased()].flatMap { Int64($0) },
            sentBytes: body?.count ?? 0, receivedBytes: response.body.count)
        guard (200..<300).contains(response.status) else {
            let error = try? WireJSON.decode(ErrorResponse.self, from: response.body)
            throw ClientError.server(
                status: response.status, code: error?.error.code ?? "http_\(response.status)",
                message: error?.error.message ?? "no details")
        }
        return (response.body, timing)
    }
}
