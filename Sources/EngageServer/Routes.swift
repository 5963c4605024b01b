import EngageCore
import EngageProtocol
import EngageStorage
import Foundation
import HTTPTypes
import Hummingbird

extension Service {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in try jsonResponse(["status": "ok"], now: environment.now()) }
        router.get("/metrics") { request, _ in try metricsResponse(request) }
        let v1 = router.group("v1")
        v1.post("enroll") { request, _ in try await enroll(request) }
        v1.post("push") { request, _ in try await push(request) }
        v1.post("identity") { request, _ in try await newIdentity(request) }
        v1.get("pull") { request, _ in try await pull(request) }
        v1.get("history/:id") { request, context in
            try await history(request, id: context.parameters.get("id") ?? "")
        }
        addHQRoutes(to: router)
    }

    func enroll(_ request: Request) async throws -> Response {
        let body = try await decode(EnrollRequest.self, request, limit: Self.enrolBodyLimit)
        if let node = body.nodeId, NodeID(node) == nil || node == HubRules.node.rawValue {
            throw APIError.badRequest(
                "invalid_value", "nodeId '\(node)' is not a node id; use lower-case letters, digits and '-'")
        }
        let codeHash = Secrets.codeDigest(body.code)
        let token = environment.draw(.token)
        let deviceId = environment.draw(.deviceID)
        let nodeId = body.nodeId ?? environment.draw(.nodeID)
        let store = store
        let device = try await database { () async throws(StoreError) in
            try await store.enroll(codeHash: codeHash, deviceId: deviceId, nodeId: nodeId, tokenHash: Secrets.hash(token))
        }
        return try enrolled(device, token: token)
    }

    /// The answer that hands a device its identity: shown once, with the hub's generation.
    func enrolled(_ device: DeviceRecord, token: String) throws -> Response {
        try jsonResponse(
            EnrollResponse(
                deviceId: device.id, token: token, name: device.name, post: device.post, role: .init(device.role),
                generation: store.generation),
            status: .created, now: environment.now())
    }

    /// A device whose database another device also uses (the hub refused its push with
    /// `identity_conflict`) becomes a device of its own: same name, post and role, a new id,
    /// node id and token, linked to the enrolment it came from. The old identity stays with the
    /// other copy. Granted once per `identity_conflict` answer, never on demand.
    func newIdentity(_ request: Request) async throws -> Response {
        let device = try await authenticate(request)
        let body = try await decode(IdentityRequest.self, request, limit: Self.enrolBodyLimit)
        guard NodeID(body.nodeId) != nil, body.nodeId != HubRules.node.rawValue else {
            throw APIError.badRequest(
                "invalid_value",
                "nodeId '\(body.nodeId.prefix(64))' is not a device node id; use lower-case letters, digits and '-'")
        }
        let token = environment.draw(.token)
        let deviceId = environment.draw(.deviceID)
        let store = store
        let created = try await database { () async throws(StoreError) in
            try await store.split(device: device, deviceId: deviceId, nodeId: body.nodeId, tokenHash: Secrets.hash(token))
        }
        return try enrolled(created, token: token)
    }

    func push(_ request: Request) async throws -> Response {
        let device = try await authenticate(request)
        let body = try await decode(PushRequest.self, request, with: PushRequest.decode)
        guard body.changes.count <= configuration.maxBatchChanges else {
            throw APIError.badRequest(
                "batch_too_large",
                "\(body.changes.count) changes in one push; split it into batches of at most \(configuration.maxBatchChanges)")
        }
        try await requireHeld(body.checkpoint)
        let store = store
        let relay = body.relay == true
        // An import's changes fill in what the hub lacks: those of an activity of the device's
        // post the hub holds are refused `exists`, never applied over what someone edited.
        var existing: [PushResult.Rejection] = []
        var changes = body.changes
        if body.fill == true, !relay, device.role == .advisor {
            // Held: the hub holds the activity, at the device's post, and this device wrote none
            // of it — not a later batch (or a retry) of the import that created it there. (Read
            // before the push's transaction: an activity created between the two is overwritten
            // by the import as any concurrent write would be; docs/replication.md.)
            let ids = Array(Set(changes.filter { $0.collection == ActivityFields.collection }.map(\.recordId)))
            let written = try await database { () async throws(StoreError) in
                try await store.activities(writtenBy: device.id, among: ids)
            }
            var held: [String: Bool] = [:]
            for id in ids where !written.contains(id) {
                held[id] =
                    try await database({ () async throws(StoreError) in try await store.post(ofActivity: id) }) == device.post
            }
            existing = changes.filter { $0.collection == ActivityFields.collection && held[$0.recordId] == true }.map {
                PushResult.Rejection(
                    stamp: $0.stamp, code: HubRules.existsCode,
                    message:
                        "activity \($0.recordId.prefix(8)) already exists at the server; the import leaves it as the server has it",
                    current: nil)
            }
            changes.removeAll { $0.collection == ActivityFields.collection && held[$0.recordId] == true }
        }
        let pushed = try await database { () async throws(StoreError) in
            do throws(StoreError) {
                return try await store.push(changes, from: device, relay: relay)
            } catch {
                // This answer, and only it, lets the copy take one new identity (`newIdentity`).
                if error.code == .identityConflict { try await store.grantSplit(deviceId: device.id) }
                throw error
            }
        }
        var result = pushed
        result.rejected += existing
        metrics.accepted(result.newlyAccepted, conflicts: result.conflictsRaised, rejected: result.rejected.count)
        let conflicts = try await readable(result.conflicts, by: device)
        let response = PushResponse(
            accepted: result.accepted,
            rejected: result.rejected.map { r in
                .init(
                    stamp: r.stamp, code: r.code, message: r.message,
                    current: r.current.map { .init(stamp: $0.stamp, value: $0.value) })
            },
            conflicts: conflicts.map { .init(id: $0.id, activityId: $0.activityId, field: $0.field) },
            receipt: result.logIDs.map { [$0.lowerBound, $0.upperBound] },
            held: result.held.isEmpty ? nil : result.held.prefix(PushResponse.maxHeld).map { [$0.lowerBound, $0.upperBound] },
            checkpoint: try await checkpoint())
        return rawJSONResponse(response.jsonText, now: environment.now())
    }

    /// Refuses, having written nothing, the exchange of a device that names a mark of the hub's
    /// sequence this database does not hold: the hub went back since the device last talked to
    /// it (restored from a copy taken earlier, by whatever tool), and the device starts over.
    func requireHeld(_ checkpoint: String?) async throws {
        guard let checkpoint else { return }
        guard HubCheckpoint.parse(checkpoint) != nil else {
            throw APIError.badRequest("invalid_value", "checkpoint is SEQ.MARK, as the server's last answer gave it")
        }
        let store = store
        let held = try await database { () async throws(StoreError) in try await store.holds(checkpoint: checkpoint) }
        guard held else {
            throw APIError.from(
                StoreError(
                    .hubWentBack,
                    "this server no longer holds what this device last saw of it (its database was restored from an earlier copy); "
                        + "the app sends again everything it holds and pulls from the start — sync again"))
        }
    }

    /// The latest mark of the hub's sequence, read after an answer's data.
    func checkpoint() async throws -> String? {
        let store = store
        return try await database { () async throws(StoreError) in try await store.checkpoint() }
    }

    /// The conflicts a push answer may name: those about activities `device` may read (an
    /// acknowledged stamp may be part of a conflict raised after its activity moved away).
    func readable(_ conflicts: [(id: String, activityId: String, field: String)], by device: DeviceRecord) async throws
        -> [(id: String, activityId: String, field: String)]
    {
        switch device.role {
        case .hq: return conflicts
        case .admin: return []
        case .advisor:
            let store = store
            var posts: [String: String?] = [:]
            for id in Set(conflicts.map(\.activityId)) {
                posts[id] = .some(try await database { () async throws(StoreError) in try await store.post(ofActivity: id) })
            }
            return conflicts.filter { posts[$0.activityId] == .some(device.post) }
        }
    }

    func pull(_ request: Request) async throws -> Response {
        let device = try await authenticate(request)
        let query = request.uri.queryParameters
        guard let cursor = Int64(query["cursor"].map(String.init) ?? "0"), cursor >= 0 else {
            throw APIError.badRequest(
                "invalid_cursor", "cursor must be a whole number of 0 or more, as returned by the last pull")
        }
        var limit = configuration.pullLimit
        if let text = query["limit"] {
            guard let n = Int(text), n >= 1 else {
                throw APIError.badRequest(
                    "invalid_limit", "limit must be a whole number from 1 (this hub sends at most \(configuration.pullLimit))")
            }
            limit = min(n, configuration.pullLimit)  // a client's adaptive page may ask more than this hub sends
        }
        var own: [ClosedRange<Int64>] = []
        if let text = query["own"] {
            // Receipts of this sync's pushes: "first-last" change-log id ranges, comma-separated.
            for part in text.split(separator: ",", omittingEmptySubsequences: false).prefix(PushResponse.maxReceipts + 1) {
                let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
                guard own.count < PushResponse.maxReceipts, ends.count == 2, let first = ends[0], let last = ends[1], 0 < first,
                    first <= last
                else {
                    throw APIError.badRequest(
                        "invalid_value",
                        "own takes up to \(PushResponse.maxReceipts) push receipts as first-last ranges of whole numbers, comma-separated"
                    )
                }
                own.append(first...last)
            }
        }
        try await requireHeld(query["checkpoint"].map(String.init))
        var total = false
        if let text = query["total"] {
            guard text == "1" || text == "0" else {
                throw APIError.badRequest("invalid_value", "total takes 1 (count the changes after this page) or 0")
            }
            total = text == "1"
        }
        let store = store
        let maxBytes = configuration.pullMaxBytes
        let pageLimit = limit
        let ownRange = own
        let countRemaining = total
        let page = try await database { () async throws(StoreError) in
            try await store.pull(
                after: cursor, for: device, limit: pageLimit, maxBytes: maxBytes, own: ownRange, countRemaining: countRemaining)
        }
        let body = PullResponse(
            changes: page.changes, cursor: page.cursor, more: page.more, generation: page.generation,
            remaining: page.remaining, checkpoint: try await checkpoint()
        ).jsonText
        return rawJSONResponse(body, now: environment.now())
    }

    func history(_ request: Request, id: String) async throws -> Response {
        let device = try await authenticate(request)
        let key = id.lowercased()
        let store = store
        // Unknown ids and other posts' ids get the same answer: no oracle for ids or posts.
        let post = try await database { () async throws(StoreError) in try await store.post(ofActivity: key) }
        let readable =
            switch device.role {
            case .hq: post != nil
            case .advisor: post != nil && post == device.post
            case .admin: false
            }
        guard readable else {
            throw APIError(
                .notFound, "not_found",
                "no activity with id '\(id.prefix(64))' is readable by this device at the server; sync first if it was logged offline"
            )
        }
        let entries = try await database { () async throws(StoreError) in try await store.history(activityId: key) }.map { e in
            let (op, element, value): (HistoryEntry.OpPayload, String?, FieldValue?) =
                switch e.change.op {
                case .set(let v): (.set, nil, v)
                case .add(let x): (.add, x, nil)
                case .remove(let x, _): (.remove, x, nil)
                }
            return HistoryEntry(
                stamp: e.stamp.encoded, deviceId: e.deviceId, deviceName: e.deviceName, receivedAt: e.receivedAt,
                field: e.change.field,
                element: element, op: op, oldValue: e.oldValue.map(Components.Schemas.FieldValue.init),
                newValue: value.map(Components.Schemas.FieldValue.init), applied: e.applied)
        }
        return try jsonResponse(HistoryResponse(activityId: key, entries: entries), now: environment.now())
    }
}

extension EnrollResponse.RolePayload {
    init(_ role: DeviceRecord.Role) {
        switch role {
        case .advisor: self = .advisor
        case .hq: self = .hq
        case .admin: self = .admin
        }
    }
}
