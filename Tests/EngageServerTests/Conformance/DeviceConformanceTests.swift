import EngageHubPostgres
import EngageStorage
import EngageTestSupport
import Foundation
import Testing

/// Enrolment and devices behave the same on every hub store: the codes' rules, node ids kept
/// apart, revocation by prefix. Each test runs on SQLite and on PostgreSQL (`HubKind`).
@Suite struct DeviceConformanceTests {
    let day: Int64 = 86_400_000

    @Test(arguments: HubKind.available) func aCodeIsExchangedOnceBeforeItExpires(_ kind: HubKind) async throws {
        let clock = FakeClock()
        try await TestHub.with(kind, clock: clock) { hub in
            let store = hub.devices
            try await store.createEnrolment(
                codeHash: "h1", name: "Lima tablet", post: "LIMA", role: .advisor, expiresAt: clock.now() + day)
            #expect(
                try await store.enrolment(codeHash: "h1")
                    == EnrolmentRecord(
                        name: "Lima tablet", post: "LIMA", role: "advisor",
                        expiresAt: clock.now() + day, used: false))
            #expect(try await store.enrolment(codeHash: "nope") == nil)
            let device = try await store.enroll(codeHash: "h1", deviceId: "dev-1", nodeId: "node1", tokenHash: "t1")
            #expect(
                device
                    == DeviceRecord(
                        id: "dev-1", name: "Lima tablet", post: "LIMA", role: .advisor, nodeId: "node1",
                        lastSeen: clock.now(), revoked: false))
            #expect(try await store.enrolment(codeHash: "h1")?.used == true)
            #expect(try await store.device(tokenHash: "t1") == device)
            #expect(try await store.device(tokenHash: "t2") == nil)
            await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h1", deviceId: "dev-2", nodeId: "node2", tokenHash: "t2")
            }
            let unknown = await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h9", deviceId: "dev-2", nodeId: "node2", tokenHash: "t2")
            }
            #expect(unknown?.code == .notFound)

            try await store.createEnrolment(
                codeHash: "h2", name: "HQ laptop", post: "HQ", role: .hq, expiresAt: clock.now() + day)
            clock.advance(day + 1)
            let expired = await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h2", deviceId: "dev-3", nodeId: "node3", tokenHash: "t3")
            }
            #expect(expired?.code == .invalid && expired?.message.contains("expired") == true)
            #expect(try await store.devices().map(\.id) == ["dev-1"], "a refused enrolment left a device behind")
        }
    }

    /// An enrolment whose answer was lost on the link had burnt the code: the retry was told
    /// "already used" and the hub listed a device nobody held. The same device (node id) asking
    /// again within 10 minutes gets the same enrolment under a new token, and the lost token
    /// stops working; another device, or the same one later, is refused.
    @Test(arguments: HubKind.available) func anEnrolmentIsSafeToRetry(_ kind: HubKind) async throws {
        let clock = FakeClock()
        try await TestHub.with(kind, clock: clock) { hub in
            let store = hub.devices
            try await store.createEnrolment(
                codeHash: "h1", name: "Lima tablet", post: "LIMA", role: .advisor, expiresAt: clock.now() + day)
            let first = try await store.enroll(codeHash: "h1", deviceId: "dev-1", nodeId: "node1", tokenHash: "t1")
            clock.advance(60_000)
            let again = try await store.enroll(codeHash: "h1", deviceId: "dev-2", nodeId: "node1", tokenHash: "t2")
            #expect(again.id == first.id && again.nodeId == "node1")
            #expect(try await store.device(tokenHash: "t1") == nil)
            #expect(try await store.device(tokenHash: "t2")?.id == "dev-1")
            let other = await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h1", deviceId: "dev-3", nodeId: "node3", tokenHash: "t3")
            }
            #expect(other?.code == .invalid)
            clock.advance(HubRecords.enrolmentRetryMs)
            await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h1", deviceId: "dev-4", nodeId: "node1", tokenHash: "t4")
            }
            try await store.revoke(deviceId: "dev-1")
            #expect(try await store.devices().map(\.id) == ["dev-1"])
            // Never past the code's expiry, and no window stretched by a hub clock stepped back.
            try await store.createEnrolment(
                codeHash: "h2", name: "Cusco tablet", post: "CUSCO", role: .advisor, expiresAt: clock.now() + 120_000)
            _ = try await store.enroll(codeHash: "h2", deviceId: "dev-5", nodeId: "node5", tokenHash: "t5")
            clock.advance(180_000)
            await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h2", deviceId: "dev-6", nodeId: "node5", tokenHash: "t6")
            }
            try await store.createEnrolment(
                codeHash: "h3", name: "Quito tablet", post: "QUITO", role: .advisor, expiresAt: clock.now() + day)
            _ = try await store.enroll(codeHash: "h3", deviceId: "dev-7", nodeId: "node7", tokenHash: "t7")
            clock.advance(-30 * 60_000)
            await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "h3", deviceId: "dev-8", nodeId: "node7", tokenHash: "t8")
            }
        }
    }

    @Test(arguments: HubKind.available) func twoDevicesNeverShareANodeID(_ kind: HubKind) async throws {
        let clock = FakeClock()
        try await TestHub.with(kind, clock: clock) { hub in
            let store = hub.devices
            for code in ["a", "b"] {
                try await store.createEnrolment(
                    codeHash: code, name: "tablet \(code)", post: "LIMA", role: .advisor, expiresAt: clock.now() + day)
            }
            let first = try await store.enroll(codeHash: "a", deviceId: "dev-a", nodeId: "nodeA", tokenHash: "ta")
            let taken = await #expect(throws: StoreError.self) {
                try await store.enroll(codeHash: "b", deviceId: "dev-b", nodeId: "nodeA", tokenHash: "tb")
            }
            #expect(taken?.code == .nodeInUse)
            #expect(try await store.enrolment(codeHash: "b")?.used == false, "the refused enrolment used its code")
            // A copied database becomes a device of its own (once the hub has answered it
            // identity_conflict); a taken node id is refused there too, keeping the grant.
            let refused = await #expect(throws: StoreError.self) {
                try await store.split(device: first, deviceId: "dev-c", nodeId: "nodeC", tokenHash: "tc")
            }
            #expect(refused?.code == .noIdentityConflict)
            try await store.grantSplit(deviceId: first.id)
            let copy = try await store.split(device: first, deviceId: "dev-c", nodeId: "nodeC", tokenHash: "tc")
            #expect(copy.name == "tablet a (copy)" && copy.post == "LIMA" && copy.role == .advisor && copy.nodeId == "nodeC")
            let again = await #expect(throws: StoreError.self) {
                try await store.split(device: first, deviceId: "dev-d", nodeId: "nodeC", tokenHash: "td")
            }
            #expect(again?.code == .noIdentityConflict, "one grant, one new identity")
            try await store.grantSplit(deviceId: first.id)
            let taken2 = await #expect(throws: StoreError.self) {
                try await store.split(device: first, deviceId: "dev-d", nodeId: "nodeC", tokenHash: "td")
            }
            #expect(taken2?.code == .nodeInUse)
            #expect(try await store.devices().map(\.id) == ["dev-a", "dev-c"])
            #expect(try await store.devices().map(\.parentId) == [nil, "dev-a"])
        }
    }

    @Test(arguments: HubKind.available) func revokingTakesAUniquePrefixAndTouchNotesTheTime(_ kind: HubKind) async throws {
        let clock = FakeClock()
        try await TestHub.with(kind, clock: clock) { hub in
            let store = hub.devices
            for (i, id) in ["ab%1", "ab_2", "cd-3"].enumerated() {
                try await store.createEnrolment(
                    codeHash: "c\(i)", name: "device \(i)", post: "LIMA", role: .advisor, expiresAt: clock.now() + day)
                _ = try await store.enroll(codeHash: "c\(i)", deviceId: id, nodeId: "node\(i)", tokenHash: "t\(i)")
                clock.advance(1_000)
            }
            let ambiguous = await #expect(throws: StoreError.self) { try await store.revoke(deviceId: "ab") }
            #expect(ambiguous?.code == .ambiguousID)
            // '%' and '_' are characters here, not patterns.
            let none = await #expect(throws: StoreError.self) { try await store.revoke(deviceId: "a%") }
            #expect(none?.code == .notFound)
            #expect(await (try? store.revoke(deviceId: "")) == nil)
            let revoked = try await store.revoke(deviceId: "ab_")
            #expect(revoked.id == "ab_2" && revoked.revoked)
            #expect(try await store.device(tokenHash: "t1")?.revoked == true)
            #expect(try await store.revoke(deviceId: "ab_2").revoked, "revoking twice is allowed")
            clock.advance(5_000)
            try await store.touch(deviceId: "cd-3")
            let listed = try await store.devices()
            #expect(listed.map(\.id) == ["ab%1", "ab_2", "cd-3"])
            #expect(listed.map(\.revoked) == [false, true, false])
            #expect(listed[2].lastSeen == clock.now())
        }
    }
}

