import ArgumentParser
import Foundation

/// Secrets the server reads from files rather than its command line, which every user of the
/// machine can read (`ps`): the PostgreSQL URL with its password, the metrics token.
enum SecretFile {
    /// The file's text, trimmed. Refused when others than its owner may read it, as ssh and
    /// libpq refuse such key and password files.
    static func read(_ path: String, what: String) throws -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue,
            let data = FileManager.default.contents(atPath: path)
        else {
            throw ValidationError("\(what): cannot read \(path); check the path and its permissions")
        }
        guard mode & 0o077 == 0 else {
            throw ValidationError("\(what): \(path) may be read by others than its owner; run `chmod 600 \(path)`")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationError("\(what): \(path) is empty") }
        return text
    }

    /// Whether a PostgreSQL URL carries a password (in its user part or as `password=`).
    static func hasPassword(_ url: String) -> Bool {
        if let components = URLComponents(string: url) {
            if components.password.map({ !$0.isEmpty }) == true { return true }
            if components.queryItems?.contains(where: { $0.name.lowercased() == "password" }) == true { return true }
            return false
        }
        // Not a URL Foundation reads: a password may be anywhere in it.
        return url.contains("@") || url.lowercased().contains("password")
    }
}
