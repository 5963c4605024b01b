import EngageCore
import EngageModel
import Testing

/// Issue 22, kind 5: a field of a newer version is kept and replicated, but its values follow
/// the text rules and size bounds every value follows, and a record holds few of them.
@Suite struct UnknownFieldTests {
    let node = NodeID("device-a")!
    let id = "3f2b6c1e-0000-4000-8000-000000000001"

    func change(_ field: String, _ op: Change.Op, ms: Int64 = 1) -> Change {
        Change(
            collection: ActivityFields.collection, recordId: id, field: field, op: op,
            stamp: HLC(wallMs: ms, counter: 0, node: node))
    }

    @Test func anUnknownFieldsValuesFollowTheTextRulesAndASizeBound() {
        // Accepted: plain text, numbers, booleans, null, a set element.
        for op: Change.Op in [
            .set(.string("Amended by the\nregional office")), .set(.int(7)), .set(.bool(true)), .set(.null), .add("SUNAT"),
        ] {
            #expect(ActivityFields.validate(change("reviewNote", op)) == nil, "\(op)")
        }
        // Refused: a 7 MiB value, one over the bound, control characters, an element on two lines.
        let refused: [(String, Change.Op)] = [
            ("7 MiB", .set(.string(String(repeating: "x", count: 7 * 1024 * 1024)))),
            ("characters", .set(.string(String(repeating: "x", count: ActivityFields.maxUnknownValueCharacters + 1)))),
            ("bytes", .set(.string(String(repeating: "€", count: ActivityFields.maxUnknownValueBytes / 3 + 1)))),
            ("escape", .set(.string("\u{1B}]0;pwned\u{07}\u{1B}[2J"))),
            ("NUL", .set(.string("a\u{0}b"))),
            ("C1", .set(.string("a\u{9B}2Jb"))),
            ("element line break", .add("EVIL\r\nAGENCY")),
            ("element override", .add("\u{202E}YCNEGA")),
            ("element size", .add(String(repeating: "x", count: 2_000))),
            ("removal", .remove("a\u{1B}b", observed: [])),
        ]
        for (what, op) in refused {
            #expect(ActivityFields.validate(change("reviewNote", op)) != nil, "\(what)")
        }
    }

    @Test func aRecordHoldsABoundedNumberAndSizeOfUnknownFields() {
        var state = RecordState()
        for n in 0..<ActivityFields.maxUnknownFields {
            let c = change("extra\(n)", .set(.string("v")), ms: Int64(n + 1))
            #expect(ActivityFields.unknownFieldsRefusal(c, state: state) == nil)
            state.registers[c.field] = Register(value: .string("v"), stamp: c.stamp)
        }
        // One more unknown field is refused; writing one it holds again, or a known field, is not.
        #expect(ActivityFields.unknownFieldsRefusal(change("oneMore", .set(.string("v")), ms: 100), state: state) != nil)
        #expect(ActivityFields.unknownFieldsRefusal(change("oneMore", .add("x"), ms: 100), state: state) != nil)
        #expect(ActivityFields.unknownFieldsRefusal(change("extra3", .set(.string("w")), ms: 100), state: state) == nil)
        #expect(ActivityFields.unknownFieldsRefusal(change("title", .set(.string("w")), ms: 100), state: state) == nil)

        // Bytes: a few large values fill a record's allowance.
        var big = RecordState()
        let value = String(repeating: "x", count: ActivityFields.maxUnknownValueBytes)
        var refusedAt: Int?
        for n in 0..<ActivityFields.maxUnknownFields {
            let c = change("large\(n)", .set(.string(value)), ms: Int64(n + 1))
            if ActivityFields.unknownFieldsRefusal(c, state: big) != nil {
                refusedAt = n
                break
            }
            big.registers[c.field] = Register(value: .string(value), stamp: c.stamp)
        }
        #expect(refusedAt == ActivityFields.maxUnknownBytes / ActivityFields.maxUnknownValueBytes)
        // Replacing a held value by a smaller one is taken.
        #expect(ActivityFields.unknownFieldsRefusal(change("large0", .set(.string("small")), ms: 100), state: big) == nil)
    }
}

/// Issue 22, kind 6: a registry entry pushed by headquarters follows the same rules as one read
/// from a file (`Partner.validate`).
@Suite struct PartnerChangeTests {
    func change(_ field: String, _ value: FieldValue) -> Change {
        Change(
            collection: PartnerFields.collection, recordId: "SUNAT", field: field, op: .set(value),
            stamp: HLC(wallMs: 1, counter: 0, node: NodeID("device-h")!))
    }

    @Test func registryNamesAreOneLineOfText() {
        for (field, value) in [
            ("name", "Superintendencia Nacional de Aduanas"), ("country", "PE"), ("agencyType", "customs"),
            ("aliases", #"["SUNAT","Aduanas Perú"]"#), ("website", "https://www.sunat.gob.pe"),
        ] {
            #expect(PartnerFields.validate(change(field, .string(value))) == nil, "\(field)")
        }
        for (field, value) in [
            ("name", "HQ\r\nDirector"), ("name", "\u{202E}TANUS"), ("name", " "), ("agencyType", "a\u{1B}[2J"),
            ("country", "pe"), ("aliases", #"["ok","bad\u2066"]"#), ("aliases", "not json"),
            ("website", "a\u{0}b"),
        ] {
            #expect(PartnerFields.validate(change(field, .string(value))) != nil, "\(field) \(value)")
        }
        #expect(PartnerFields.validate(change("name", .int(3))) != nil)
    }
}
