import Crypto
import Foundation
import _CryptoExtras

/// The hashes the server stores instead of codes and tokens, and the shapes of its draws.
enum Secrets {
    /// Letters and digits that cannot be misread (no 0/O, 1/I/L).
    static let codeAlphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")

    /// What the hub stores of an enrolment code, compared without case, spaces or dashes:
    /// PBKDF2-HMAC-SHA256, `codeRounds` rounds, a fixed salt (the hub looks a code up by its
    /// digest, so every code has the same salt; the rounds are what slow down guessing). A code
    /// has about 50 bits: a copy of the database searched at 4·10⁹ rounds a second (one GPU)
    /// needs about 900 GPU-years for all of them, where unsalted SHA-256 took hours.
    /// Codes stored under SHA-256 by an earlier version no longer match: issue them again.
    static func codeDigest(_ code: String) -> String {
        // 100,000 rounds, under the 210,000 swift-crypto asks of passwords: a code lives 72 hours
        // and has ~50 random bits, and every enrolment (unauthenticated) pays the rounds.
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: Data(normalizedCode(code).utf8), salt: Data(codeSalt.utf8), using: .sha256, outputByteCount: 32,
                unsafeUncheckedRounds: codeRounds)
        else { preconditionFailure("PBKDF2 refused constant parameters") }
        return key.withUnsafeBytes { hex(Array($0)) }
    }

    static let codeSalt = "engage-enrolment-code-v1"
    static let codeRounds = 100_000

    /// SHA-256, hex: for tokens (256 random bits).
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
