import EngageCore
import EngageModel
import Foundation
import SwiftCSV

/// Reads a ForeignAssistance.gov country export (CSV, one row per obligation or disbursement:
/// "Activity ID", "Activity Name", "Country Code" (ISO alpha-3), "Fiscal Year", "Current Dollar
/// Amount", …; https://foreignassistance.gov/data). The rows of one "Activity ID" become one
/// activity; the rules are in docs/importing.md.
public struct ForeignAssistanceGov {
    public var context: ImportContext

    public init(_ context: ImportContext) { self.context = context }

    static let required = ["Activity ID", "Activity Name", "Country Code", "Fiscal Year", "Current Dollar Amount"]
    static let redacted = "redacted this field"

    public func read(_ text: String) throws -> MappingReport {
        let csv: CSV<Named>
        do { csv = try CSV<Named>(string: text, delimiter: .comma, loadColumns: false) } catch {
            throw ImportError("not a CSV file: a quoted field is not closed, or a quote is followed by other characters (\(error)); "
                + "give a ForeignAssistance.gov country export as downloaded")
        }
        let missing = Self.required.filter { !csv.header.contains($0) }
        guard missing.isEmpty else {
            throw ImportError("not a ForeignAssistance.gov export: no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) in the header; "
                + "download the country's data from foreignassistance.gov (CSV)")
        }
        var groups: [String: [(Int, [String: String])]] = [:], order: [String] = []
        for (i, row) in csv.rows.enumerated() {
            let id = row["Activity ID", default: ""].trimmingCharacters(in: .whitespaces)
            let key = id.isEmpty ? "row-\(i + 2)" : id
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((i + 2, row))  // row 1 is the header
        }
        var report = MappingReport(format: "fa-gov")
        for key in order { report.records.append(record(key, groups[key]!)) }
        return report
    }

