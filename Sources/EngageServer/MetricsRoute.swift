import Crypto
import Foundation
import HTTPTypes
import Hummingbird

extension Service {
    /// `GET /metrics`: the Prometheus text, for a scraper bearing the metrics token
    /// (`serve --metrics-token-file`). Without a configured token the route is not served at all
    /// (404, as any unknown path); a missing or wrong token gets 401. Device tokens do not open it.
    func metricsResponse(_ request: Request) throws -> Response {
        guard let expected = configuration.metricsToken else {
            throw APIError(.notFound, "not_found", "no such endpoint; the API lives under /v1 (see sync-protocol/openapi.yaml)")
        }
        let header = request.headers[.authorization] ?? ""
        let parts = header.split(separator: " ", maxSplits: 1)
        let given = parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : ""
        // Compared as digests: the time taken says nothing about how much of the token matched.
        guard SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(expected.utf8)) else {
            throw APIError(
                .unauthorized, "invalid_token", "/metrics needs the metrics token as a bearer token (serve --metrics-token-file)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
    }
}