/// Opening the PostgreSQL hub with a bad URL says what is wrong, soon, and changes nothing.
@Suite struct PostgresOpenTests {
    @Test func aMalformedOrUnreachableURLIsReportedWithWhatToCheck() async throws {
        let malformed = await #expect(throws: StoreError.self) { try await PostgresHub.open(url: "mysql://engage@127.0.0.1/x") }
        #expect(malformed?.code == .invalid && malformed?.message.contains("postgres://") == true)
        let noUser = await #expect(throws: StoreError.self) { try await PostgresHub.open(url: "postgres://127.0.0.1/x") }
        #expect(noUser?.code == .invalid && noUser?.message.contains("no user") == true)
        // Port 1 on loopback refuses every connection. The deadline answers (its message names
        // it), not the pool's circuit breaker, which waits a minute.
        let unreachable = await #expect(throws: StoreError.self) {
            try await PostgresHub.open(
                url: "postgres://engage:secret@127.0.0.1:1/engage?sslmode=disable", logger: TestHub.quiet,
                connectTimeout: .seconds(2))
        }
        #expect(
            unreachable?.code == .unavailable && unreachable?.message.contains("cannot reach") == true,
            "\(String(describing: unreachable))")
        #expect(unreachable?.message.contains("secret") == false, "the password leaked into the message")
        // A URL too malformed to parse still has its password masked.
        for url in [
            "postgres://engage:s3cret@127.0.0.1:notaport/a", "postgres://engage:s3/cret@127.0.0.1:5432/a", "mysql://u:s3cret@h/x",
            "postgres//engage:s3cret@127.0.0.1/x", "postgres://engage:s3cret", "engage:s3cret@127.0.0.1:5432/x",
        ] {
            let error = await #expect(throws: StoreError.self) {
                try await PostgresHub.open(url: url, logger: TestHub.quiet, connectTimeout: .seconds(2))
            }
            #expect(error?.message.contains("s3") == false, "\(url): \(String(describing: error))")
        }
    }

    /// A database that goes away under a running hub is reported unavailable (503 at the
    /// service) within the request deadline; the pool had kept a request waiting 40–67 s.
    @Test(.enabled(if: HubKind.available.contains(.postgres))) func aDatabaseThatGoesAwayIsReportedUnavailableSoon() async throws
    {
        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, logger: TestHub.quiet, requestTimeout: .seconds(2))
        _ = try await hub.devices()
        await drop()  // WITH (FORCE): its connections are closed
        let error = await #expect(throws: StoreError.self) { try await hub.devices() }
        await hub.close()
        // The request's own deadline answered (2 s here), not the pool's retries.
        #expect(error?.code == .unavailable && error?.message.contains("within 2 s") == true, "\(String(describing: error))")
    }

    /// What PostgreSQL refuses for good — no such database, no such user — is reported at once,
    /// in its words, not retried until a deadline and called unreachable.
    @Test(.enabled(if: HubKind.available.contains(.postgres))) func aDatabaseOrUserThatDoesNotExistIsNamedAtOnce() async throws {
        let admin = try #require(HubKind.adminURL)
        var parts = try #require(URLComponents(string: admin))
        parts.path = "/no_such_database"
        let noDatabase = await #expect(throws: StoreError.self) {
            try await PostgresHub.open(url: parts.string!, logger: TestHub.quiet)
        }
        #expect(
            noDatabase?.message.contains("does not exist") == true && noDatabase?.message.contains("CREATE DATABASE") == true,
            "\(String(describing: noDatabase))")
        parts.path = "/postgres"
        parts.user = "nobody_here"
        let noUser = await #expect(throws: StoreError.self) {
            try await PostgresHub.open(url: parts.string!, logger: TestHub.quiet)
        }
        #expect(noUser?.message.contains("nobody_here") == true, "\(String(describing: noUser))")
        // In PostgreSQL's words, from the first contact — not the 15 s deadline's "cannot reach".
        #expect(noDatabase?.message.contains("cannot reach") == false && noUser?.message.contains("cannot reach") == false)
    }

    /// Servers starting together on a new database: one migrates, all see the same hub.
    @Test(.enabled(if: HubKind.available.contains(.postgres))) func serversStartingTogetherMigrateOnceAndShareAGeneration()
        async throws
    {
        let (url, drop) = try await TestHub.freshDatabase()
        defer { Task { await drop() } }
        let hubs = try await withThrowingTaskGroup(of: PostgresHub.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresHub.open(url: url, logger: TestHub.quiet) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(hubs.map(\.generation)).count == 1)
        for hub in hubs { await hub.close() }
        // A database a newer Engage migrated is refused, unchanged.
        try await TestHub.adminQuery(url, "INSERT INTO engage_migrations (identifier) VALUES ('postgres/9999_future')")
        let newer = await #expect(throws: StoreError.self) { try await PostgresHub.open(url: url, logger: TestHub.quiet) }
        #expect(newer?.code == .file && newer?.message.contains("newer version") == true)
    }
}
