import EngageCore
import EngageProtocol
import EngageStorage
import EngageStore
import Foundation

/// How far a sync has got: changes and bytes of JSON each way (before compression).
public struct SyncProgress: Sendable, Equatable {
    public var pushed = 0
    public var pushedBytes = 0
    public var pulled = 0
    public var pulledBytes = 0
    /// Changes this sync pushes, and about how many it pulls (the hub's count on the first page),
    /// once known.
    public var pushTotal: Int?
    public var pullTotal: Int?

    /// "1,200 of about 2,151", or "1,200" while the total is unknown (or nothing is expected).
    public static func count(_ n: Int, of total: Int?) -> String {
        guard let total, total > 0 else { return n.formatted() }
        return "\(n.formatted()) of about \(max(total, n).formatted())"
    }
}

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
    /// Why the push stopped early, when it did (the pull still ran; the rest waits in the outbox).
    public var pushError: String?
    /// Set when this database took a new identity (another copy of it uses the old one).
    public var newDeviceId: String?
    /// Activities headquarters moved from this device's post to another, learnt by this sync
    /// (ids): read-only here from now on.
    public var movedAway: [String] = []
    /// Imported values of activities the hub already held, left for the hub's (`exists`).
    public var importsLeft = 0
    /// Set when the hub had lost what this device synced before (restored from a backup):
    /// the device sent its changes again and pulled from the start.
    public var startedOver = false
    /// The hub's receipts for this sync's pushes (change-log id ranges, adjacent ones merged):
    /// the pull leaves out what they wrote, which the device has (`own` in the protocol).
    var receipts: [ClosedRange<Int64>] = []
    /// Bytes of JSON sent and received, and the totals when known (for the progress line).
    var pushedBytes = 0, pulledBytes = 0
    var pushTotal: Int?, pullTotal: Int?

    var progress: SyncProgress {
        SyncProgress(
            pushed: pushed, pushedBytes: pushedBytes, pulled: pulled, pulledBytes: pulledBytes, pushTotal: pushTotal,
            pullTotal: pullTotal)
    }

    /// "1,200 of about 2,151 changes", or "1,200 changes" while the total is unknown.
    var pulledText: String { SyncProgress.count(pulled, of: pullTotal) + " changes" }

    mutating func addReceipt(_ receipt: [Int64]?) {
        guard let receipt, receipt.count == 2, receipt[0] <= receipt[1] else { return }
        if let last = receipts.last, last.upperBound + 1 == receipt[0] {
            receipts[receipts.count - 1] = last.lowerBound...receipt[1]
        } else {
            receipts.append(receipt[0]...receipt[1])
        }
    }

    enum CodingKeys: String, CodingKey {
        case pushed, pulled, conflicts, openConflicts, rejected, cursor, clockOffsetMs, pushError, newDeviceId, startedOver
    }
}

