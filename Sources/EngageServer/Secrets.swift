import Crypto
import Foundation

/// The hashes the server stores instead of codes and tokens, and the shapes of its draws.
enum Secrets {
    /// Letters and digits that cannot be misread (no 0/O, 1/I/L).
    static let codeAlphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


    /// SHA-256, hex. Codes are compared without case or spaces.
    static func hash(_ secret: String) -> String {
        hex(Array(SHA256.hash(data: Data(secret.utf8))))
    }

    static func normalizedCode(_ code: String) -> String {
        code.uppercased().filter { !$0.isWhitespace && $0 != "-" }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}
