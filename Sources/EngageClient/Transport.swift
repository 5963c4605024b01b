import CompressNIO
import Foundation
import NIOCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange, as the client sees it. The seam tests replace.
public struct HTTPExchange: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: Data?

        public init(method: String, path: String, headers: [String: String], body: Data?) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public init(status: Int, headers: [String: String], body: Data) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }
}

public protocol Transport: Sendable {
    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response
}

/// The production transport: URLSession (libcurl underneath on Linux), trusting the system's
/// certificate store. A hub whose certificate an agency's own CA signed is reached through
/// `AgencyCATransport` instead (URLSession on Linux cannot be given a trust root).
public struct URLSessionTransport: Transport {
    public let baseURL: URL
    let session: URLSession
    /// Whether answers are asked gzipped (`BodyCompression.answersCompressed(from:)`).
    let compressedAnswers: Bool

    /// Seconds without a byte received after which an exchange counts as stalled and is
    /// retried on a new connection. An upload is that silence too (its bytes sit in the kernel's
    /// buffer from the start), and over a lossy link TCP's timer backs off to retransmissions
    /// 16–30 s apart where a new connection starts again at 1 s: at 60 s a stalled push cost a
    /// field-link run 60 s (docs/BENCHMARKS.md). A transfer that keeps moving is never cut.
    public static let stallBound: TimeInterval = 20

    public init(baseURL: URL, timeout: TimeInterval = stallBound) {
        self.baseURL = baseURL
        compressedAnswers = BodyCompression.answersCompressed(from: baseURL)
        let config = URLSessionConfiguration.ephemeral
        // Waiting for more data, not the whole exchange: a transfer that keeps moving on a slow
        // link is never abandoned; a stalled one fails after `timeout` and is retried.
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = 24 * 3600
        // The delegate refuses every redirect: the token would follow it (see `RedirectRefusal`).
        session = URLSession(configuration: config, delegate: RedirectRefusal(), delegateQueue: nil)
    }

    /// Request bodies of at least this many bytes go gzipped (`Content-Encoding: gzip`);
    /// answers come gzipped too, decoded by libcurl (URLSession asks with `Accept-Encoding`).
    public static let compressFrom = BodyCompression.compressFrom

    public func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        try await BodyCompression.send(request, through: sendAsIs)
    }

    func sendAsIs(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        guard let url = URL(string: request.path, relativeTo: baseURL) else {
            throw ClientError.badServerURL(baseURL.absoluteString)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        if !compressedAnswers { urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding") }
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await RedirectRefusal.data(for: urlRequest, in: session)
        } catch {
            let error = error as NSError
            let why = error.localizedDescription.lowercased()
            // The server's certificate is not trusted: NSURLErrorSecureConnectionFailed …
            // NSURLErrorServerCertificateNotYetValid, or on Linux code -1 with libcurl's words
            // ("SSL certificate problem: unable to get local issuer certificate", "SSL: no
            // alternative certificate subject name matches target host name").
            if (-1204 ... -1200).contains(error.code) || (why.contains("ssl") && why.contains("certificate")) {
                throw ClientError.untrustedServer(baseURL.absoluteString, error.localizedDescription, ca: nil)
            }
            // Connection refused: nothing listens there. Retrying would only make the person wait
            // in silence (it had waited 60 s); a lost link is a timeout or a reset, retried.
            if error.code == NSURLErrorCannotConnectToHost {
                throw ClientError.notListening(baseURL.absoluteString)
            }
            throw ClientError.unreachable(baseURL.absoluteString, error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else {
            throw ClientError.unreachable(baseURL.absoluteString, "no HTTP answer")
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let k = key as? String, let v = value as? String { headers[k.lowercased()] = v }
        }
        if (300..<400).contains(http.statusCode), http.statusCode != 304 {
            throw ClientError.redirected(url.absoluteString, headers["location"] ?? "nowhere named")
        }
        return .init(status: http.statusCode, headers: headers, body: data)
    }
}

/// What both transports do to bodies: requests of `compressFrom` bytes or more go gzipped, and a
/// hub that does not take gzip (415, an older version) gets the body again as it is; answers
/// are asked gzipped unless the hub is on this machine.
enum BodyCompression {
    static let compressFrom = 1_024

    /// Answers come gzipped unless the hub is on this machine (loopback): there the "link" is
    /// memory, and compressing and decompressing every page only cost CPU (a 100,000-activity
    /// initial pull took 8 % longer gzipped; docs/BENCHMARKS.md). `ENGAGE_GZIP=always` asks for
    /// gzip on loopback too — a hub reached through an SSH tunnel or a port forward looks local
    /// but is as far as the link — and `ENGAGE_GZIP=never` never asks.
    static func answersCompressed(from baseURL: URL) -> Bool {
        switch ProcessInfo.processInfo.environment["ENGAGE_GZIP"] {
        case "always": true
        case "never": false
        default: !ServerURL.isLoopback(baseURL.host ?? "")
        }
    }

    static func send(
        _ request: HTTPExchange.Request, through sendAsIs: (HTTPExchange.Request) async throws -> HTTPExchange.Response
    ) async throws -> HTTPExchange.Response {
        guard let body = request.body, body.count >= compressFrom else { return try await sendAsIs(request) }
        var compressed = request
        var buffer = ByteBuffer(bytes: body)
        var gzipped = try buffer.compress(with: .gzip())
        compressed.body = Data(gzipped.readBytes(length: gzipped.readableBytes) ?? [])
        compressed.headers["Content-Encoding"] = "gzip"
        let response = try await sendAsIs(compressed)
        if response.status == 415 { return try await sendAsIs(request) }
        return response
    }
}
