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
        // A mistyped parameter must not be ignored: `sharable=true` would send sensitive notes.
        if let unknown = q.map({ String($0.key) }).first(where: { !Self.hqActivitiesParameters.contains($0) }) {
            throw APIError.badRequest("invalid_value", "unknown parameter '\(unknown.prefix(40))'; this endpoint takes "
                                      + Self.hqActivitiesParameters.sorted().joined(separator: ", "))
        }
        let filter = try exportFilter(q)
        var shareable = false
        if let text = q["shareable"] {
            switch text.lowercased() {
            case "true", "1": shareable = true
            case "false", "0": shareable = false
            default: throw APIError.badRequest("invalid_value", "shareable takes true or false, not '\(text.prefix(20))'")
            }
        }
        let cursor = q["cursor"].map(String.init)
        var limit = 500
        if let text = q["limit"] {
            guard let n = Int(text), (1...5_000).contains(n) else { throw APIError.badRequest("invalid_limit", "limit must be between 1 and 5000") }
            limit = n
        }
        let store = store, pageLimit = limit
        let sqlFilter = ActivityFilter(kind: filter.kind, country: filter.country, post: filter.post)
        var (page, more) = try await database { () async throws(StoreError) in
            try await store.activityPage(after: cursor, limit: pageLimit, filter: sqlFilter, matching: filter.matches)
        }
        let next = page.last?.id.uuidString.lowercased()
        if shareable { page = Export.shareable(page) }
        return try jsonResponse(HQActivitiesPage(activities: page, cursor: more ? next : nil, more: more), now: environment.now())
    }

    static let hqActivitiesParameters: Set<String> = ["cursor", "limit", "from", "to", "country", "goal", "kind", "post", "shareable"]

    func hqReport(_ request: Request) async throws -> Response {
        try await requireHQ(request)
        let q = request.uri.queryParameters
        let from = try day(q["from"], "from"), to = try day(q["to"], "to")
        guard let priorities = Self.bundledPriorities else {
            throw APIError(.internalServerError, "internal", "the server's country priorities could not be read; reinstall it")
        }
        let store = store
        let (activities, registry, conflicts) = try await database { () async throws(StoreError) in
            (try await store.activities(after: nil), try await store.partnerRegistry(), try await store.openConflictCount())
        }
        let report = ReportBuilder.build(activities: activities, from: from, to: to, priorities: priorities, registry: registry,
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
                    guard let n = Int(s) else { throw ModelError(field: "goal", message: "goal must be a number 1–4, not '\(s.prefix(20))'") }
                    return try StrategicGoal.parse(n)
                },
                kind: try q["kind"].map { s throws(ModelError) in try ActivityKind.parse(String(s)) },
                post: q["post"].map { String($0).uppercased() })
        } catch let error as ModelError {
            throw APIError.badRequest("invalid_value", error.message)
        }
    }

    func day(_ text: Substring?, _ field: String) throws -> Day? {
        guard let text else { return nil }
        do { return try Day(String(text), field: field) } catch { throw APIError.badRequest("invalid_value", error.message) }
    }
}
