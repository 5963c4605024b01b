import EngageStorage
import Foundation
import PostgresNIO

/// A PostgreSQL connection URL (libpq's form): `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
/// with `?sslmode=disable|prefer|require` (default `prefer`) and, for a Unix socket,
/// `?host=/path/to/socket/folder` in place of a host name.
public enum DatabaseURL {
    /// The client configuration for `url`; `invalid_value` with what to write when it is malformed.
    public static func configuration(_ url: String) throws(StoreError) -> PostgresClient.Configuration {
        let example = "postgres://engage@127.0.0.1:5432/engage"
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError(.invalid, "'\(Self.redacted(url))' is not a PostgreSQL URL; write it as \(example)")
        }
        guard let user = parts.user?.removingPercentEncoding, !user.isEmpty else {
            throw StoreError(.invalid, "the database URL names no user; write it as \(example)")
        }
        let database = String(parts.path.drop { $0 == "/" }).removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
        let password = parts.password?.removingPercentEncoding
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let port = parts.port ?? 5432
            return .init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        guard let host = parts.host, !host.isEmpty else {
            throw StoreError(.invalid, "the database URL names no host; write it as \(example)")
        }
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other: throw StoreError(.invalid, "sslmode '\(other)' is not one of disable, prefer, require")
        }
        return .init(host: host, port: parts.port ?? 5432, username: user, password: password, database: database, tls: tls)
    }

    /// `url` without its password, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }
}