    func record(_ key: String, _ rows: [(line: Int, row: [String: String])]) -> MappingReport.Record {
        var r = MappingReport.Record(source: "fa-gov:\(key)", rows: rows.map(\.line))
        func first(_ column: String) -> String? {
            rows.lazy.compactMap { $0.row[column]?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        }
        func all(_ column: String) -> [String] {
            var seen: [String] = []
            for v in rows.compactMap({ $0.row[column]?.trimmingCharacters(in: .whitespaces) }) where !v.isEmpty && !seen.contains(v) { seen.append(v) }
            return seen
        }
        guard key.hasPrefix("row-") == false else { r.skipped("record", "no Activity ID"); return r }
        guard let name = first("Activity Name") else { r.skipped("record", "no title (Activity Name is empty)"); return r }
        guard !name.contains(Self.redacted) else {
            r.skipped("record", "the title is redacted by the publisher (Foreign Aid Transparency and Accountability Act exceptions)")
            return r
        }
        if all("US Sector Name").contains("Direct Administrative Costs") || name.lowercased() == "administrative costs" {
            r.skipped("record", "administrative costs, not an engagement")
            return r
        }
        // Countries, from the alpha-3 codes.
        var countries: [Country] = []
        for code in all("Country Code") {
            if let c = Country(alpha3: code) { if !countries.contains(c) { countries.append(c) } } else {
                r.skipped("country", "'\(code)' is not an ISO 3166-1 alpha-3 code")
            }
        }
        guard let country = countries.first else {
            r.skipped("record", "no country with an ISO 3166-1 code (regional and worldwide rows have none)")
            return r
        }
        r.mapped("country", "\(countries.map(\.code).joined(separator: ", ")) from Country Code \(all("Country Code").joined(separator: ", "))")

        let (title, shortened) = Guesses.title(name)
        if shortened { r.guessed("title", "shortened to \(TextRules.maxTitle) characters at a word; the whole title is in notes") } else { r.mapped("title", "Activity Name") }

        // Dates: the record's own when given (to the day; the earliest start and latest end of its
        // rows); else its fiscal years (October to September), to the month.
        var years: [Int] = []
        for text in all("Fiscal Year") {
            if let y = Int(text), (1901...2999).contains(y) { years.append(y) } else { r.skipped("startDate", "Fiscal Year '\(text)' is not a year from 1901 to 2999") }
        }
        years.sort()
        func days(_ column: String) -> [Day] {
            var found: [Day] = []
            for text in all(column) {
                if let day = try? Day(text) { found.append(day) } else { r.skipped(column == "Activity Start Date" ? "startDate" : "endDate", "\(column) '\(text)' is not a date written YYYY-MM-DD") }
            }
            return found
        }
        let starts = days("Activity Start Date"), ends = days("Activity End Date")
        let given = (start: starts.min(), end: ends.max())
        let spread = starts.count > 1 || ends.count > 1 ? " (the earliest start and latest end of the record's rows)" : ""
        var start: Day, end: Day?, precision = DatePrecision.day
        if let s = given.start {
            start = s
            end = given.end
            r.mapped("startDate", "Activity Start Date \(s)\(spread)")
            if let e = given.end { r.mapped("endDate", "Activity End Date \(e)\(spread)") }
        } else if let fy = years.first, let last = years.last {
            precision = .month
            let fiscalStart = try! Day(year: fy - 1, month: 10, day: 1)
            start = min(fiscalStart, given.end?.start(of: .month) ?? fiscalStart)
            end = given.end.map { $0.end(of: .month) } ?? (try! Day(year: last, month: 9, day: 30))
            r.guessed("startDate", "\(start.text(.month)), to the month: no start date; the first fiscal year obligated (FY\(fy) begins in October)"
                + (start < fiscalStart ? " or the end date's month, which is earlier" : ""))
            if let e = given.end {
                r.guessed("endDate", "\(e.text(.month)), Activity End Date \(e) kept to the month like the start")
            } else {
                r.guessed("endDate", "\(end!.text(.month)): the end of the last fiscal year obligated, FY\(last)")
            }
        } else {
            r.skipped("record", "no date: neither a start date nor a fiscal year")
            return r
        }
        if let e = end, e < start {
            r.skipped("endDate", "\(e) is before the start \(start)")
            end = nil
        }

        let description = first("Activity Description") ?? ""
        let (kind, kindWhy) = Guesses.kind(title, description)
        r.guessed("kind", kindWhy)
        let (status, statusWhy) = Guesses.status(start: start, end: end, today: context.today)
        r.guessed("status", statusWhy)

        var activity = Activity(
            id: UUID.nameBased(Data(r.source.utf8)), kind: kind, title: title, country: country,
            otherCountries: Set(countries.dropFirst()), post: context.post, startDate: start, endDate: end, datePrecision: precision, status: status)

        // Partners: the implementing partner, through the registry.
        for name in all("Implementing Partner Name") {
            if name.lowercased().contains("redacted") {
                r.skipped("partners", "'\(name)' is redacted by the publisher")
            } else {
                context.addPartner(name, &activity, &r)
            }
        }
        // The amount: the sum of the rows' current dollars.
        var amounts: [Decimal] = []
        for (line, row) in rows {
            let text = row["Current Dollar Amount", default: ""].trimmingCharacters(in: .whitespaces)
            if let value = Amount.decimal(text) { amounts.append(value) } else if !text.isEmpty {
                r.skipped("amount", "row \(line): Current Dollar Amount '\(text)' is not a number written in plain digits; left out of the sum")
            }
        }
        if !amounts.isEmpty {
            do {
                let total = try Amount(value: amounts.reduce(0, +), currency: "USD")
                activity.amount = total
                r.mapped("amount", "\(total), the sum of \(amounts.count) \(first("Transaction Type Name")?.lowercased() ?? "row") "
                    + "(FY\(years.map(String.init).joined(separator: ", FY")))")
            } catch {
                r.skipped("amount", "the sum of \(amounts.count) rows: \(error.message)")
            }
        }
        var notes: [String] = []
        if shortened { notes.append(name) }
        if !description.isEmpty { notes.append(description) }
        let agency = [first("Managing Agency Name"), first("Managing Sub-agency or Bureau Name")].compactMap { $0 }.filter { $0 != "not applicable" }
        notes.append("ForeignAssistance.gov activity \(key)" + (first("Activity Project Number").map { ", project \($0)" } ?? "")
            + (agency.isEmpty ? "" : "; managed by \(agency.joined(separator: ", "))")
            + (all("US Sector Name").isEmpty ? "" : "; sector: \(all("US Sector Name").joined(separator: ", "))"))
        r.mapped("notes", "description and source (activity, project, managing agency, sector)")
        context.finish(&activity, &r, goalTexts: all("US Sector Name") + all("International Purpose Name") + [title],
                       from: "the sector and title", title: name, notes: notes)
        return r
    }
}
