import EngageImport
import EngageModel
import EngageStorage
import EngageStore
import Foundation
import Testing

/// Issue 22, kind 10 (and kind 6 on import): files built to hurt the importers are refused with
/// a clear error, and names and titles come in on one line without controls.
@Suite struct HostileImportTests {
    static let today = try! Day("2026-11-29")

    static func iati(_ data: Data) throws -> MappingReport {
        try ImportFormat.iati.read(data, post: "LIMA", registry: PartnerRegistry(try DeviceStore.bundledPartners()), today: today)
    }

    static let oneActivity = """
        <?xml version="1.0" encoding="UTF-8"?>
        <iati-activities version="2.03"><iati-activity><iati-identifier>XI-1</iati-identifier>\
        <title><narrative>Border course</narrative></title><recipient-country code="PE"/>\
        <activity-date type="2" iso-date="2025-01-10"/></iati-activity></iati-activities>
        """

    static func refusal(_ data: Data) -> String? {
        do {
            _ = try iati(data)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aFileNestedFortyThousandDeepIsRefusedNotCrashedOn() {
        let deep =
            "<iati-activities>" + String(repeating: "<a>", count: 40_000) + String(repeating: "</a>", count: 40_000)
            + "</iati-activities>"
        let why = Self.refusal(Data(deep.utf8))
        #expect(why?.contains("deep") == true, "\(why ?? "accepted")")
        // Attributes holding '>' and self-closing elements do not count as nesting.
        let wide =
            "<iati-activities>" + String(repeating: "<b x=\"a>b\"/><c>text</c><!-- <d> --><![CDATA[<e>]]>", count: 500)
            + "</iati-activities>"
        #expect(Self.refusal(Data(wide.utf8)) == nil)
    }

    static let doctype =
        "<?xml version=\"1.0\"?><!DOCTYPE iati-activities [<!ENTITY x \"EVIL\">]><iati-activities>&x;</iati-activities>"

    @Test(arguments: [String.Encoding.utf16LittleEndian, .utf16BigEndian, .utf16, .utf32LittleEndian, .utf32BigEndian])
    func theDocumentTypeGuardHoldsInEveryEncoding(_ encoding: String.Encoding) throws {
        let data = try #require(Self.doctype.data(using: encoding))
        let why = Self.refusal(data)
        #expect(why?.contains("document type declaration") == true, "\(encoding): \(why ?? "accepted")")
        // The same file without the declaration imports in that encoding.
        let plain = Self.oneActivity.replacingOccurrences(of: "UTF-8", with: encoding == .utf16 ? "UTF-16" : "UTF-8")
        let report = try Self.iati(try #require(plain.data(using: encoding)))
        #expect(report.activities.map(\.title) == ["Border course"], "\(encoding)")
    }

    @Test func anEncodingEngageDoesNotReadIsRefusedSayingSo() {
        let ebcdic = Self.oneActivity.replacingOccurrences(of: "UTF-8", with: "IBM037")
        #expect(Self.refusal(Data(ebcdic.utf8))?.contains("IBM037") == true)
        let latin1 = Self.oneActivity.replacingOccurrences(of: "UTF-8", with: "ISO-8859-1").replacingOccurrences(
            of: "Border", with: "Frontière")
        #expect((try? Self.iati(try #require(latin1.data(using: .isoLatin1))))?.activities.first?.title == "Frontière course")
    }

    @Test func titlesAndPartnerNamesComeInOnOneLineWithoutControls() throws {
        let file = Self.oneActivity.replacingOccurrences(
            of: "<narrative>Border course</narrative>", with: "<narrative>Border\r\ncourse \u{202E}gpj.exe\u{202C}</narrative>"
        ).replacingOccurrences(
            of: "</iati-activity>",
            with:
                "<participating-org role=\"4\"><narrative>Evil\u{2067} Agency\u{9B}\tLtd</narrative></participating-org></iati-activity>"
        )
        let activity = try #require(try Self.iati(Data(file.utf8)).activities.first)
        #expect(activity.title == "Border course gpj.exe")
        #expect(activity.partners == ["Evil Agency Ltd"])
        try activity.validate()
    }
}
