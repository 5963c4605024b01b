import Foundation

/// One engagement with foreign partner agencies, as an advisor logs it.
///
/// Values are validated by `validate()`; the JSON form has stable camelCase keys and
/// always carries every key (absent optionals are `null`).
public struct Activity: Hashable, Sendable, Identifiable {
    public var id: UUID
    public var kind: ActivityKind
    public var title: String
    /// Where it took place; with `otherCountries`, every country of a regional activity.
    public var country: Country
    /// Further countries of a regional activity (a course for six countries). Reports count the
    /// activity once per country and once in totals.
    public var otherCountries: Set<Country>
    public var location: String?
    /// The advisor's post code, e.g. LIMA.
    public var post: String
    /// Partner agencies: registry codes or free names.
    public var partners: Set<String>
    public var goals: Set<StrategicGoal>
    /// The first day; with a coarser `datePrecision`, the first day of the month, quarter or year.
    public var startDate: Day
    /// The last day, if known; with a coarser `datePrecision`, the last day of its period.
    public var endDate: Day?
    /// How precisely the dates are known (day unless a record gives less).
    public var datePrecision: DatePrecision
    public var status: ActivityStatus
    public var participants: Int?
    /// An obligation or budget, when one is known.
    public var amount: Amount?
    public var notes: String
    public var sensitivity: Sensitivity
    /// Tombstone flag: a deleted activity keeps every field and can be restored.
    public var deleted: Bool

    public init(
        id: UUID = UUID(), kind: ActivityKind, title: String, country: Country, otherCountries: Set<Country> = [],
        location: String? = nil, post: String = "", partners: Set<String> = [], goals: Set<StrategicGoal> = [], startDate: Day,
        endDate: Day? = nil, datePrecision: DatePrecision = .day, status: ActivityStatus = .planned, participants: Int? = nil,
        amount: Amount? = nil, notes: String = "", sensitivity: Sensitivity = .unclassified, deleted: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.country = country
        self.otherCountries = otherCountries
        self.datePrecision = datePrecision
        self.amount = amount
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
        try TextRules.checkLine("title", title, maxLength: TextRules.maxTitle)
        if let location { try TextRules.checkLine("location", location, maxLength: TextRules.maxLocation) }
        try TextRules.check("notes", notes, maxLength: TextRules.maxNotes)
        if let endDate, endDate < startDate {
            throw ModelError(
                field: "endDate",
                message: "endDate \(endDate) is before startDate \(startDate); the end may not come before the start")
        }
        if startDate != startDate.start(of: datePrecision) {
            throw ModelError(
                field: "startDate",
                message: "startDate \(startDate) is not the first day of its \(datePrecision.rawValue); with datePrecision "
                    + "\(datePrecision.rawValue) write \(startDate.start(of: datePrecision)) (or give the date as \(startDate.text(datePrecision)))"
            )
        }
        if let endDate, endDate != endDate.end(of: datePrecision) {
            throw ModelError(
                field: "endDate",
                message: "endDate \(endDate) is not the last day of its \(datePrecision.rawValue); with datePrecision "
                    + "\(datePrecision.rawValue) write \(endDate.end(of: datePrecision)) (or give the date as \(endDate.text(datePrecision)))"
            )
        }
        if otherCountries.contains(country) {
            throw ModelError(
                field: "otherCountries", message: "otherCountries repeats the country \(country); list only the further countries"
            )
        }
        if let participants, participants < 0 {
            throw ModelError(field: "participants", message: "participants \(participants) is negative; use 0 or more")
        }
        if let participants, participants > TextRules.maxParticipants {
            throw ModelError(
                field: "participants",
                message:
                    "participants \(participants) is more than \(TextRules.maxParticipants); give the number of people taking part"
            )
        }
        if !post.isEmpty, !Activity.isValidPost(post) {
            throw ModelError(field: "post", message: "post '\(post)' is not a post code; use letters, digits and '-', e.g. LIMA")
        }
        for partner in partners {
            if partner.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ModelError(
                    field: "partners", message: "partner '\(partner)' is empty; give the agency's name or registry code")
            }
            try TextRules.checkLine("partners", partner, maxLength: TextRules.maxPartner)
        }
    }

    /// A post code: 2–32 upper-case letters, digits or '-'.
    public static func isValidPost(_ post: String) -> Bool {
        (2...32).contains(post.count) && post.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "-") }
    }
}

