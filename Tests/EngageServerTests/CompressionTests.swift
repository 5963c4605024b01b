import CompressNIO
import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// gzip both ways: what the hub takes, what it refuses, and what it sends.
@Suite struct CompressionTests {
    func gzip(_ text: String) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: text)
        return try buffer.compress(with: .gzip())
    }

    @Test func aGzippedPushIsTakenAndBombsAndUnknownCodingsAreRefused() async throws {
        let f = try Fixture(maxBodyBytes: 64 * 1024)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            var zipped = headers(token: token)
            zipped[.contentEncoding] = "gzip"
            try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: try gzip(#"{"changes":[]}"#)) {
                #expect($0.status == .ok)
            }
            // 200 KB of spaces in about 200 bytes: over the 64 KiB limit once decompressed.
            let bomb = try gzip(#"{"changes":[]"# + String(repeating: " ", count: 200_000) + "}")
            #expect(bomb.readableBytes < 1_000)
            try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: bomb) {
                #expect($0.status == .contentTooLarge && $0.errorCode == "body_too_large")
            }
            try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: ByteBuffer(string: "not gzip")) {
                #expect($0.status == .badRequest)
            }
            var brotli = headers(token: token)
            brotli[.contentEncoding] = "br"
            try await client.execute(uri: "/v1/push", method: .post, headers: brotli, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .unsupportedMediaType && $0.errorCode == "unsupported_encoding")
                #expect($0.headers[.acceptEncoding] == "gzip")
            }
        }
    }

    /// A body is read as `gzip -d` reads a file: concatenated members are one body; a stream cut
    /// short or followed by other bytes is refused as gzip, not passed on as broken JSON.
    @Test func gzipFramingIsCheckedWholeAcrossMembers() async throws {
        let f = try Fixture(maxBodyBytes: 64 * 1024)
        let code = try await f.code()
        @Sendable func cut(_ buffer: ByteBuffer, dropping n: Int) -> ByteBuffer { buffer.getSlice(at: 0, length: buffer.readableBytes - n)! }
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            var zipped = headers(token: token)
            zipped[.contentEncoding] = "gzip"
            let whole = try gzip(#"{"changes":[]}"#)
            var twoMembers = try gzip(#"{"changes":"#)
            twoMembers.writeImmutableBuffer(try gzip("[]}"))
            try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: twoMembers) {
                #expect($0.status == .ok)
            }
            var junkAfter = whole
            junkAfter.writeString("junk")
            var tooShortAfter = whole
            tooShortAfter.writeBytes([0x1F, 0x8B])
            let refused: [(String, ByteBuffer)] = [
                ("trailer missing", cut(whole, dropping: 8)), ("size missing", cut(whole, dropping: 4)),
                ("cut mid-stream", cut(whole, dropping: 12)), ("junk after", junkAfter), ("a member's start after", tooShortAfter),
                ("header only", cut(whole, dropping: whole.readableBytes - 10)),
            ]
            for (name, body) in refused {
                try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: body) {
                    #expect($0.status == .badRequest && $0.errorCode == "malformed_body", "\(name)")
                }
            }
            // Each member under the limit, together over it.
            var bombs = ByteBuffer()
            for _ in 0..<3 { bombs.writeImmutableBuffer(try gzip(String(repeating: " ", count: 30_000))) }
            try await client.execute(uri: "/v1/push", method: .post, headers: zipped, body: bombs) {
                #expect($0.status == .contentTooLarge && $0.errorCode == "body_too_large")
            }
        }
    }

    @Test func answersAreGzippedOnlyWhenAskedAndWorthIt() async throws {
        let f = try Fixture()
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            var asking = headers(token: token)
            asking[.acceptEncoding] = "br;q=1.0, gzip;q=0.5"
            // The partner registry makes the first page well over 1 KiB.
            let plain = try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: headers(token: token)) { $0 }
            #expect(plain.headers[.contentEncoding] == nil && plain.body.readableBytes > 1_024)
            let zipped = try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: asking) { $0 }
            #expect(zipped.headers[.contentEncoding] == "gzip")
            var body = zipped.body
            let unzipped = try body.decompress(with: .gzip())
            #expect(unzipped == plain.body)
            #expect(zipped.body.readableBytes * 4 < plain.body.readableBytes)
            for refusal in ["gzip;q=0", "gzip;q=0, *;q=1", "identity"] {
                var refusing = headers(token: token)
                refusing[.acceptEncoding] = refusal
                try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: refusing) {
                    #expect($0.headers[.contentEncoding] == nil, "\(refusal)")
                    #expect($0.headers[.vary] == "Accept-Encoding")
                }
            }
        }
    }
}
