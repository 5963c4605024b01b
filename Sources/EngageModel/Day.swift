/// A calendar day written YYYY-MM-DD, with no time zone: the day an advisor means.
public struct Day: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) throws(ModelError) {
        guard (1900...2999).contains(year), (1...12).contains(month),
            (1...Day.daysIn(month: month, year: year)).contains(day)
        else {
            throw ModelError(field: "date", message: "date \(year)-\(month)-\(day) does not exist")
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses YYYY-MM-DD; `field` names the field in the error ("startDate").
    public init(_ text: String, field: String = "date") throws(ModelError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let parsed = try? Day(year: y, month: m, day: d)
        else {
            throw ModelError(
                field: field, message: "\(field) '\(text)' is not a valid date; write YYYY-MM-DD, e.g. 2026-03-15")
        }
        self = parsed
    }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : "\(month)", d = day < 10 ? "0\(day)" : "\(day)"
        return "\(y)-\(m)-\(d)"
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for distances between days.
    public var ordinal: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The quarter label used by reports, e.g. "2026-Q1".
    public var quarter: String { "\(year)-Q\((month - 1) / 3 + 1)" }

    public static func < (lhs: Day, rhs: Day) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let field = decoder.codingPath.last?.stringValue ?? "date"
        do { try self.init(text, field: field) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
