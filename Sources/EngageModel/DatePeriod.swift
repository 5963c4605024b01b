import Foundation

/// Dates known to a month, a quarter or a year, as planned work and fiscal-year records give
/// them. An activity keeps full days (`startDate` the first day of its period, `endDate` the last
/// day of its own) and a `DatePrecision`; these turn text into that form and back.
extension Day {
    /// Parses "2026", "2026-Q3", "2026-07" or "2026-07-15": the first and last day of the period
    /// and its precision. `field` names the field in the error.
    public static func period(_ text: String, field: String = "date") throws(ModelError) -> (first: Day, last: Day, precision: DatePrecision) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        let bad = ModelError(
            field: field,
            message: "\(field) '\(text)' is not a date; write YYYY-MM-DD, or YYYY-MM, YYYY-Qn or YYYY when only the month, quarter or year is known")
        guard parts.first?.count == 4, let year = Int(parts[0]) else { throw bad }
        switch parts.count {
        case 1:
            return (try Day(year: year, month: 1, day: 1), try Day(year: year, month: 12, day: 31), .year)
        case 2 where parts[1].count == 2 && parts[1].first == "Q":
            guard let q = Int(parts[1].dropFirst()), (1...4).contains(q) else { throw bad }
            return (try Day(year: year, month: q * 3 - 2, day: 1), try Day(year: year, month: q * 3, day: Day.daysIn(month: q * 3, year: year)), .quarter)
        case 2 where parts[1].count == 2:
            guard let m = Int(parts[1]), (1...12).contains(m) else { throw bad }
            return (try Day(year: year, month: m, day: 1), try Day(year: year, month: m, day: Day.daysIn(month: m, year: year)), .month)
        case 3:
            do {
                let day = try Day(t, field: field)
                return (day, day, .day)
            } catch { throw bad }
        default:
            throw bad
        }
    }

    /// A start and an optional end given as text, to one precision: the start's first day, the
    /// end's last day and their precision. Dates of two precisions are refused (rounding one of
    /// them would change what was typed).
    public static func periods(start: String, end: String?) throws(ModelError) -> (start: Day, end: Day?, precision: DatePrecision) {
        let s = try period(start, field: "startDate")
        guard let end else { return (s.first, nil, s.precision) }
        let e = try period(end, field: "endDate")
        guard e.precision == s.precision else {
            throw ModelError(
                field: "endDate",
                message: "startDate '\(start)' is known to the \(s.precision.rawValue) and endDate '\(end)' to the \(e.precision.rawValue); "
                    + "give both to the same precision, e.g. \(s.first.text(s.precision)) and \(e.last.text(s.precision))")
        }
        return (s.first, e.last, s.precision)
    }

    /// The first day of the period of `precision` holding this day.
    public func start(of precision: DatePrecision) -> Day {
        switch precision {
        case .day: self
        case .month: try! Day(year: year, month: month, day: 1)
        case .quarter: try! Day(year: year, month: (month - 1) / 3 * 3 + 1, day: 1)
        case .year: try! Day(year: year, month: 1, day: 1)
        }
    }

    /// The last day of the period of `precision` holding this day.
    public func end(of precision: DatePrecision) -> Day {
        switch precision {
        case .day: return self
        case .month: return try! Day(year: year, month: month, day: Day.daysIn(month: month, year: year))
        case .quarter:
            let last = (month - 1) / 3 * 3 + 3
            return try! Day(year: year, month: last, day: Day.daysIn(month: last, year: year))
        case .year: return try! Day(year: year, month: 12, day: 31)
        }
    }

    /// This day written to `precision`: "2026-07-15", "2026-07", "2026-Q3" or "2026".
    public func text(_ precision: DatePrecision) -> String {
        switch precision {
        case .day: description
        case .month: String(description.prefix(7))
        case .quarter: quarter
        case .year: String(year)
        }
    }
}

extension Day {
    /// Today's date in UTC.
    public static var today: Day {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return try! Day(year: c.year!, month: c.month!, day: c.day!)
    }
}