/// Pushes the outbox, then pulls until caught up. Every step commits before the next, so an
/// interrupted sync resumes where it stopped, and nothing is lost or applied twice.
///
/// - Push: the outbox goes in batches of at most `pushChunk` entries and `pushMaxBytes` of
///   JSON; a batch the hub finds too large, in bytes (413) or in changes (400
///   `batch_too_large`), is halved, and later batches of the sync keep the bound. An outbox entry is dropped only
///   when the answer lists its stamp as accepted or refused. A refused change is kept with its
///   reason and the field returns to the hub's value; one refused as stamped too far ahead is
///   stamped again and re-sent. A push the hub refuses because another database uses this
///   device's identity makes this database take a new one, then re-send.
/// - Pull: pages until `more` is false. A hub that lost what this device synced before (a
///   cursor ahead of it, or another generation) makes the device re-send what it wrote and
///   pull from the start.
/// - A push that fails (network, server) never prevents the pull; the error is reported after.
public struct Synchronizer: Sendable {
    let store: DeviceStore
    var client: SyncClient
    /// Outbox entries per push (coalesced before sending).
    public var pushChunk = 500
    /// Bytes of JSON per push request; halved when the hub answers 413 or a batch fails to
    /// arrive (then grown back by batches that arrive).
    public var pushMaxBytes = 1 << 20
    /// Changes per pull page asked of the hub. Nil: adaptive — the first page asks for
    /// `firstPullLimit`, and each page that arrives at the first try within `slowExchangeMs`
    /// doubles the next (up to 5,000); a page that fails to arrive is asked again at half its
    /// size (down to 10), and the pages after it keep the size that arrived. On a lossy link an
    /// exchange's time is TCP's recovery from its losses whatever the page's size, so fewer,
    /// larger pages finish sooner; only failures make them smaller (docs/BENCHMARKS.md).
    public var pullLimit: Int?
    public var firstPullLimit = 100
    public var slowExchangeMs: Int64 = 10_000
    /// Pauses before retrying an exchange that failed for want of a network (the link dropped,
    /// the answer stalled): one per retry, so also the bound on retries. Progress made before a
    /// failure is kept whatever happens.
    public var retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15)]
    /// Called after every page or batch with what moved so far (for a progress line).
    public var progress: (@Sendable (SyncProgress) -> Void)?
    /// Bound on pull pages per sync (a safety net against a misbehaving server).
    public var maxPages = 100_000
    /// Ask for the next pull page while applying the current one.
    public var prefetch = true

    public init(store: DeviceStore, client: SyncClient) {
        self.store = store
        self.client = client
    }

    /// A synchronizer for the device's enrolment, over URLSession (the system's trust store;
    /// an enrolment with an agency CA needs `withEnrolledDevice`); with `recorder`, every
    /// exchange also goes to a device transcript.
    public static func forEnrolledDevice(_ store: DeviceStore, record: Bool = false) throws -> (Synchronizer, RecordingTransport?)
    {
        guard let e = try store.enrollment() else { throw ClientError.notEnrolled }
        guard let url = URL(string: e.serverURL) else { throw ClientError.badServerURL(e.serverURL) }
        return try forEnrolledDevice(store, e, transport: URLSessionTransport(baseURL: url), record: record)
    }

    /// Runs `body` with a synchronizer for the device's enrolment, over the transport its
    /// enrolment calls for: the agency CA given now (`override`), else the one remembered at
    /// enrolment, else the system's trust store. The transport is closed when `body` ends.
    public static func withEnrolledDevice<T>(
        _ store: DeviceStore, trusting override: AgencyCA? = nil, record: Bool = false,
        _ body: (Synchronizer, RecordingTransport?) async throws -> T
    ) async throws -> T {
        guard let e = try store.enrollment() else { throw ClientError.notEnrolled }
        guard let url = URL(string: e.serverURL) else { throw ClientError.badServerURL(e.serverURL) }
        let ca =
            try override
            ?? e.agencyCA.map { pem throws(ClientError) in try AgencyCA(pem: pem, source: "the agency CA given at enrolment") }
        return try await withTransport(to: url, trusting: ca) { transport in
            let (synchronizer, recorder) = try forEnrolledDevice(store, e, transport: transport, record: record)
            return try await body(synchronizer, recorder)
        }
    }

    static func forEnrolledDevice(
        _ store: DeviceStore, _ e: Enrollment, transport: any Transport, record: Bool
    ) throws -> (Synchronizer, RecordingTransport?) {
        var transport = transport
        var recorder: RecordingTransport?
        if record {
            recorder = RecordingTransport(
                transport, device: .init(deviceId: e.deviceId, nodeId: try store.nodeID().rawValue),
                now: { store.physicalNow() })
            transport = recorder!
        }
        let client = SyncClient(transport: transport, token: e.token, now: { store.physicalNow() })
        return (Synchronizer(store: store, client: client), recorder)
    }

    /// Why a sync goes round again: the device's identity or the hub's state changed under it.
    /// Sync again from the push: after a new identity (`again`), or after the hub went back and
    /// this device started over with it (`startedOver`).
    enum Restart: Error { case again, startedOver }

    public func sync() async throws -> SyncSummary {
        var summary = SyncSummary()
        var client = self.client
        var pushError: (any Error)?
        // At most a new identity and a start-over in one sync, then once more to finish.
        for round in 0..<3 {
            pushError = nil
            do {
                try await push(&summary, client: &client)
            } catch Restart.again where round < 2 {
                continue
            } catch Restart.startedOver where round < 2 {
                summary.startedOver = true
                continue
            } catch let error as ClientError where Self.isFatal(error) {
                throw error
            } catch let error as StoreError where error.code == .diskFull {
                throw error  // a pull could save nothing either; the push's words say what happened
            } catch {
                pushError = error
                summary.pushError = String(describing: error)
            }
            do {
                try await pull(&summary, client: client)
            } catch Restart.again where round < 2 {
                continue
            } catch Restart.startedOver where round < 2 {
                summary.startedOver = true
                continue
            } catch let error as ClientError where summary.pulled > 0 && !Self.isFatal(error) {
                if case .unreachable = error { throw SyncError.pullInterrupted(error, summary) }
                throw error
            }
            break
        }
        (summary.cursor, summary.clockOffsetMs, summary.openConflicts) = try store.syncPosition()
        try store.recordSync(at: ISO8601DateFormatter().string(from: Date()))
        if let pushError { throw SyncError.pushFailed(pushError, summary) }
        return summary
    }

    /// Runs `exchange`, retrying after `retryDelays` when the network failed (never after an
    /// answer from the hub, which retrying would not change).
    func retrying<T>(_ exchange: () async throws -> T) async throws -> T {
        try await retrying { _ in try await exchange() }
    }

    /// As `retrying(_:)`, telling the exchange how many tries failed before it (0 on the first).
    func retrying<T>(_ exchange: (Int) async throws -> T) async throws -> T {
        var delays = retryDelays[...]
        var failed = 0
        while true {
            do {
                return try await exchange(failed)
            } catch let error as ClientError {
                guard case .unreachable = error, let delay = delays.popFirst() else { throw error }
                failed += 1
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Errors after which nothing else can work (credentials).
    static func isFatal(_ error: ClientError) -> Bool {
        ["device_revoked", "invalid_token", "missing_token", "unsupported_version"].contains(error.code)
    }

    // MARK: - Push

    func push(_ summary: inout SyncSummary, client: inout SyncClient) async throws {
        var after: Int64 = 0
        var maxBytes = pushMaxBytes
        var maxChanges = Int.max
        var restamps = 0
        let node = try store.nodeID()
        summary.pushTotal = summary.pushed + (try store.pendingCount())
        while true {
            var pending = try store.pendingChanges(after: after, limit: pushChunk)
            guard var last = pending.last else { return }
            // A record's run of changes (a new activity's fields) is not split between pushes:
            // the hub judges a change by its record's post, which the run carries.
            for next in try store.pendingChanges(after: last.seq, limit: 64) {
                guard next.change.recordId == last.change.recordId else { break }
                pending.append(next)
                last = next
            }
            // Each entry is acknowledged by its own stamp or, for a field written again, by the
            // stamp of the latest write it was folded into.
            var latest: [FieldKey: HLC] = [:]
            for p in pending { if case .set = p.change.op { latest[p.change.target] = p.change.stamp } }
            let ackStamp = { (p: PendingChange) -> HLC in
                if case .set = p.change.op { return latest[p.change.target]! }
                return p.change.stamp
            }
            // In stamp order, so that every batch's stamps follow the last one's: the hub takes a
            // new stamp at or below a node's greatest as the sign of a copied database. Others'
            // values (queued again for a hub that lost them) are relayed apart.
            let changes = Outbox.coalesce(pending.map(\.change)).sorted { $0.stamp < $1.stamp }
            var ahead: Set<HLC> = []
            // Its own in runs of an import's (`fill`) and the rest, still in stamp order.
            let fills = Set(pending.filter(\.fill).map(\.change.stamp))
            var parts: [(relay: Bool, fill: Bool, changes: [Change])] = [(true, false, changes.filter { $0.stamp.node != node })]
            for change in changes where change.stamp.node == node {
                let fill = fills.contains(change.stamp)
                if let last = parts.last, !last.relay, last.fill == fill {
                    parts[parts.count - 1].changes.append(change)
                } else {
                    parts.append((false, fill, [change]))
                }
            }
            for part in parts where !part.changes.isEmpty {
                ahead.formUnion(
                    try await send(
                        part.changes, relay: part.relay, fill: part.fill, pending: pending, ackStamp: ackStamp,
                        maxBytes: &maxBytes, maxChanges: &maxChanges, summary: &summary, client: &client))
            }
            if !ahead.isEmpty, restamps < 3 {
                // Stamped by a clock that ran ahead: stamp again with the corrected clock, send again.
                restamps += 1
                try store.restamp(ahead)
                after = 0
                continue
            }
            after = last.seq
        }
    }

    /// Sends `changes` in batches within `maxBytes`; returns the stamps refused as too far ahead.
    func send(
        _ changes: [Change], relay: Bool, fill: Bool = false, pending: [PendingChange], ackStamp: (PendingChange) -> HLC,
        maxBytes: inout Int,
        maxChanges: inout Int, summary: inout SyncSummary, client: inout SyncClient
    ) async throws -> Set<HLC> {
        var start = 0
        var ahead: Set<HLC> = []
        let own = relay ? try store.ownNodes() : []
        let node = try store.nodeID()
        // The link's bound on a batch: one that failed to arrive goes again at half its bytes (a
        // smaller upload is less exposed to the next loss), the batches after it keep the size
        // that arrived, and each that arrives at the first try doubles the bound back.
        var linkBytes = Int.max
        while start < changes.count {
            var batch = Self.batch(changes, from: start, maxBytes: min(maxBytes, linkBytes), maxChanges: maxChanges)
            let answer: PushResponse
            let sentBytes: Int
            do {
                let pushClient = client
                let checkpoint = try store.hubCheckpoint()
                let first = batch
                let from = start
                let most = maxChanges
                let (a, timing, sent, failed) = try await retrying { failed in
                    let sent =
                        failed == 0
                        ? first
                        : Self.batch(changes, from: from, maxBytes: max(Self.bytes(first) >> failed, 1_024), maxChanges: most)
                    let (a, timing) = try await pushClient.push(sent, relay: relay, fill: fill, checkpoint: checkpoint)
                    return (a, timing, sent, failed)
                }
                batch = sent
                if failed > 0 {
                    linkBytes = max(Self.bytes(sent), 1_024)
                } else if linkBytes < maxBytes {
                    linkBytes = linkBytes < maxBytes / 2 ? linkBytes * 2 : .max
                }
                try noting(a.accepted.count) { try learn(timing) }
                answer = a
                sentBytes = timing.sentBytes
            } catch ClientError.server(413, _, let message) {
                if batch.count > 1 {
                    maxBytes = max(1024, Self.bytes(batch) / 2)
                    continue
                }
                // One change larger than the hub accepts: set aside with the reason, kept as typed.
                let seqs = pending.filter { ackStamp($0) == batch[0].stamp }.map(\.seq)
                try store.setAside(
                    batch[0], code: "body_too_large",
                    message: "this change is larger than the server accepts (\(message)); shorten it and edit again",
                    outboxSeqs: seqs, at: Self.now())
                start += 1
                continue
            } catch ClientError.server(400, "batch_too_large", _) where batch.count > 1 {
                // The hub takes fewer changes per push than this batch held (`serve --max-batch`):
                // halve the batches until one is taken; the bound holds for the rest of the sync.
                maxChanges = max(1, batch.count / 2)
                continue
            } catch ClientError.server(409, "identity_conflict", _) {
                try await takeNewIdentity(&summary, client: &client)
                throw Restart.again
            } catch ClientError.server(409, "hub_went_back", _) {
                try startOver()
            }
            start += batch.count
            for run in answer.held ?? [] { summary.addReceipt(run) }
            summary.addReceipt(answer.receipt)
            summary.pushedBytes += sentBytes
            let refused = answer.rejected.filter { $0.code != "stamp_ahead" }
            ahead.formUnion(answer.rejected.filter { $0.code == "stamp_ahead" }.map(\.stamp))
            let done = Set(answer.accepted).union(refused.map(\.stamp))
            let byStamp = Dictionary(batch.map { ($0.stamp, $0) }, uniquingKeysWith: { a, _ in a })
            // A relayed value of another device the hub will not take back is not this device's
            // to keep or undo; its own, written under an earlier identity, are.
            let rejections = refused.compactMap { r in
                byStamp[r.stamp].flatMap { !relay || own.contains($0.stamp.node) ? $0 : nil }.map {
                    PushRejection(
                        change: $0, code: r.code, message: r.message,
                        current: r.current.map { Register(value: $0.value, stamp: $0.stamp) })
                }
            }
            try noting(answer.accepted.count) {
                try store.completePush(
                    acknowledged: pending.filter { done.contains(ackStamp($0)) }.map(\.seq), rejected: rejections, at: Self.now(),
                    checkpoint: answer.checkpoint, taken: answer.accepted.filter { $0.node == node }.max())
            }
            summary.pushed += answer.accepted.count
            summary.conflicts += answer.conflicts.map(\.id)
            summary.importsLeft += rejections.filter { $0.code == HubRules.existsCode }.count
            summary.rejected += rejections.filter { $0.code != HubRules.existsCode }.map {
                .init(activityId: $0.change.recordId, field: $0.change.field, code: $0.code, message: $0.message)
            }
            progress?(summary.progress)
        }
        return ahead
    }

    /// The longest run of `changes` from `start` within `maxBytes` of JSON and `maxChanges`
    /// changes, ending at the end of
    /// a record's run of changes when it can (at least one change).
    static func batch(_ changes: [Change], from start: Int, maxBytes: Int, maxChanges: Int = .max) -> [Change] {
        var end = start
        var bytes = 16
        var lastRecordEnd = start
        while end < changes.count {
            bytes += changes[end].jsonText.utf8.count + 1
            if (bytes > maxBytes || end - start >= maxChanges) && end > start { break }
            end += 1
            if end == changes.count || changes[end].recordId != changes[end - 1].recordId { lastRecordEnd = end }
        }
        return Array(changes[start..<(end < changes.count && lastRecordEnd > start ? lastRecordEnd : end)])
    }

    static func bytes(_ changes: [Change]) -> Int { changes.reduce(16) { $0 + $1.jsonText.utf8.count + 1 } }

    /// Another database uses this device's identity: this one becomes a device of its own at
    /// the hub, then takes the new node id and token; its pending changes go on as the old
    /// identity's history (relays), under their own stamps.
    func takeNewIdentity(_ summary: inout SyncSummary, client: inout SyncClient) async throws {
        let node = DeviceStore.newNodeID()
        let (answer, timing) = try await client.newIdentity(nodeId: node.rawValue)
        try learn(timing)
        guard let old = try store.enrollment() else { throw ClientError.notEnrolled }
        try store.takeNewIdentity(
            node,
            enrollment: Enrollment(
                serverURL: old.serverURL, deviceId: answer.deviceId, token: answer.token, post: answer.post,
                role: answer.role.rawValue,
                agencyCA: old.agencyCA))
        client = client.with(token: answer.token)
        summary.newDeviceId = answer.deviceId
    }

    // MARK: - Pull

    /// Pulls pages until caught up. With `prefetch`, the next page is requested while the
    /// current one is applied; each page is applied and its cursor saved in one transaction,
    /// so an interruption loses at most a fetched page.
    func pull(_ summary: inout SyncSummary, client: SyncClient) async throws {
        var limit = pullLimit ?? firstPullLimit
        let generation = try store.hubGeneration()
        let own = Array(summary.receipts.suffix(PushResponse.maxReceipts))
        /// One page, and the size it arrived at (smaller than asked after failed tries).
        func fetch(
            _ cursor: Int64, _ limit: Int, total: Bool = false, checkpoint: String?
        ) async throws -> (PullResponse, SyncClient.Timing, Int) {
            do {
                // A page that failed to arrive is asked again at half the size (down to 10): on a
                // lossy link a smaller answer is less exposed to the next loss.
                return try await retrying { failed in
                    let size = max(limit >> failed, min(limit, 10))
                    let (page, timing) = try await client.pull(
                        after: cursor, limit: size, own: own, total: total, checkpoint: checkpoint)
                    return (page, timing, size)
                }
            } catch ClientError.server(409, "cursor_ahead", _) {
                try store.startOver(withHubGeneration: nil)
                throw Restart.again
            } catch ClientError.server(409, "hub_went_back", _) {
                try startOver()
            }
        }
        var asked = try store.syncPosition().cursor
        let first = asked
        let firstLimit = limit
        let held = try store.hubCheckpoint()
        let ownPost = try store.enrollment().flatMap { $0.role == "advisor" ? $0.post : nil }
        var next = Task { try await fetch(first, firstLimit, total: true, checkpoint: held) }
        for _ in 0..<maxPages {
            let (page, timing, arrived) = try await next.value
            // A page that says there is more must move the cursor on, or the sync would never end.
            guard !page.more || page.cursor > asked else { throw ClientError.badAnswer("a pull page that made no progress") }
            asked = page.cursor
            if pullLimit == nil {
                // Only a failure shrinks pages (to the size that arrived); one that arrived at the
                // first try grows the next unless its exchange was very slow.
                if arrived < limit {
                    limit = arrived
                } else if timing.receivedMs - timing.sentMs < slowExchangeMs {
                    limit = min(limit * 2, 5_000)
                }
            }
            if let hub = page.generation, hub != generation {
                if generation != nil {
                    // Another database than the one this device synced with: start over with it.
                    try store.startOver(withHubGeneration: hub)
                    summary.startedOver = true
                    throw Restart.again
                }
                try store.setHubGeneration(hub)
            }
            if page.more, prefetch {
                let cursor = page.cursor
                let pageLimit = limit
                let checkpoint = page.checkpoint
                next = Task { try await fetch(cursor, pageLimit, checkpoint: checkpoint) }
            }
            do {
                try learn(timing)
                try store.applyRemote(page.changes, cursor: page.cursor, checkpoint: page.checkpoint)
                if let post = ownPost {
                    summary.movedAway += page.changes.filter {
                        $0.collection == ActivityFields.collection && $0.field == "post" && $0.op != .set(.string(post))
                    }.map(\.recordId)
                }
            } catch {
                if page.more, prefetch { next.cancel() }
                throw error
            }
            if let remaining = page.remaining, summary.pullTotal == nil {
                summary.pullTotal = summary.pulled + page.changes.count + remaining
            }
            summary.pulled += page.changes.count
            // The body's size as it came, not the changes encoded again: that cost a 100,000-activity
            // pull 7 % of its time (docs/BENCHMARKS.md).
            summary.pulledBytes += timing.receivedBytes
            progress?(summary.progress)
            if !page.more { return }
            if !prefetch {
                let cursor = page.cursor
                let pageLimit = limit
                let checkpoint = page.checkpoint
                next = Task { try await fetch(cursor, pageLimit, checkpoint: checkpoint) }
            }
        }
    }

    /// Runs a store write that notes what the hub answered a push: on a full disk it says the
    /// server took the work (it did), not that nothing was changed.
    func noting<T>(_ accepted: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError where error.code == .diskFull {
            throw StoreError(
                .diskFull,
                "the server took \(accepted) change\(accepted == 1 ? "" : "s") of this device, but its disk is full, so it could not note that; "
                    + "free some space, then sync again — nothing is lost, and nothing is sent twice")
        }
    }

    /// The hub went back since this device last talked to it (`409 hub_went_back`): send again
    /// everything this device holds, pull from the start.
    func startOver() throws -> Never {
        try store.startOver(withHubGeneration: try store.hubGeneration())
        throw Restart.startedOver
    }

    func learn(_ timing: SyncClient.Timing) throws {
        if let server = timing.serverMs {
            try store.learnServerTime(serverMs: server, sentMs: timing.sentMs, receivedMs: timing.receivedMs)
        }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    // MARK: - Enrolment

    /// Enrols this device with a one-time code and saves the credentials. Plain `http` to
    /// another machine needs `insecure` (see `ServerURL.parse`). With `ca`, the server's
    /// certificate must chain to that agency CA, which is remembered for later syncs.
    public static func enroll(
        store: DeviceStore, serverURL: String, code: String, insecure: Bool = false, trusting ca: AgencyCA? = nil
    ) async throws -> EnrolledDevice {
        let url = try ServerURL.parse(serverURL, insecure: insecure)
        return try await withTransport(to: url, trusting: ca) { transport in
            let client = SyncClient(transport: transport, token: nil, now: { store.physicalNow() })
            return try await enroll(store: store, client: client, serverURL: serverURL, code: code, agencyCA: ca?.pem)
        }
    }

    /// Enrols through `client`. A node id the hub already knows (this database enrolled before
    /// and was revoked, or a copy of an enrolled one) is replaced by a new one; the pending
    /// changes go on under their own stamps as the old identity's history, so nothing is lost.
    /// `agencyCA` (PEM) is saved with the credentials: the CA the client was built to trust.
    public static func enroll(
        store: DeviceStore, client: SyncClient, serverURL: String, code: String, agencyCA: String? = nil,
        retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4)]
    ) async throws -> EnrolledDevice {
        var node = try store.nodeID()
        for attempt in 0..<2 {
            do {
                // Safe to retry: the hub gives the same node id asking again with the same code
                // the same enrolment, under a new token, for 10 minutes (an answer lost on the link).
                var delays = retryDelays[...]
                var exchanged: (EnrollResponse, SyncClient.Timing)?
                while exchanged == nil {
                    do {
                        exchanged = try await client.enroll(code: code, nodeId: node.rawValue)
                    } catch ClientError.unreachable(let url, let why) {
                        guard let delay = delays.popFirst() else { throw ClientError.enrolmentUnanswered(url, why) }
                        try await Task.sleep(for: delay)
                    }
                }
                guard let (answer, timing) = exchanged else { throw ClientError.badAnswer("enrolment") }
                let enrollment = Enrollment(
                    serverURL: serverURL, deviceId: answer.deviceId, token: answer.token,
                    post: answer.post, role: answer.role.rawValue, agencyCA: agencyCA)
                if node == (try store.nodeID()) {
                    try store.saveEnrollment(enrollment)
                } else {
                    try store.takeNewIdentity(node, enrollment: enrollment)
                }
                if let generation = answer.generation, generation != (try store.hubGeneration()) {
                    // A first enrolment learns the hub's generation; a re-enrolment with a hub
                    // that lost what this device synced (another generation) starts over. After
                    // any new identity: what the old one wrote is re-sent under its own stamps.
                    if try store.hubGeneration() == nil {
                        try store.setHubGeneration(generation)
                    } else {
                        try store.startOver(withHubGeneration: generation)
                    }
                }
                if let server = timing.serverMs {
                    try store.learnServerTime(serverMs: server, sentMs: timing.sentMs, receivedMs: timing.receivedMs)
                }
                return EnrolledDevice(deviceId: answer.deviceId, name: answer.name, post: answer.post, role: answer.role.rawValue)
            } catch ClientError.server(409, "node_in_use", _) where attempt == 0 {
                node = DeviceStore.newNodeID()
            }
        }
        throw ClientError.badAnswer("enrolment")
    }
}

/// A sync whose push failed after the pull ran: what failed, and what the sync still did.
public enum SyncError: Error, CustomStringConvertible {
    case pushFailed(any Error, SyncSummary)
    /// The pull stopped after some pages were applied (kept): the next sync goes on from there.
    case pullInterrupted(any Error, SyncSummary)

    public var description: String {
        switch self {
        case .pullInterrupted(let error, let summary):
            "pulled \(summary.pulledText) (kept) and pushed \(summary.pushed), then the link failed: \(error) — "
                + "run `engage sync` again to continue from there"
        case .pushFailed(let error, let summary):
            "pulled \(summary.pulled) changes, but the push stopped: \(error); \(summary.pushed) changes were sent, "
                + "the rest wait on this device — run `engage sync` again"
        }
    }
}

extension Synchronizer {
    public func history(activityId: String) async throws -> [HistoryItem] {
        try await client.history(activityId: activityId).entries.map(HistoryItem.init)
    }
}
