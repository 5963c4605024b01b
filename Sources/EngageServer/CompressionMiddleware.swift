import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Content-Encoding both ways (RFC 9110 §8.4): a request body sent with `Content-Encoding: gzip`
/// is decompressed — at most `maxBodyBytes` once decompressed, so a small "zip bomb" gets 413
/// like any large body — and an answer of at least `minimumSize` bytes is gzipped for a client
/// that lists gzip in `Accept-Encoding`. Every answer advertises `Accept-Encoding: gzip`: the
/// codings the hub takes in requests (RFC 7694). Uses CompressNIO (zlib).
struct CompressionMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    let now: @Sendable () -> Int64
    static var minimumSize: Int { 1_024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        do {
            try await decompress(&request)
        } catch let error as APIError {
            var response = error.response(now: now())
            response.headers[.acceptEncoding] = "gzip"  // what a 415 must name (RFC 7694 §3)
            return response
        }
        var response = try await next(request, context)
        response.headers[.acceptEncoding] = "gzip"
        response.headers[values: .vary].append("Accept-Encoding")  // whether gzipped or not, it depends on it
        guard Self.acceptsGzip(request.headers[values: .acceptEncoding]), response.headers[.contentEncoding] == nil else {
            return response
        }
        let collector = Collector()
        try await response.body.write(collector)
        guard var body = collector.buffer, body.readableBytes >= Self.minimumSize else {
            response.body = ResponseBody(byteBuffer: collector.buffer ?? ByteBuffer())
            return response
        }
        let gzipped = try body.compress(with: .gzip(configuration: .init(compressionLevel: Self.level(forSize: body.readableBytes))))
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = String(gzipped.readableBytes)
        response.body = ResponseBody(byteBuffer: gzipped)
        return response
    }

    /// zlib's default level (6) for answers up to 256 KiB, its fastest (1) above. Large answers
    /// are asked for over fast links (the client's pages grow only while exchanges stay short),
    /// where level 6 cost more time than the bytes it saved: a 100,000-activity initial pull on
    /// loopback took 18.7 s against 15.5 s uncompressed; level 1 is several times faster and
    /// gives up a few percent of the ratio (docs/BENCHMARKS.md).
    static func level(forSize bytes: Int) -> Int32 { bytes <= 256 * 1024 ? 6 : 1 }

    /// Replaces a gzip request body by its decompressed bytes.
    func decompress(_ request: inout Request) async throws {
        if let coding = request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased(), coding != "identity" {
            guard coding == "gzip" || coding == "x-gzip" else {
                throw APIError(.unsupportedMediaType, "unsupported_encoding",
                               "Content-Encoding '\(coding.prefix(40))' is not taken here; send gzip or an uncompressed body")
            }
            var compressed: ByteBuffer
            do {
                compressed = try await request.body.collect(upTo: maxBodyBytes)
            } catch {
                throw APIError(.contentTooLarge, "body_too_large", "the request body is over \(maxBodyBytes) bytes; send fewer changes per push")
            }
            let plain = try Self.gunzip(&compressed, maxSize: maxBodyBytes)
            var head = request.head
            head.headerFields[.contentEncoding] = nil
            head.headerFields[.contentLength] = String(plain.readableBytes)
            request = Request(head: head, body: RequestBody(buffer: plain))
        }
    }

    /// The bytes of a gzip file (RFC 1952): one member or several concatenated, as `gzip -d`
    /// reads them. Refused as `malformed_body` (400): corrupt data, bytes after the last member
    /// that do not start another, and a stream cut short — zlib stops without an error when its
    /// input runs out, so each member's trailer (ISIZE, the size mod 2³²) is checked against what
    /// it produced. Over `maxSize` bytes in all: `body_too_large` (413).
    static func gunzip(_ compressed: inout ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        let notGzip = APIError.badRequest("malformed_body", "the body is not valid gzip; send it again, or uncompressed")
        var plain = ByteBuffer()
        let input = compressed  // reads behind `compressed`'s reader index, where the trailers are
        repeat {
            guard compressed.readableBytes >= 18, compressed.getBytes(at: compressed.readerIndex, length: 2) == [0x1F, 0x8B] else {
                throw plain.readableBytes == 0 ? notGzip
                    : APIError.badRequest("malformed_body", "bytes after the end of the gzip stream; send the gzip file alone")
            }
            let member: ByteBuffer
            do {
                member = try compressed.decompress(with: .gzip(), maxSize: maxSize - plain.readableBytes)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw APIError(.contentTooLarge, "body_too_large",
                               "the request body is over \(maxSize) bytes once decompressed; send fewer changes per push")
            } catch {
                throw notGzip
            }
            let trailer = input.getInteger(at: compressed.readerIndex - 4, endianness: .little, as: UInt32.self)
            guard trailer == UInt32(truncatingIfNeeded: member.readableBytes) else {
                throw APIError.badRequest("malformed_body", "the gzip stream is cut short (no complete trailer); send the whole body again")
            }
            plain.writeImmutableBuffer(member)
        } while compressed.readableBytes > 0
        return plain
    }

    /// Whether an `Accept-Encoding` list takes gzip: its own entry's q-value above 0, or, with
    /// no entry of its own, a `*` entry's (RFC 9110 §12.5.3).
    static func acceptsGzip(_ values: [String]) -> Bool {
        var named: Double?, any: Double?
        for item in values.flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch parts.first {
            case "gzip", "x-gzip": named = max(named ?? 0, q)
            case "*": any = max(any ?? 0, q)
            default: break
            }
        }
        return (named ?? any ?? 0) > 0
    }

    /// Gathers a response body written in parts.
    final class Collector: ResponseBodyWriter {
        var buffer: ByteBuffer?

        func write(_ part: ByteBuffer) async throws {
            if buffer == nil { buffer = part } else { buffer!.writeImmutableBuffer(part) }
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
