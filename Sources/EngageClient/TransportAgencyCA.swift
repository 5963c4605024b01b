import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOSSL

/// An agency's own certificate authority, which the device trusts for its hub instead of the
/// system's store (`engage enroll --ca-cert FILE`). Public: a CA certificate holds no secret.
public struct AgencyCA: Sendable {
    /// The certificates as given (PEM; one or more, e.g. an old and a new CA during a change).
    public let pem: String
    /// Where it came from, for messages: "the CA in FILE", or "the agency CA given at enrolment".
    public let source: String
    let certificates: [NIOSSLCertificate]

    /// Reads the PEM file at `path`. Throws `ClientError.badCACertificate` when it holds none.
    public init(file path: String) throws(ClientError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .badCACertificate(path, "cannot read it: \((error as NSError).localizedDescription)")
        }
        let pem = String(decoding: data, as: UTF8.self)
        do { certificates = try Self.certificates(in: pem) } catch { throw .badCACertificate(path, error.why) }
        self.pem = pem
        source = "the CA in \(path)"
    }

    /// The certificates in `pem` (as remembered in the device database).
    public init(pem: String, source: String) throws(ClientError) {
        do { certificates = try Self.certificates(in: pem) } catch { throw .badCACertificate(source, error.why) }
        self.pem = pem
        self.source = source
    }

    struct Unreadable: Error { let why: String }

    static func certificates(in pem: String) throws(Unreadable) -> [NIOSSLCertificate] {
        guard pem.contains("-----BEGIN CERTIFICATE-----") else { throw Unreadable(why: "no BEGIN CERTIFICATE block") }
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)) } catch {
            throw Unreadable(why: "a certificate block does not parse")
        }
        guard !certificates.isEmpty else { throw Unreadable(why: "no certificate in it") }
        return certificates
    }
}

/// The transport to a hub whose certificate an agency's own CA signed: async-http-client over
/// swift-nio-ssl, trusting only that CA (URLSession on Linux cannot be given a trust root:
/// libcurl there reads neither SSL_CERT_FILE nor a per-session CA). It behaves as
/// `URLSessionTransport` does: the same bodies and `Accept-Encoding`, the same stall bound
/// (seconds without a byte either way), a redirect never followed (the token would go with
/// it), and the same `ClientError`s.
///
/// It owns an `HTTPClient`: call `shutdown()` when done (`withTransport(to:trusting:_:)` does).
public final class AgencyCATransport: Transport {
    // Sendable: every stored property is an immutable Sendable value (HTTPClient is Sendable).
    public let baseURL: URL
    let ca: AgencyCA
    let client: HTTPClient
    let compressedAnswers: Bool

    /// The largest answer taken, decompressed: a pull page is at most 5,000 changes, each of
    /// bounded size; a larger answer is a broken or hostile server, not a page.
    static let maxAnswerBytes = 256 << 20

    public init(baseURL: URL, trusting ca: AgencyCA, timeout: TimeInterval = URLSessionTransport.stallBound) {
        self.baseURL = baseURL
        self.ca = ca
        compressedAnswers = BodyCompression.answersCompressed(from: baseURL)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(ca.certificates)
        tls.minimumTLSVersion = .tlsv12  // as the hub serves (makeClientConfiguration allows 1.0)
        let stall = TimeAmount.milliseconds(Int64(timeout * 1000))
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            // Silence, not the whole exchange: no byte read, or none written, for `timeout`
            // (URLSession's timeoutIntervalForRequest); a transfer that keeps moving is never cut.
            timeout: .init(connect: stall, read: stall, write: stall),
            decompression: .enabled(limit: .size(Self.maxAnswerBytes)))
        // A connection that fails (refused, TLS not trusted) fails the request at once, as with
        // URLSession: the synchronizer decides about retries, and a certificate is not retried.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the connections; no request may follow.
    public func shutdown() async throws { try await client.shutdown() }

    public func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        try await BodyCompression.send(request, through: sendAsIs)
    }

    func sendAsIs(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        guard let url = URL(string: request.path, relativeTo: baseURL) else {
            throw ClientError.badServerURL(baseURL.absoluteString)
        }
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        // async-http-client decompresses but does not ask: ask as libcurl does, or not at all.
        outgoing.headers.add(name: "Accept-Encoding", value: compressedAnswers ? "gzip" : "identity")
        for (name, value) in request.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let status: Int
        let headers: [String: String]
        let body: ByteBuffer
        do {
            // The stall bound is the timeout; a whole exchange may take a day, as with URLSession.
            let response = try await client.execute(outgoing, deadline: .now() + .hours(24))
            status = Int(response.status.code)
            var collected: [String: String] = [:]
            for (name, value) in response.headers {
                let key = name.lowercased()
                collected[key] = collected[key].map { "\($0), \(value)" } ?? value
            }
            headers = collected
            body = try await response.body.collect(upTo: Self.maxAnswerBytes)
        } catch {
            throw Self.clientError(error, server: baseURL.absoluteString, ca: ca)
        }
        if (300..<400).contains(status), status != 304 {
            throw ClientError.redirected(url.absoluteString, headers["location"] ?? "nowhere named")
        }
        return .init(status: status, headers: headers, body: Data(body.readableBytesView))
    }

    /// A failed exchange as the client's error: a TLS failure is the CA's (nothing was sent),
    /// anything else the network's (retried).
    static func clientError(_ error: any Error, server: String, ca: AgencyCA) -> ClientError {
        let text = String(describing: error)
        switch error {
        case is NIOSSLExtraError:
            return .untrustedServer(server, "the certificate does not name this host", ca: ca.source)
        case is NIOSSLError, is BoringSSLError:
            let why =
                text.contains("CERTIFICATE_VERIFY_FAILED") ? "its certificate does not chain to this CA" : "TLS failed: \(text)"
            return .untrustedServer(server, why, ca: ca.source)
        default:
            return .unreachable(server, text)
        }
    }
}

/// Runs `body` with the transport to `baseURL`: URLSession trusting the system's store, or
/// with `ca`, an `AgencyCATransport` that is shut down when `body` ends, however it ends.
public func withTransport<T>(
    to baseURL: URL, trusting ca: AgencyCA?, _ body: (any Transport) async throws -> T
) async throws -> T {
    guard let ca else { return try await body(URLSessionTransport(baseURL: baseURL)) }
    let transport = AgencyCATransport(baseURL: baseURL, trusting: ca)
    let result: Result<T, any Error>
    do { result = .success(try await body(transport)) } catch { result = .failure(error) }
    // Requests still in flight (a prefetched page after a failure) are cancelled, not waited for.
    // After a failure, that failure is what the caller needs to hear.
    do { try await transport.shutdown() } catch { if case .success = result { throw error } }
    return try result.get()
}
