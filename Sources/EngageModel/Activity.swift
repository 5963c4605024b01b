import Foundation

/// One engagement with foreign partner agencies, as an advisor logs it.
///
/// Values are validated by `validate()`; the JSON form has stable camelCase keys and
/// always carries every key (absent optionals are `null`).
public struct Activity: Hashable, Sendable, Identifiable {
    public var id: UUID
    public var kind: ActivityKind
    public var title: String
    public var country: Country
    public var location: String?
    /// The advisor's post code, e.g. LIMA.
    public var post: String
    /// Partner agencies: registry codes or free names.
    public var partners: Set<String>
    public var goals: Set<StrategicGoal>
    public var startDate: Day
    public var endDate: Day?
    public var status: ActivityStatus
    public var participants: Int?
    public var notes: String
    public var sensitivity: Sensitivity
    /// Tombstone flag: a deleted activity keeps every field and can be restored.
    public var deleted: Bool

    public init(
        id: UUID = UUID(), kind: ActivityKind, title: String, country: Country, location: String? = nil,
        post: String = "", partners: Set<String> = [], goals: Set<StrategicGoal> = [], startDate: Day,
        endDate: Day? = nil, status: ActivityStatus = .planned, participants: Int? = nil, notes: String = "",
        sensitivity: Sensitivity = .unclassified, deleted: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.country = country
        self.location = location
        self.post = post
        self.partners = partners
        self.goals = goals
        self.startDate = startDate
        self.endDate = endDate
        self.status = status
        self.participants = participants
        self.notes = notes
        self.sensitivity = sensitivity
        self.deleted = deleted
    }

    /// Checks the rules that span fields or are not enforced by the types.
    public func validate() throws(ModelError) {
        if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ModelError(field: "title", code: "missing_value", message: "title is empty; give the activity a short title")
        }
        if title.count > TextRules.maxTitle {
            throw ModelError(
                field: "title",
                message: "title is \(title.count) characters long; keep it to \(TextRules.maxTitle) and put detail in notes")
        }
        try TextRules.check("title", title, maxLength: TextRules.maxTitle)
        if let location { try TextRules.check("location", location, maxLength: TextRules.maxLocation) }
        try TextRules.check("notes", notes, maxLength: TextRules.maxNotes)
        if let endDate, endDate < startDate {
            throw ModelError(
                field: "endDate",
                message: "endDate \(endDate) is before startDate \(startDate); the end may not come before the start")
        }
        if let participants, participants < 0 {
            throw ModelError(field: "participants", message: "participants \(participants) is negative; use 0 or more")
        }
        if let participants, participants > TextRules.maxParticipants {
            throw ModelError(
                field: "participants",
                message: "participants \(participants) is more than \(TextRules.maxParticipants); give the number of people taking part")
        }
        if !post.isEmpty, !Activity.isValidPost(post) {
            throw ModelError(field: "post", message: "post '\(post)' is not a post code; use letters, digits and '-', e.g. LIMA")
        }
        for partner in partners {
            if partner.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ModelError(field: "partners", message: "partner '\(partner)' is empty; give the agency's name or registry code")
            }
            try TextRules.check("partners", partner, maxLength: TextRules.maxPartner)
        }
    }

    /// A post code: 2–32 upper-case letters, digits or '-'.
    public static func isValidPost(_ post: String) -> Bool {
        (2...32).contains(post.count) && post.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "-") }
    }
}

extension Activity: Codable {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, title, country, location, post, partners, goals, startDate, endDate, status
        case participants, notes, sensitivity, deleted
    }

    /// Decodes activity JSON; only `kind`, `title`, `country` and `startDate` are required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(UUID.self, forKey: .id) ?? UUID()
        kind = try Activity.vocabulary(c, .kind)
        title = try c.decode(String.self, forKey: .title)
        country = try c.decode(Country.self, forKey: .country)
        location = try c.decodeIfPresent(String.self, forKey: .location)
        post = try c.decodeIfPresent(String.self, forKey: .post) ?? ""
        partners = Set(try c.decodeIfPresent([String].self, forKey: .partners) ?? [])
        let numbers = try c.decodeIfPresent([Int].self, forKey: .goals) ?? []
        goals = Set(try numbers.map { n throws(ModelError) in try StrategicGoal.parse(n) })
        startDate = try c.decode(Day.self, forKey: .startDate)
        endDate = try c.decodeIfPresent(Day.self, forKey: .endDate)
        status = c.contains(.status) ? try Activity.vocabulary(c, .status) : .planned
        participants = try c.decodeIfPresent(Int.self, forKey: .participants)
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? ""
        sensitivity = c.contains(.sensitivity) ? try Activity.vocabulary(c, .sensitivity) : .unclassified
        deleted = try c.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
    }

    private static func vocabulary<V: Vocabulary>(
        _ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> V {
        try V.parse(try c.decode(String.self, forKey: key))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.uuidString.lowercased(), forKey: .id)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(title, forKey: .title)
        try c.encode(country, forKey: .country)
        try c.encode(location, forKey: .location)
        try c.encode(post, forKey: .post)
        try c.encode(partners.sorted(), forKey: .partners)
        try c.encode(goals.map(\.rawValue).sorted(), forKey: .goals)
        try c.encode(startDate, forKey: .startDate)
        try c.encode(endDate, forKey: .endDate)
        try c.encode(status.rawValue, forKey: .status)
        try c.encode(participants, forKey: .participants)
        try c.encode(notes, forKey: .notes)
        try c.encode(sensitivity.rawValue, forKey: .sensitivity)
        try c.encode(deleted, forKey: .deleted)
    }
}
