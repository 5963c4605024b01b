import EngageCore
import EngageModel
import Foundation
import SWXMLHash

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads an IATI activity file (IATI Standard 2.x, `<iati-activities>`;
/// https://iatistandard.org/en/iati-standard/203/activity-standard/). Each `<iati-activity>`
/// becomes one activity, identified by its `<iati-identifier>`; the rules are in docs/importing.md.
public struct IATI {
    public var context: ImportContext

    public init(_ context: ImportContext) { self.context = context }

    /// IATI activity-status codes (https://iatistandard.org/en/iati-standard/203/codelists/activitystatus/).
    static let statuses: [String: (ActivityStatus, String)] = [
        "1": (.planned, "Pipeline/identification"), "2": (.inProgress, "Implementation"), "3": (.inProgress, "Finalisation"),
        "4": (.completed, "Closed"), "5": (.cancelled, "Cancelled"), "6": (.inProgress, "Suspended"),
    ]
    /// Participating-org roles taken as partners: implementing (4), then accountable (2).
    static let partnerRoles = ["4", "2"]

    public func read(_ file: Data) throws -> MappingReport {
        // IATI files have no document type declaration; one can define entities whose text the
        // parser drops, or that expand without bound. Refused before parsing, in whatever
        // encoding the file comes (the parser reads the UTF-8 checked here), as is a nesting
        // deeper than any IATI file's (the parsers recurse).
        let data = try XMLInput.checked(file)
        let xml = XMLHash.config { $0.detectParsingErrors = true }.parse(data)
        if case .parsingError = xml {
            // Foundation's parser says where (SWXMLHash does not keep the position).
            let parser = FoundationXML.XMLParser(data: data)
            _ = parser.parse()
            let why = parser.parserError.map { " (\(($0 as NSError).localizedDescription))" } ?? ""
            throw ImportError(
                "not well-formed XML at line \(parser.lineNumber), column \(parser.columnNumber)\(why); give an IATI activity file"
            )
        }
        let root = xml["iati-activities"]
        guard root.element != nil else {
            throw ImportError(
                "not an IATI activity file: its root element is not <iati-activities>; give an IATI 2.x activity file")
        }
        var report = MappingReport(format: "iati")
        for (i, activity) in root["iati-activity"].all.enumerated() { report.records.append(record(activity, number: i + 1)) }
        return report
    }

    /// The narrative in English when there is one (by `xml:lang`, else the activity's language),
    /// otherwise the first, with its language.
    static func narrative(_ element: XMLIndexer, defaultLanguage: String) -> (text: String, language: String)? {
        let all = element["narrative"].all.compactMap { n -> (String, String)? in
            guard let e = n.element else { return nil }
            let text = e.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : (text, e.attribute(by: "xml:lang")?.text.lowercased() ?? defaultLanguage)
        }
        return all.first { $0.1.hasPrefix("en") } ?? all.first
    }

    func record(_ a: XMLIndexer, number: Int) -> MappingReport.Record {
        let language = a.element?.attribute(by: "xml:lang")?.text.lowercased() ?? "en"
        let identifier = a["iati-identifier"].element?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var r = MappingReport.Record(source: "iati:\(identifier.isEmpty ? "activity-\(number)" : identifier)", rows: [number])
        guard !identifier.isEmpty else {
            r.skipped("record", "no <iati-identifier>")
            return r
        }
        guard let name = Self.narrative(a["title"], defaultLanguage: language) else {
            r.skipped("record", "no title")
            return r
        }
        let (title, shortened) = Guesses.title(name.text)
        if !name.language.hasPrefix("en") {
            r.mapped("title", "in '\(name.language)': the activity has no English title")
        } else if shortened {
            r.guessed("title", "shortened to \(TextRules.maxTitle) characters at a word; the whole title is in notes")
        } else {
            r.mapped("title", "<title>")
        }

        // Countries: every recipient country, the largest share first. IATI gives them on the
        // activity or, instead, on its transactions (then the share is how many name each).
        var shares: [(code: String, share: Double)] = []
        for c in a["recipient-country"].all {
            guard let code = c.element?.attribute(by: "code")?.text.uppercased(), !code.isEmpty,
                !shares.contains(where: { $0.code == code })
            else { continue }
            shares.append((code, Double(c.element?.attribute(by: "percentage")?.text ?? "") ?? 0))
        }
        let onTransactions = shares.isEmpty
        if onTransactions {
            var counts: [String: Double] = [:]
            var order: [String] = []
            for c in a["transaction"].all.flatMap({ $0["recipient-country"].all }) {
                guard let code = c.element?.attribute(by: "code")?.text else { continue }
                if counts[code] == nil { order.append(code) }
                counts[code, default: 0] += 1
            }
            shares = order.map { ($0, counts[$0]!) }
        }
        var countries: [(Country, Double)] = []
        for (code, share) in shares where !code.isEmpty {
            if let country = try? Country(code) {
                countries.append((country, share))
            } else {
                r.skipped("country", "recipient-country '\(code)' is not an ISO 3166-1 code")
            }
        }
        countries.sort { ($0.1, $1.0) > ($1.1, $0.0) }
        let regions = a["recipient-region"].all.compactMap { $0.element?.attribute(by: "code")?.text }.filter { !$0.isEmpty }
        guard let country = countries.first?.0 else {
            r.skipped(
                "record",
                regions.isEmpty
                    ? "no recipient country"
                    : "only a region (\(regions.joined(separator: ", "))), no country; Engage records countries")
            return r
        }
        let whose = onTransactions ? "the transactions' recipient country" : "the recipient country"
        r.mapped(
            "country",
            countries.count == 1
                ? "\(country.code), \(whose)"
                : "\(countries.map(\.0.code).joined(separator: ", ")) from \(whose): \(country.code) has the largest share, the others are otherCountries"
        )
        if !regions.isEmpty {
            r.skipped("country", "recipient-region \(regions.joined(separator: ", ")): Engage records countries, not regions")
        }

        // Dates: actual before planned (activity-date types 2 and 1 for the start, 4 and 3 for the end).
        var dates: [String: Day] = [:]
        for d in a["activity-date"].all {
            guard let type = d.element?.attribute(by: "type")?.text, let text = d.element?.attribute(by: "iso-date")?.text else {
                continue
            }
            if let day = try? Day(String(text.prefix(10))) {
                dates[type] = day
            } else {
                r.skipped(
                    ["1", "2"].contains(type) ? "startDate" : "endDate",
                    "activity-date type \(type) '\(text)' is not a date from 1900 to 2999 written YYYY-MM-DD")
            }
        }
        guard let startType = ["2", "1"].first(where: { dates[$0] != nil }), let start = dates[startType] else {
            r.skipped("record", "no start date (activity-date of type 1 or 2)")
            return r
        }
        r.mapped("startDate", "\(start), the \(startType == "2" ? "actual" : "planned") start")
        var end = ["4", "3"].lazy.compactMap { dates[$0] }.first
        if let e = end {
            if e < start {
                r.skipped("endDate", "\(e) is before the start \(start)")
                end = nil
            } else {
                r.mapped("endDate", "\(e), the \(dates["4"] != nil ? "actual" : "planned") end")
            }
        }

        let description = Self.narrative(a["description"], defaultLanguage: language)?.text ?? ""
        let (kind, kindWhy) = Guesses.kind(title, description)
        r.guessed("kind", kindWhy)
        let status: ActivityStatus
        let statusCode = a["activity-status"].element?.attribute(by: "code")?.text
        if let code = statusCode, let (s, label) = Self.statuses[code] {
            status = s
            r.mapped("status", "\(s.rawValue), from activity-status \(code) (\(label))")
        } else {
            let (s, why) = Guesses.status(start: start, end: end, today: context.today)
            status = s
            r.guessed(
                "status",
                why
                    + (statusCode.map { " (activity-status '\($0)' is not an IATI status code, 1 to 6)" }
                        ?? " (no activity-status)"))
        }
        var activity = Activity(
            id: UUID.nameBased(Data(r.source.utf8)), kind: kind, title: title, country: country,
            otherCountries: Set(countries.dropFirst().map(\.0)), post: context.post, startDate: start, endDate: end,
            status: status)

        // Partners: implementing organisations (else accountable ones), through the registry.
        let orgs = a["participating-org"].all
        for role in Self.partnerRoles {
            let named = orgs.filter { $0.element?.attribute(by: "role")?.text == role }
                .compactMap { Self.narrative($0, defaultLanguage: language)?.text ?? $0.element?.attribute(by: "ref")?.text }
            for orgName in named { context.addPartner(orgName, &activity, &r, role: " (role \(role))") }
            if !named.isEmpty { break }
        }
        let sectors = a["sector"].all.compactMap { Self.narrative($0, defaultLanguage: language)?.text }
        // The amount: the sum of the budgets in the activity's main currency.
        let currency = a.element?.attribute(by: "default-currency")?.text
        var sums: [String: Decimal] = [:]
        var counts: [String: Int] = [:]
        var order: [String] = []
        for (i, b) in a["budget"].all.enumerated() {
            let v = b["value"]
            let text = v.element?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard let value = Amount.decimal(text) else {
                r.skipped("amount", "budget \(i + 1): value '\(text)' is not a number written in plain digits")
                continue
            }
            guard let cur = (v.element?.attribute(by: "currency")?.text ?? currency)?.uppercased() else {
                r.skipped("amount", "budget \(i + 1): no currency (neither on the value nor the activity's default-currency)")
                continue
            }
            if sums[cur] == nil { order.append(cur) }
            sums[cur, default: 0] += value
            counts[cur, default: 0] += 1
        }
        // The currency most budgets use; on a tie, the activity's default currency, then the first given.
        let rank = { (c: String) in (counts[c]!, c == currency ? 1 : 0, -order.firstIndex(of: c)!) }
        let main = order.max { rank($0) < rank($1) }
        if let cur = main {
            do {
                let amount = try Amount(value: sums[cur]!, currency: cur)
                activity.amount = amount
                r.mapped("amount", "\(amount), the sum of \(counts[cur]!) budget\(counts[cur]! == 1 ? "" : "s")")
            } catch {
                r.skipped("amount", "the sum of \(counts[cur]!) budgets in \(cur): \(error.message)")
            }
            let others = sums.keys.filter { $0 != cur }.sorted()
            if !others.isEmpty {
                r.skipped("amount", "budgets in \(others.joined(separator: ", ")) left out: one amount has one currency")
            }
        }
        var notes: [String] = []
        if shortened { notes.append(name.text) }
        if !description.isEmpty { notes.append(description) }
        let publisher = Self.narrative(a["reporting-org"], defaultLanguage: language)?.text
        notes.append("IATI activity \(identifier)" + (publisher.map { ", published by \($0)" } ?? ""))
        r.mapped("notes", "description and source (identifier, publisher)")
        context.finish(&activity, &r, goalTexts: sectors + [title], from: "the sectors and title", title: name.text, notes: notes)
        return r
    }
}
