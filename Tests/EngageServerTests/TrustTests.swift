import EngageCore
import EngageModel
import EngageProtocol
import EngageStorage
import EngageTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The hub trusts nothing a device claims (issue 22): scope, refusals, identities and relays are
/// judged from the hub's own state, on both hub stores. Each test is one small input an enrolled
/// attacker tried on the landed hub.
@Suite struct TrustTests {
    static let now: Int64 = 1_767_225_600_000

    /// A Dar es Salaam activity, its advisor, a Lima advisor (the attacker), headquarters and an admin device.
    struct World {
        let darToken: String, limaToken: String, hqToken: String, adminToken: String
        let activity: Activity
        var id: String { activity.id.uuidString.lowercased() }
    }

    static func world(_ f: Fixture, _ client: some TestClientProtocol, sensitive: Bool = true) async throws -> World {
        let dar = try await enroll(client, code: try await f.code(post: "DAR-ES-SALAAM"), node: "dar-1").token
        let lima = try await enroll(client, code: try await f.code(post: "LIMA"), node: "lima-1").token
        let hq = try await enroll(client, code: try await f.code(post: "HQ", role: .hq), node: "hq-1").token
        let admin = try await enroll(client, code: try await f.code(post: "HQ", role: .admin), node: "admin-1").token
        var activity = Activity.sample("Informant network review")
        activity.notes = "source CARDINAL met twice"
        if sensitive { activity.sensitivity = .sensitive }
        let answer = try await push(client, dar, creation(activity, node: "dar-1", at: now))
        #expect(answer.rejected.isEmpty)
        return World(darToken: dar, limaToken: lima, hqToken: hq, adminToken: admin, activity: activity)
    }

