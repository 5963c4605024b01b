import EngageCore
import EngageModel
import EngageProtocol
import EngageReports
import EngageResources
import EngageStorage
import Foundation
import Hummingbird
import HummingbirdCore

/// A page of the consolidated activity, for headquarters tools.
struct HQActivitiesPage: Codable {
    var activities: [Activity]
    /// The id to pass as `cursor` for the next page.
    var cursor: String?
    var more: Bool
}

extension Service {
    func addHQRoutes(to router: Router<BasicRequestContext>) {
        let hq = router.group("v1/hq")
        hq.get("activities") { request, _ in try await hqActivities(request) }
        hq.get("report") { request, _ in try await hqReport(request) }
    }

    func requireHQ(_ request: Request) async throws {
        let device = try await authenticate(request)
        guard device.role == .hq else {
            throw APIError(.forbidden, "out_of_scope", "the consolidated view is for headquarters devices (role hq)")
        }
    }

    func hqActivities(_ request: Request) async throws -> Response {
        try await requireHQ(request)
        let q = request.uri.queryParameters
        try Self.checkParameters(q)
        // A mistyped parameter must not be ignored: `sharable=true` would send sensitive notes.
        if let unknown = q.map({ String($0.key) }).first(where: { !Self.hqActivitiesParameters.contains($0) }) {
            throw APIError.badRequest(
                "invalid_value",
                "unknown parameter '\(unknown.prefix(40))'; this endpoint takes "
                    + Self.hqActivitiesParameters.sorted().joined(separator: ", "))
        }
        let filter = try exportFilter(q)
        let shareable: Bool
        switch q["shareable"]?.lowercased() {
        case nil, "false", "0": shareable = false
        case "true", "1": shareable = true
        case let text?: throw APIError.badRequest("invalid_value", "shareable takes true or false, not '\(text.prefix(20))'")
        }
        let cursor = q["cursor"].map(String.init)
        if let cursor, !cursor.isEmpty, !ActivityFields.isCanonicalID(cursor) {
            throw APIError.badRequest(
                "invalid_value", "cursor '\(cursor.prefix(40))' is not an activity id; pass the cursor of the previous page")
        }
        var limit = 500
        if let text = q["limit"] {
            guard let n = Int(text), (1...5_000).contains(n) else {
                throw APIError.badRequest("invalid_limit", "limit must be between 1 and 5000")
            }
            limit = n
        }
        let store = store
        let pageLimit = limit
        // The shareable form is chosen in the page's query, not after it: the cursor is the last
        // activity the caller receives, never a sensitive one it may not know of.
        let sqlFilter = ActivityFilter(kind: filter.kind, country: filter.country, post: filter.post, shareable: shareable)
        let matching: @Sendable (Activity) -> Bool = { filter.matches($0) && (!shareable || Export.isShareable($0)) }
        var (page, more) = try await database { () async throws(StoreError) in
            try await store.activityPage(after: cursor, limit: pageLimit, filter: sqlFilter, matching: matching)
        }
        let next = page.last?.id.uuidString.lowercased()
        if shareable { page = Export.shareable(page) }
        return try jsonResponse(HQActivitiesPage(activities: page, cursor: more ? next : nil, more: more), now: environment.now())
    }

    static let hqActivitiesParameters: Set<String> = [
        "cursor", "limit", "from", "to", "country", "goal", "kind", "post", "shareable",
    ]

    /// Refuses a query whose names or values hold a control character (U+0000 included, which
    /// PostgreSQL cannot store in text): each gets a clear 400 on every store, never a 500.
    static func checkParameters(_ q: FlatDictionary<Substring, Substring>) throws {
        for (name, value) in q {
            if let bad = (name + value).unicodeScalars.first(where: { TextRules.isDisplayControl($0) }) {
                throw APIError.badRequest(
                    "invalid_value",
                    "parameter '\(TextRules.displayable(String(name.prefix(40))))' holds the control character \(TextRules.code(bad)); "
                        + "query parameters are plain text")
            }
        }
    }

    func hqReport(_ request: Request) async throws -> Response {
        try await requireHQ(request)
        let q = request.uri.queryParameters
        try Self.checkParameters(q)
        let from = try day(q["from"], "from")
        let to = try day(q["to"], "to")
        guard let priorities = Self.bundledPriorities else {
            throw APIError(.internalServerError, "internal", "the server's country priorities could not be read; reinstall it")
        }
        let store = store
        let (activities, registry, conflicts) = try await database { () async throws(StoreError) in
            (try await store.activities(after: nil), try await store.partnerRegistry(), try await store.openConflictCount())
        }
        let report = ReportBuilder.build(
            activities: activities, from: from, to: to, priorities: priorities, registry: registry,
            openConflicts: conflicts)
        return try jsonResponse(report, now: environment.now())
    }

    /// The country priorities shipped in samples/priorities.json, read once per process.
    static let bundledPriorities: Priorities? = {
        let url = EngageResources.samplesDirectory.appendingPathComponent("priorities.json")
        return (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(Priorities.self, from: $0) }
    }()

    func exportFilter(_ q: FlatDictionary<Substring, Substring>) throws -> Export.Filter {
        if let from = try day(q["from"], "from"), let to = try day(q["to"], "to"), from > to {
            throw APIError.badRequest("invalid_value", "from \(from) is after to \(to); nothing would match — swap them")
        }
        do {
            return Export.Filter(
                from: try day(q["from"], "from"), to: try day(q["to"], "to"),
                country: try q["country"].map { s throws(ModelError) in try Country(String(s)) },
                goal: try q["goal"].map { s throws(ModelError) in
                    guard let n = Int(s) else {
                        throw ModelError(field: "goal", message: "goal must be a number 1–4, not '\(s.prefix(20))'")
                    }
                    return try StrategicGoal.parse(n)
                },
                kind: try q["kind"].map { s throws(ModelError) in try ActivityKind.parse(String(s)) },
                post: try q["post"].map { s throws(ModelError) in
                    let post = String(s).uppercased()
                    guard Activity.isValidPost(post) else {
                        throw ModelError(
                            field: "post",
                            message: "post '\(s.prefix(40))' is not a post code; use letters, digits and '-', e.g. LIMA")
                    }
                    return post
                })
        } catch let error as ModelError {
            throw APIError.badRequest("invalid_value", error.message)
        }
    }

    func day(_ text: Substring?, _ field: String) throws -> Day? {
        guard let text else { return nil }
        do { return try Day(String(text), field: field) } catch { throw APIError.badRequest("invalid_value", error.message) }
    }
}
