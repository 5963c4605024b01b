import EngageStorage
import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL (libpq's form): `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
/// with `?sslmode=disable|prefer|require` (default `prefer`) and, for a Unix socket,
/// `?host=/path/to/socket/folder` in place of a host name.
public enum DatabaseURL {
    /// What a URL names.
    struct Parts {
        var host: String?
        var socket: String?
        var port: Int
        var user: String
        var password: String?
        var database: String?
        var sslmode: String
    }

    static func parts(_ url: String) throws(StoreError) -> Parts {
        let example = "postgres://engage@127.0.0.1:5432/engage"
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError(.invalid, "'\(Self.redacted(url))' is not a PostgreSQL URL; write it as \(example)")
        }
        guard let user = parts.user?.removingPercentEncoding, !user.isEmpty else {
            throw StoreError(.invalid, "the database URL names no user; write it as \(example)")
        }
        let database = String(parts.path.drop { $0 == "/" }).removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let socket = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        guard socket != nil || !(parts.host ?? "").isEmpty else {
            throw StoreError(.invalid, "the database URL names no host; write it as \(example)")
        }
        let sslmode = query["sslmode"] ?? "prefer"
        guard ["disable", "prefer", "allow", "require", "verify-ca", "verify-full"].contains(sslmode) else {
            throw StoreError(.invalid, "sslmode '\(sslmode)' is not one of disable, prefer, require")
        }
        return Parts(host: parts.host, socket: socket, port: parts.port ?? 5432, user: user, password: parts.password?.removingPercentEncoding,
                     database: database, sslmode: sslmode)
    }

    /// The client configuration for `url`; `invalid_value` with what to write when it is malformed.
    public static func configuration(_ url: String) throws(StoreError) -> PostgresClient.Configuration {
        let p = try parts(url)
        if let socket = p.socket {
            return .init(unixSocketPath: socket + "/.s.PGSQL.\(p.port)", username: p.user, password: p.password, database: p.database)
        }
        let tls: PostgresClient.Configuration.TLS = switch p.sslmode {
        case "disable": .disable
        case "prefer", "allow": .prefer(.makeClientConfiguration())
        default: .require(.makeClientConfiguration())
        }
        return .init(host: p.host ?? "", port: p.port, username: p.user, password: p.password, database: p.database, tls: tls)
    }

    /// The configuration of one connection to `url` (without TLS when it says `sslmode=disable`,
    /// else with it when the server offers it): for the first contact, whose refusal is reported at once.
    static func connectionConfiguration(_ url: String) throws -> PostgresConnection.Configuration {
        let p = try parts(url)
        if let socket = p.socket {
            return .init(unixSocketPath: socket + "/.s.PGSQL.\(p.port)", username: p.user, password: p.password, database: p.database)
        }
        let tls: PostgresConnection.Configuration.TLS = switch p.sslmode {
        case "disable": .disable
        case "prefer", "allow": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return .init(host: p.host ?? "", port: p.port, username: p.user, password: p.password, database: p.database, tls: tls)
    }

    /// `url` without its password, for messages and logs — read by hand rather than by
    /// `URLComponents`, so that a URL too malformed to parse is masked too: the password is what
    /// follows the user's `:` up to the last `@`; without an `@`, what follows a `:` after the
    /// scheme unless it is a port (digits).
    public static func redacted(_ url: String) -> String {
        let start = url.range(of: "://")?.upperBound ?? url.startIndex
        if let at = url[start...].lastIndex(of: "@") {
            guard let colon = url[start..<at].firstIndex(of: ":") else { return url }
            return String(url[...colon]) + "***" + String(url[at...])
        }
        let end = url[start...].firstIndex(of: "/") ?? url.endIndex
        guard let colon = url[start..<end].firstIndex(of: ":") else { return url }
        let after = url[url.index(after: colon)..<end]
        if !after.isEmpty, after.allSatisfy(\.isNumber) { return url }
        return String(url[...colon]) + "***" + String(url[end...])
    }
}
