import Crypto
import Foundation

/// Enrolment codes, tokens and ids, and the hashes the server stores instead of them.
enum Secrets {
    /// Letters and digits that cannot be misread (no 0/O, 1/I/L).
    static let codeAlphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")

    static func code(_ env: ServerEnvironment) -> String { env.draw(.code) }
    static func token(_ env: ServerEnvironment) -> String { env.draw(.token) }
    static func deviceID(_ env: ServerEnvironment) -> String { env.draw(.deviceID) }
    static func nodeID(_ env: ServerEnvironment) -> String { env.draw(.nodeID) }

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
