import EngageCore
import EngageProtocol
import EngageStore
import Foundation

/// What one `engage sync` did.
public struct SyncSummary: Sendable, Codable, Equatable {
    public struct Rejection: Sendable, Codable, Equatable {
        public var activityId: String
        public var field: String
        public var code: String
        public var message: String
    }

    public var pushed = 0
    public var pulled = 0
    /// Conflicts involving this device's pushed changes.
    public var conflicts: [String] = []
    public var openConflicts = 0
    public var rejected: [Rejection] = []
    public var cursor: Int64 = 0
    public var clockOffsetMs: Int64 = 0
}

/// Pushes the outbox, then pulls until caught up. Every step commits before the next, so an
/// interrupted sync resumes where it stopped, and nothing is lost or applied twice.
public struct Synchronizer: Sendable {
    let store: DeviceStore
    let client: SyncClient
    /// Raw outbox entries per push (coalesced before sending).
    public var pushChunk = 500
    /// Bound on pull pages per sync (a safety net against a misbehaving server).
    public var maxPages = 100_000

    public init(store: DeviceStore, client: SyncClient) {
        self.store = store
        self.client = client
    }

    /// A synchronizer for the device's enrolment, over URLSession; with `recorder`, every
    /// exchange also goes to a device transcript. `ENGAGE_FAULT=lose-push-answer` loses the
    /// first push's answer after the server handled it (for recording that session).
    public static func forEnrolledDevice(_ store: DeviceStore, record: Bool = false) throws -> (Synchronizer, RecordingTransport?) {
        guard let e = try store.enrollment() else { throw ClientError.notEnrolled }
        guard let url = URL(string: e.serverURL) else { throw ClientError.badServerURL(e.serverURL) }
        var transport: any Transport = URLSessionTransport(baseURL: url)
        if ProcessInfo.processInfo.environment["ENGAGE_FAULT"] == "lose-push-answer" {
            transport = LosingTransport(transport, losing: "/v1/push")
        }
        var recorder: RecordingTransport?
        if record {
            recorder = RecordingTransport(transport, device: .init(deviceId: e.deviceId, nodeId: try store.nodeID().rawValue),
                                          now: { store.physicalNow() })
            transport = recorder!
        }
        let client = SyncClient(transport: transport, token: e.token, now: { store.physicalNow() })
        return (Synchronizer(store: store, client: client), recorder)
    }

    public func sync() async throws -> SyncSummary {
        var summary = SyncSummary()
        try await push(&summary)
        try await pull(&summary)
        let status = try store.status()
        summary.openConflicts = status.openConflicts
        summary.cursor = status.serverCursor
        summary.clockOffsetMs = status.clockOffsetMs
        try store.recordSync(at: ISO8601DateFormatter().string(from: Date()))
        return summary
    }

    func push(_ summary: inout SyncSummary) async throws {
        while true {
            let pending = try store.pendingChanges(limit: pushChunk)
            guard let last = pending.last else { return }
            let changes = Outbox.coalesce(pending.map(\.change))
            let (answer, timing) = try await client.push(changes)
            try learn(timing)
            let byStamp = Dictionary(changes.map { ($0.stamp, $0) }, uniquingKeysWith: { a, _ in a })
            let rejected = answer.rejected.compactMap { r in byStamp[r.stamp].map { (change: $0, code: r.code, message: r.message) } }
            try store.completePush(throughSeq: last.seq, rejected: rejected, at: ISO8601DateFormatter().string(from: Date()))
            summary.pushed += answer.accepted.count
            summary.conflicts += answer.conflicts.map(\.id)
            summary.rejected += rejected.map { .init(activityId: $0.change.recordId, field: $0.change.field, code: $0.code, message: $0.message) }
        }
    }

    /// Pulls pages until caught up. The next page is requested while the current one is
    /// applied (the server and the device work at the same time); each page is applied and
    /// its cursor saved in one transaction, so an interruption loses at most a fetched page.
    func pull(_ summary: inout SyncSummary) async throws {
        let client = client
        var next = Task { try await client.pull(after: try store.status().serverCursor) }
        for _ in 0..<maxPages {
            let (page, timing) = try await next.value
            if page.more {
                let cursor = page.cursor
                next = Task { try await client.pull(after: cursor) }
            }
            do {
                try learn(timing)
                try store.applyRemote(page.changes, cursor: page.cursor)
            } catch {
                if page.more { next.cancel() }
                throw error
            }
            summary.pulled += page.changes.count
            if !page.more { return }
        }
    }

    func learn(_ timing: SyncClient.Timing) throws {
        if let server = timing.serverMs {
            try store.learnServerTime(serverMs: server, sentMs: timing.sentMs, receivedMs: timing.receivedMs)
        }
    }

    /// Enrols this device with a one-time code and saves the credentials.
    public static func enroll(store: DeviceStore, serverURL: String, code: String) async throws -> EnrolledDevice {
        guard let url = URL(string: serverURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ClientError.badServerURL(serverURL)
        }
        let client = SyncClient(transport: URLSessionTransport(baseURL: url), token: nil, now: { store.physicalNow() })
        let (answer, timing) = try await client.enroll(code: code, nodeId: try store.nodeID().rawValue)
        try store.saveEnrollment(Enrollment(serverURL: serverURL, deviceId: answer.deviceId, token: answer.token))
        if let server = timing.serverMs { try store.learnServerTime(serverMs: server, sentMs: timing.sentMs, receivedMs: timing.receivedMs) }
        return EnrolledDevice(deviceId: answer.deviceId, name: answer.name, post: answer.post, role: answer.role)
    }
}

extension Synchronizer {
    public func history(activityId: String) async throws -> [HistoryItem] {
        try await client.history(activityId: activityId).entries.map(HistoryItem.init)
    }
}