extension Activity: Codable {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, title, country, otherCountries, location, post, partners, goals, startDate, endDate, datePrecision, status
        case participants, amount, notes, sensitivity, deleted
    }

    /// Every country, the main one first, then the others in code order.
    public var countries: [Country] { [country] + otherCountries.sorted() }

    /// Decodes activity JSON; only `kind`, `title`, `country` and `startDate` are required.
    /// Dates may be given as "2026-07", "2026-Q3" or "2026" when only that is known (both to the
    /// same precision): they are kept as the first (start) and last (end) day of the period.
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
        do { goals = Set(try numbers.map { n throws(ModelError) in try StrategicGoal.parse(n) }) } catch {
            throw DecodingError.dataCorruptedError(forKey: .goals, in: c, debugDescription: error.message)
        }
        otherCountries = Set(try c.decodeIfPresent([Country].self, forKey: .otherCountries) ?? [])
        var given: DatePrecision?
        if c.contains(.datePrecision), try !c.decodeNil(forKey: .datePrecision) {
            given = try Activity.vocabulary(c, .datePrecision)
        }
        let startText = try c.decode(String.self, forKey: .startDate)
        let endText = try c.decodeIfPresent(String.self, forKey: .endDate)
        do {
            // Dates as typed: periods to one precision, or days with the precision stated
            // (`validate()` then refuses a day that is not its period's first or last).
            let dates = try Day.periods(start: startText, end: endText)
            if let given, given != dates.precision {
                guard dates.precision == .day else {
                    throw ModelError(
                        field: "datePrecision",
                        message:
                            "datePrecision \(given.rawValue) does not match the dates, given to the \(dates.precision.rawValue)")
                }
            }
            datePrecision = given ?? dates.precision
            startDate = dates.start
            endDate = dates.end
        } catch let error as ModelError {
            throw DecodingError.dataCorruptedError(
                forKey: error.field == "startDate" ? .startDate : error.field == "datePrecision" ? .datePrecision : .endDate,
                in: c, debugDescription: error.message)
        }
        status = c.contains(.status) ? try Activity.vocabulary(c, .status) : .planned
        participants = try c.decodeIfPresent(Int.self, forKey: .participants)
        amount = try c.decodeIfPresent(Amount.self, forKey: .amount)
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? ""
        sensitivity = c.contains(.sensitivity) ? try Activity.vocabulary(c, .sensitivity) : .unclassified
        deleted = try c.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
    }

    /// A vocabulary value; a word outside it is a `DecodingError` at its key, so the message
    /// names the entry and the field ("kind 'seminar' is not allowed; use one of: … at [3].kind").
    private static func vocabulary<V: Vocabulary>(
        _ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> V {
        do { return try V.parse(try c.decode(String.self, forKey: key)) } catch let error as ModelError {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.uuidString.lowercased(), forKey: .id)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(title, forKey: .title)
        try c.encode(country, forKey: .country)
        try c.encode(otherCountries.sorted(), forKey: .otherCountries)
        try c.encode(location, forKey: .location)
        try c.encode(post, forKey: .post)
        try c.encode(partners.sorted(), forKey: .partners)
        try c.encode(goals.map(\.rawValue).sorted(), forKey: .goals)
        try c.encode(startDate, forKey: .startDate)
        try c.encode(endDate, forKey: .endDate)
        try c.encode(datePrecision.rawValue, forKey: .datePrecision)
        try c.encode(status.rawValue, forKey: .status)
        try c.encode(participants, forKey: .participants)
        try c.encode(amount, forKey: .amount)
        try c.encode(notes, forKey: .notes)
        try c.encode(sensitivity.rawValue, forKey: .sensitivity)
        try c.encode(deleted, forKey: .deleted)
    }
}
