import Foundation

/// A recorded sync session: every exchange in the order it was handled, with what is needed
/// to replay it deterministically. Format documented in sync-protocol/sessions/README.md.
public struct Transcript: Codable, Sendable, Equatable {
    public static let formatName = "engage-session"
    public static let currentVersion = 1

    public enum Kind: String, Codable, Sendable { case server, device }

    public struct Device: Codable, Sendable, Equatable {
        public var deviceId: String
        public var nodeId: String
        public init(deviceId: String, nodeId: String) {
            self.deviceId = deviceId
            self.nodeId = nodeId
        }
    }

    public struct Draw: Codable, Sendable, Equatable {
        public var kind: String
        public var value: String
        public init(kind: String, value: String) {
            self.kind = kind
            self.value = value
        }
    }

    /// Administrative state an exchange depended on, made outside the API.
    public struct Setup: Codable, Sendable, Equatable {
        public struct Enrolment: Codable, Sendable, Equatable {
            public var code: String
            public var name: String
            public var post: String
            public var role: String
            public var expiresAt: Int64
            public init(code: String, name: String, post: String, role: String, expiresAt: Int64) {
                self.code = code
                self.name = name
                self.post = post
                self.role = role
                self.expiresAt = expiresAt
            }
        }

        public var enrolment: Enrolment?
        /// A device revoked before this exchange.
        public var revoked: String?
        public init(enrolment: Enrolment? = nil, revoked: String? = nil) {
            self.enrolment = enrolment
            self.revoked = revoked
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        public var method: String?
        public var path: String?
        public var status: Int?
        public var headers: [String: String]
        /// A JSON body, as JSON.
        public var body: JSONValue?
        /// A body that is not JSON, as text.
        public var text: String?

        public init(method: String? = nil, path: String? = nil, status: Int? = nil, headers: [String: String], data: Data) {
            self.method = method
            self.path = path
            self.status = status
            self.headers = headers
            if data.isEmpty { return }
            if let value = try? JSONDecoder().decode(JSONValue.self, from: data) {
                body = value
            } else {
                text = String(decoding: data, as: UTF8.self)
            }
        }

        /// The body's bytes, to send again.
        public var data: Data {
            if let text { return Data(text.utf8) }
            guard let body else { return Data() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(body)) ?? Data()
        }
    }

    public struct Exchange: Codable, Sendable, Equatable {
        public var n: Int
        /// The server's clock during the exchange (ms since 1970).
        public var at: Int64
        public var draws: [Draw]
        public var setup: Setup?
        /// The device's raw clock when it sent and received (device transcripts).
        public var deviceClock: [Int64]?
        public var request: Message
        public var response: Message
        public init(n: Int, at: Int64, draws: [Draw], setup: Setup?, deviceClock: [Int64]?, request: Message, response: Message) {
            self.n = n
            self.at = at
            self.draws = draws
            self.setup = setup
            self.deviceClock = deviceClock
            self.request = request
            self.response = response
        }
    }

    public var format = Transcript.formatName
    public var version = Transcript.currentVersion
    public var kind: Kind
    /// The server's clock when it started (server transcripts): stamps of the registry load.
    public var startedAt: Int64?
    public var device: Device?
    /// The server's pull page limit, when the recording ran with a non-default one.
    public var pullLimit: Int?
    /// The hub database the recording started from, when it was not a new one (imports,
    /// registry changes, earlier syncs): a SQLite file, gzipped, in base64. A replay starts from
    /// exactly this state; without it, from a new hub whose registry loads at `startedAt`.
    public var hubSnapshot: String?
    /// Server transcripts recorded on a hub that was there before without its copy
    /// (`serve --record` without `--record-hub-copy`): a replay needs a copy of that hub.
    public var existingHub: Bool?
    public var exchanges: [Exchange]

    public init(kind: Kind, startedAt: Int64? = nil, device: Device? = nil, exchanges: [Exchange] = []) {
        self.kind = kind
        self.startedAt = startedAt
        self.device = device
        self.exchanges = exchanges
    }

    /// Pretty, sorted JSON: stable files that diff well.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func decode(_ data: Data) throws -> Transcript {
        let transcript = try JSONDecoder().decode(Transcript.self, from: data)
        guard transcript.format == formatName else { throw TranscriptError("not an Engage session transcript") }
        guard transcript.version == currentVersion else {
            throw TranscriptError(
                "transcript version \(transcript.version) is not supported; this build reads version \(currentVersion)")
        }
        return transcript
    }
}

public struct TranscriptError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Any JSON value, with integers kept exact.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The first place two values differ, as a path and both values; nil when equal.
    public func firstDifference(from other: JSONValue, path: String = "$") -> (path: String, recorded: String, now: String)? {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            for key in Set(a.keys).union(b.keys).sorted() {
                guard let x = a[key], let y = b[key] else {
                    return ("\(path).\(key)", a[key].map { "\($0)" } ?? "absent", b[key].map { "\($0)" } ?? "absent")
                }
                if let d = x.firstDifference(from: y, path: "\(path).\(key)") { return d }
            }
            return nil
        case (.array(let a), .array(let b)):
            for i in 0..<min(a.count, b.count) {
                if let d = a[i].firstDifference(from: b[i], path: "\(path)[\(i)]") { return d }
            }
            return a.count == b.count ? nil : ("\(path).count", "\(a.count)", "\(b.count)")
        default:
            return self == other ? nil : (path, "\(self)", "\(other)")
        }
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.count) items]"
        case .object(let o): "{\(o.keys.sorted().joined(separator: ", "))}"
        }
    }
}

/// The secrets a recording has seen and the placeholders written for them (`<token-1>`,
/// `<code-1>`, numbered per kind in order of appearance). A recording holds no secret: every
/// `Authorization` header's credentials (whatever the scheme and its case), every `token`
/// member of a body, and every value already known as a secret, wherever it appears.
public struct SecretPlaceholders: Sendable {
    private var placeholders: [String: String] = [:]  // secret → placeholder
    private var counts: [String: Int] = [:]

    public init() {}

    /// The placeholder of `secret`, made on first sight.
    public mutating func placeholder(for secret: String, kind: String) -> String {
        if let known = placeholders[secret] { return known }
        if placeholders.values.contains(secret) { return secret }  // a placeholder already (a replayed session)
        counts[kind, default: 0] += 1
        let p = "<\(kind)-\(counts[kind]!)>"
        placeholders[secret] = p
        return p
    }

    /// An `Authorization` value with its credentials replaced: `bearer T` → `bearer <token-1>`.
    public mutating func authorization(_ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return placeholder(for: trimmed, kind: "token") }
        let credentials = trimmed[space...].trimmingCharacters(in: .whitespaces)
        return String(trimmed[..<space]) + " " + placeholder(for: credentials, kind: "token")
    }

    /// `value` with every known secret, and every string of a `token` member, replaced.
    public mutating func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(placeholders[s] ?? s)
        case .array(let a): return .array(a.map { redact($0) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (key, member) in o {
                if key == "token", case .string(let secret) = member {
                    out[key] = .string(placeholder(for: secret, kind: "token"))
                } else {
                    out[key] = redact(member)
                }
            }
            return .object(out)
        default: return value
        }
    }

    /// Headers with `authorization` (in any case) redacted.
    public mutating func redact(headers: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers { out[name] = name.lowercased() == "authorization" ? authorization(value) : value }
        return out
    }
}

extension Transcript {
    /// Writes the transcript readable by its owner only: it holds activity data.
    public func write(to url: URL) throws {
        try encoded().write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
