import Crypto
import Foundation

extension UUID {
    /// A name-based UUID, version 8 (RFC 9562 §5.8): the first 16 bytes of the SHA-256 of
    /// `name`, with the version and variant bits set. The same name always gives the same id,
    /// which is what makes imports idempotent.
    public static func nameBased(_ name: Data) -> UUID {
        var b = Array(SHA256.hash(data: name).prefix(16))
        b[6] = b[6] & 0x0F | 0x80  // version 8: a custom, name-based UUID
        b[8] = b[8] & 0x3F | 0x80  // the RFC variant
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}