    static func push(_ client: some TestClientProtocol, _ token: String, _ changes: [Change], relay: Bool = false) async throws
        -> PushResponse
    {
        try await client.execute(
            uri: "/v1/push", method: .post, headers: headers(token: token),
            body: try json(PushRequest(changes: changes, relay: relay ? true : nil))
        ) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try response.decode(PushResponse.self)
        }
    }

    static func set(_ id: String, _ field: String, _ value: FieldValue, node: String, at ms: Int64) -> Change {
        Change(
            collection: "activities", recordId: id, field: field, op: .set(value),
            stamp: HLC(wallMs: ms, counter: 0, node: NodeID(node)!))
    }

    static func held(_ f: Fixture, _ id: String) async throws -> Activity? {
        try await f.storage.activities(after: nil).first { $0.id.uuidString.lowercased() == id }
    }

    // MARK: Kind 1 — scope from the hub's state, not the device's stamps or batch

    @Test(arguments: HubKind.available) func aBackDatedPostWriteAuthorisesNothing(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            // Given a fresh Lima identity, when it claims the activity in 1970 and edits it in the same batch:
            let batch = [
                Self.set(w.id, "post", .string("LIMA"), node: "lima-1", at: 1_000),
                Change(
                    collection: "activities", recordId: w.id, field: "partners", op: .add("EVIL-AGENCY"),
                    stamp: HLC(wallMs: 2_000, counter: 0, node: NodeID("lima-1")!)),
                Self.set(w.id, "title", .string("hijacked"), node: "lima-1", at: Self.now + 5_000),
                Self.set(w.id, "sensitivity", .string("unclassified"), node: "lima-1", at: Self.now + 6_000),
            ]
            let answer = try await Self.push(client, w.limaToken, batch)
            // Then every change is refused, and the activity is as Dar es Salaam wrote it.
            #expect(answer.accepted.isEmpty && answer.rejected.map(\.code) == Array(repeating: "out_of_scope", count: 4))
            #expect(try await Self.held(f, w.id) == w.activity)
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func anEditStampedBeforeAMoveIsJudgedOnTheHubsPost(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let lima = try await enroll(client, code: try await f.code(post: "LIMA"), node: "lima-1").token
            let hq = try await enroll(client, code: try await f.code(post: "HQ", role: .hq), node: "hq-1").token
            var activity = Activity.at("LIMA", "Joint port operation")
            activity.sensitivity = .sensitive
            let id = activity.id.uuidString.lowercased()
            #expect(try await Self.push(client, lima, creation(activity, node: "lima-1", at: Self.now)).rejected.isEmpty)
            // Headquarters moves it to Dar es Salaam.
            #expect(
                try await Self.push(
                    client, hq, [Self.set(id, "post", .string("DAR-ES-SALAAM"), node: "hq-1", at: Self.now + 60_000)]
                )
                .rejected.isEmpty)
            // The Lima advisor writes every field back-dated to before the move: all refused.
            let backDated = [
                "sensitivity": FieldValue.string("unclassified"), "notes": .string("leak"), "title": .string("x"),
                "post": .string("LIMA"),
            ].enumerated().map { i, e in
                Self.set(id, e.key, e.value, node: "lima-1", at: Self.now + 1_000 + Int64(i))
            }
            let answer = try await Self.push(client, lima, backDated)
            // Refused; a refusal carries back only values the Lima device wrote itself (never Dar es Salaam's or headquarters' post).
            #expect(
                answer.accepted.isEmpty && answer.rejected.count == 4
                    && answer.rejected.allSatisfy {
                        $0.code == "out_of_scope" && ($0.current == nil || $0.current?.stamp.node.rawValue == "lima-1")
                    })
            #expect(answer.rejected.contains { $0.current == nil })
            var moved = activity
            moved.post = "DAR-ES-SALAAM"
            #expect(try await Self.held(f, id) == moved)
        }
        await f.close()
    }

    // MARK: Kind 2 — refusals and answers tell nothing the caller may not read

    @Test(arguments: HubKind.available) func refusalsCarryOnlyWhatTheCallerMayRead(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            // An admin device, with a made-up node, asks for the notes through a refusal.
            let admin = try await Self.push(
                client, w.adminToken, [Self.set(w.id, "notes", .null, node: "made-up", at: Self.now + 1)])
            #expect(admin.rejected.count == 1 && admin.rejected.allSatisfy { $0.current == nil })
            let adminOwn = try await Self.push(
                client, w.adminToken, [Self.set(w.id, "notes", .null, node: "admin-1", at: Self.now + 2)])
            #expect(adminOwn.rejected.count == 1 && adminOwn.rejected.allSatisfy { $0.current == nil })
            // Another post's advisor: neither the value nor the post the activity belongs to.
            let lima = try await Self.push(
                client, w.limaToken,
                [
                    Self.set(w.id, "notes", .string("x"), node: "lima-1", at: Self.now + 3),
                    Self.set(w.id, "country", .string("XX"), node: "lima-1", at: Self.now + 4),
                ])
            #expect(lima.rejected.count == 2 && lima.rejected.allSatisfy { $0.current == nil && !$0.message.contains("DAR") })
            // Its own post's advisor is told the hub's value.
            let dar = try await Self.push(
                client, w.darToken, [Self.set(w.id, "country", .string("XX"), node: "dar-1", at: Self.now + 5)])
            #expect(dar.rejected.first?.current?.value == .string("TZ"))
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func unknownIdsAndOtherPostsIdsLookTheSame(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            func history(_ id: String, _ token: String) async throws -> String {
                try await client.execute(uri: "/v1/history/\(id)", method: .get, headers: headers(token: token)) {
                    "\($0.status.code) " + String(buffer: $0.body).replacingOccurrences(of: id, with: "ID")
                }
            }
            let other = try await history(w.id, w.limaToken)
            let unknown = try await history(UUID().uuidString.lowercased(), w.limaToken)
            #expect(other == unknown && other.hasPrefix("404"))
            #expect(try await history(w.id, w.adminToken) == unknown)
            #expect(try await history(w.id, w.darToken).hasPrefix("200"))
            // Settling another post's conflict and an unknown one: the same answer.
            let conflictOf = { (id: String) in
                Change(
                    collection: "conflicts", recordId: id, field: "resolved", op: .set(.bool(true)),
                    stamp: HLC(wallMs: Self.now + 9, counter: 0, node: NodeID("lima-1")!))
            }
            let a = try await Self.push(client, w.limaToken, [conflictOf(UUID().uuidString.lowercased())])
            #expect(a.rejected.map(\.code) == ["not_found"])
        }
        await f.close()
    }

    // MARK: Kind 3 — identities are granted, not taken

    @Test(arguments: HubKind.available) func aNewIdentityOnlyAfterIdentityConflictAndRevokedWithItsLineage(_ kind: HubKind)
        async throws
    {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: try await f.code(post: "LIMA"), node: "lima-1").token
            func identity(_ token: String, _ node: String) async throws -> (Int, EnrollResponse?) {
                try await client.execute(
                    uri: "/v1/identity", method: .post, headers: headers(token: token),
                    body: try json(IdentityRequest(nodeId: node))
                ) {
                    (Int($0.status.code), $0.status == .created ? try $0.decode(EnrollResponse.self) : nil)
                }
            }
            // On demand: refused, however often.
            for i in 0..<3 {
                let (status, _) = try await identity(token, "minted-\(i)")
                #expect(status == 409)
            }
            // After an identity_conflict answer: one new identity, once.
            let activity = Activity.at("LIMA")
            #expect(
                try await Self.push(client, token, creation(activity, node: "lima-1", at: Self.now + 10_000)).rejected.isEmpty)
            let stale = Self.set(
                activity.id.uuidString.lowercased(), "title", .string("from the copy"), node: "lima-1", at: Self.now)
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token),
                body: try json(PushRequest(changes: [stale]))
            ) {
                #expect($0.status == .conflict && $0.errorCode == "identity_conflict")
            }
            let (status, copy) = try await identity(token, "lima-copy")
            #expect(status == 201)
            #expect(try await identity(token, "lima-copy-2").0 == 409)
            // The copy is linked to its enrolment; revoking the original revokes the copy too.
            let devices = try await f.storage.devices()
            #expect(devices.first { $0.nodeId == "lima-copy" }?.parentId == devices.first { $0.nodeId == "lima-1" }?.id)
            try await f.storage.revoke(deviceId: try #require(devices.first { $0.nodeId == "lima-1" }).id)
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: try #require(copy).token)) {
                #expect($0.status == .unauthorized)
            }
        }
        await f.close()
    }

    // MARK: Kind 4 — relays carry only what the hub can attribute

    @Test(arguments: HubKind.available) func relaysCarryOnlyWritesTheirAuthorsCouldMake(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            let lima2 = try await enroll(client, code: try await f.code(post: "LIMA"), node: "lima-2").token
            let mine = Activity.at("LIMA", "Lima course")
            let mineId = mine.id.uuidString.lowercased()
            #expect(try await Self.push(client, w.limaToken, creation(mine, node: "lima-1", at: Self.now)).rejected.isEmpty)
            // An advisor moves its activity to another post under that post's node: refused.
            let move = try await Self.push(
                client, w.limaToken, [Self.set(mineId, "post", .string("DAR-ES-SALAAM"), node: "dar-1", at: Self.now + 1)],
                relay: true)
            #expect(move.rejected.map(\.code) == ["wrong_author"])
            // ... or under headquarters' node: refused too.
            let hqMove = try await Self.push(
                client, w.limaToken, [Self.set(mineId, "post", .string("DAR-ES-SALAAM"), node: "hq-1", at: Self.now + 2)],
                relay: true)
            #expect(hqMove.rejected.map(\.code) == ["wrong_author"])
            // A conflict body with any `by` it likes: conflicts are the hub's alone.
            let body = """
                {"id":"\(UUID().uuidString.lowercased())","recordId":"\(mineId)","field":"notes","current":{"value":"a","stamp":"x","by":"HQ Director (verified)"}}
                """
            for node in ["lima-1", "lima-2", "hub"] {
                let forged = Change(
                    collection: "conflicts", recordId: UUID().uuidString.lowercased(), field: "body", op: .set(.string(body)),
                    stamp: HLC(wallMs: Self.now + 3, counter: 0, node: NodeID(node) ?? HubRules.node))
                let answer = try await Self.push(client, lima2, [forged], relay: true)
                #expect(answer.accepted.isEmpty, "a conflict body relayed under \(node)")
            }
            // Headquarters writes an advisor's notes under the advisor's node: refused.
            let notes = try await Self.push(
                client, w.hqToken, [Self.set(w.id, "notes", .string("rewritten"), node: "dar-1", at: Self.now + 4)],
                relay: true)
            #expect(notes.rejected.map(\.code) == ["wrong_author"])
            // A node the hub never enrolled: refused.
            let ghost = try await Self.push(
                client, lima2, [Self.set(mineId, "title", .string("ghost"), node: "ghost-9", at: Self.now + 5)], relay: true)
            #expect(ghost.rejected.map(\.code) == ["wrong_author"])
            // What a relay is for: a Lima advisor re-sends a Lima colleague's edit of a Lima activity.
            let honest = try await Self.push(
                client, lima2, [Self.set(mineId, "title", .string("Lima course, day 2"), node: "lima-1", at: Self.now + 6)],
                relay: true)
            #expect(honest.rejected.isEmpty && honest.accepted.count == 1)
            #expect(try await Self.held(f, w.id) == w.activity)
            #expect(try await Self.held(f, mineId)?.title == "Lima course, day 2")
            #expect(try await Self.held(f, mineId)?.post == "LIMA")
        }
        await f.close()
    }

    // MARK: From the attack run on this build (helper report): oracles and a held-off move

    @Test(arguments: HubKind.available) func aRelayedGuessIsNeverConfirmed(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            // Dar es Salaam writes a value under a stamp; another post's advisor and an admin
            // device relay guesses of it under that very stamp: right and wrong get one answer.
            let stamp = HLC(wallMs: Self.now + 60_000, counter: 0, node: NodeID("dar-1")!)
            let written = Change(
                collection: "activities", recordId: w.id, field: "notes", op: .set(.string("informant: J. Doe")), stamp: stamp)
            #expect(try await Self.push(client, w.darToken, [written]).accepted == [stamp])
            for token in [w.limaToken, w.adminToken] {
                var answers: [String] = []
                for guess in ["informant: A. Smith", "informant: J. Doe"] {
                    var c = written
                    c.op = .set(.string(guess))
                    let answer = try await Self.push(client, token, [c], relay: true)
                    answers.append(
                        "\(answer.accepted) \(answer.rejected.map { "\($0.code) \($0.message) \($0.current == nil)" }) \(answer.conflicts.count)"
                    )
                }
                #expect(answers[0] == answers[1] && answers[0].hasPrefix("[]"), "\(answers)")
            }
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func anAdvisorCannotHoldOffAMoveWithAStampAhead(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            let mine = Activity.at("LIMA", "Lima course")
            let id = mine.id.uuidString.lowercased()
            #expect(try await Self.push(client, w.limaToken, creation(mine, node: "lima-1", at: Self.now)).rejected.isEmpty)
            // The advisor writes its own post again, stamped 9 minutes ahead: refused.
            let ahead = try await Self.push(
                client, w.limaToken, [Self.set(id, "post", .string("LIMA"), node: "lima-1", at: f.clock.now() + 540_000)])
            #expect(ahead.rejected.map(\.code) == ["out_of_scope"])
            // Headquarters' move holds.
            #expect(
                try await Self.push(
                    client, w.hqToken, [Self.set(id, "post", .string("DAR-ES-SALAAM"), node: "hq-1", at: f.clock.now() + 60_000)]
                )
                .rejected.isEmpty)
            #expect(try await Self.held(f, id)?.post == "DAR-ES-SALAAM")
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func anActivityWithoutAPostIsRefusedAndShownNowhere(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client, sensitive: false)
            let orphan = creation(.at("LIMA", "Nobody's"), node: "lima-1", at: Self.now).filter { $0.field != "post" }
            let answer = try await Self.push(client, w.limaToken, orphan)
            #expect(
                answer.accepted.isEmpty
                    && answer.rejected.allSatisfy { $0.code == "out_of_scope" && $0.message.contains("give it one") })
            let id = orphan[0].recordId
            for query in ["", "?shareable=true"] {
                try await client.execute(uri: "/v1/hq/activities\(query)", method: .get, headers: headers(token: w.hqToken)) {
                    #expect($0.status == .ok)
                    #expect(!String(buffer: $0.body).contains(id), "an activity without a post in /v1/hq/activities\(query)")
                }
            }
            #expect(try await Self.held(f, id) == nil)
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func aPushAnswerNamesOnlyConflictsTheDeviceMayRead(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        try await f.app.test(.router) { client in
            let w = try await Self.world(f, client)
            let mine = Activity.at("LIMA", "Lima course")
            let id = mine.id.uuidString.lowercased()
            let made = creation(mine, node: "lima-1", at: Self.now)
            #expect(try await Self.push(client, w.limaToken, made).rejected.isEmpty)
            let base = try #require(made.first { $0.field == "participants" }).stamp
            var edit = Self.set(id, "participants", .int(7), node: "lima-1", at: Self.now + 10_000)
            edit.base = base
            #expect(try await Self.push(client, w.limaToken, [edit]).rejected.isEmpty)
            #expect(
                try await Self.push(
                    client, w.hqToken, [Self.set(id, "post", .string("DAR-ES-SALAAM"), node: "hq-1", at: Self.now + 20_000)]
                )
                .rejected.isEmpty)
            // Dar es Salaam writes the field from a stale base: a conflict of Dar es Salaam's.
            var theirs = Self.set(id, "participants", .int(99), node: "dar-1", at: Self.now + 30_000)
            theirs.base = base
            let raised = try await Self.push(client, w.darToken, [theirs])
            #expect(raised.conflicts.count == 1)
            // Lima's retry of its edit is acknowledged without naming it.
            let retry = try await Self.push(client, w.limaToken, [edit])
            #expect(retry.accepted == [edit.stamp] && retry.conflicts.isEmpty)
        }
        await f.close()
    }
}
