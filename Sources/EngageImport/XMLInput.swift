import Foundation

/// What an XML file must be before a parser sees it: UTF-8 without a document type declaration,
/// elements nested no deeper than `maxDepth`. The checks read the bytes the parser will read —
/// a file in UTF-16 or UTF-32 is converted first (else `<!DOCTYPE` in two-byte characters
/// passed a byte search and reached the parser), and the nesting is counted without recursion
/// (a file nested 40,000 deep overflowed the parsers' and the tree's stacks).
enum XMLInput {
    /// IATI activity files nest about seven deep; a hundred leaves room for any extension.
    static let maxDepth = 100

    /// `data` as UTF-8 that holds no document type declaration and nests at most `maxDepth`.
    static func checked(_ data: Data) throws -> Data {
        let utf8 = try utf8(data)
        // Markup is ASCII in UTF-8: these bytes are the declarations themselves, wherever they stand.
        if utf8.range(of: Data("<!DOCTYPE".utf8)) != nil || utf8.range(of: Data("<!ENTITY".utf8)) != nil {
            throw ImportError("has a document type declaration (<!DOCTYPE or <!ENTITY); IATI activity files have none: remove it")
        }
        let depth = try nesting(utf8)
        if depth > maxDepth {
            throw ImportError(
                "nests elements more than \(maxDepth) deep; an IATI activity file nests about 7: give an IATI activity file")
        }
        return utf8
    }

    /// The document in UTF-8, its XML declaration saying so. The encoding is found as XML 1.0
    /// Appendix F says: a byte order mark, else the first characters' zero bytes, else the
    /// declaration's `encoding`. Encodings other than Unicode and Latin-1 are refused.
    static func utf8(_ data: Data) throws -> Data {
        let b = [UInt8](data.prefix(4))
        func starts(_ p: [UInt8]) -> Bool { b.count >= p.count && Array(b.prefix(p.count)) == p }
        let unicode: String.Encoding? =
            if starts([0x00, 0x00, 0xFE, 0xFF]) || starts([0x00, 0x00, 0x00, 0x3C]) {
                .utf32BigEndian
            } else if starts([0xFF, 0xFE, 0x00, 0x00]) || starts([0x3C, 0x00, 0x00, 0x00]) {
                .utf32LittleEndian
            } else if starts([0xFE, 0xFF]) || starts([0x00, 0x3C]) {
                .utf16BigEndian
            } else if starts([0xFF, 0xFE]) || starts([0x3C, 0x00]) { .utf16LittleEndian } else { nil }
        var text: String
        if let unicode {
            guard let decoded = String(data: data, encoding: unicode) else {
                throw ImportError(
                    "is not valid \(unicode == .utf16BigEndian || unicode == .utf16LittleEndian ? "UTF-16" : "UTF-32") text; save it as UTF-8"
                )
            }
            text = decoded
        } else {
            let name = declaredEncoding(data)
            let declared = name?.lowercased()
            switch declared {
            case nil, "utf-8", "utf8", "us-ascii", "ascii":
                guard let decoded = String(data: data, encoding: .utf8) else {
                    throw ImportError("is not valid UTF-8 text; save it as UTF-8")
                }
                text = decoded
            case "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252":
                guard let decoded = String(data: data, encoding: declared!.contains("1252") ? .windowsCP1252 : .isoLatin1) else {
                    throw ImportError("is not valid \(declared!) text; save it as UTF-8")
                }
                text = decoded
            case .some:
                throw ImportError("declares the encoding '\(name!.prefix(40))', which Engage does not read; save it as UTF-8")
            }
        }
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        // The declaration, if any, now says UTF-8 (its other attributes as they were).
        if text.hasPrefix("<?xml"), let end = text.range(of: "?>") {
            let declaration = String(text[..<end.lowerBound])
            let rewritten = declaration.replacingOccurrences(
                of: #"encoding\s*=\s*("[^"]*"|'[^']*')"#, with: #"encoding="UTF-8""#, options: .regularExpression)
            text = rewritten + text[end.lowerBound...]
        }
        return Data(text.utf8)
    }

    /// The `encoding` of an ASCII-compatible document's XML declaration.
    static func declaredEncoding(_ data: Data) -> String? {
        let head = String(decoding: data.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml"), let end = head.range(of: "?>") else { return nil }
        let declaration = head[..<end.lowerBound]
        guard let match = declaration.range(of: #"encoding\s*=\s*("[^"]*"|'[^']*')"#, options: .regularExpression) else {
            return nil
        }
        let value = declaration[match].drop { $0 != "\"" && $0 != "'" }
        return String(value.dropFirst().dropLast())
    }

    /// The deepest nesting of elements, counted in one pass over the bytes: start tags (their
    /// quoted attribute values skipped) open, end tags close; comments, CDATA sections and
    /// processing instructions are passed over. Stops counting once past `maxDepth`.
    static func nesting(_ data: Data) throws -> Int {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Int in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.count
            var i = 0
            var depth = 0
            var deepest = 0
            func at(_ j: Int, _ s: StaticString) -> Bool {
                let len = s.utf8CodeUnitCount
                guard j + len <= n else { return false }
                for k in 0..<len where b[j + k] != s.utf8Start[k] { return false }
                return true
            }
            func skip(past s: StaticString, from j: Int) -> Int {
                var k = j
                while k < n, !at(k, s) { k += 1 }
                return min(n, k + s.utf8CodeUnitCount)
            }
            while i < n {
                guard b[i] == UInt8(ascii: "<") else {
                    i += 1
                    continue
                }
                if at(i, "<!--") {
                    i = skip(past: "-->", from: i + 4)
                    continue
                }
                if at(i, "<![CDATA[") {
                    i = skip(past: "]]>", from: i + 9)
                    continue
                }
                if at(i, "<?") {
                    i = skip(past: "?>", from: i + 2)
                    continue
                }
                if at(i, "</") {
                    depth -= 1
                    i = skip(past: ">", from: i + 2)
                    continue
                }
                if at(i, "<!") {
                    i = skip(past: ">", from: i + 2)
                    continue
                }
                var j = i + 1
                var quote: UInt8 = 0
                while j < n {
                    let c = b[j]
                    if quote != 0 {
                        if c == quote { quote = 0 }
                    } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                        quote = c
                    } else if c == UInt8(ascii: ">") {
                        break
                    }
                    j += 1
                }
                if j < n, b[j - 1] != UInt8(ascii: "/") {
                    depth += 1
                    deepest = max(deepest, depth)
                    if deepest > maxDepth { return deepest }
                }
                i = j + 1
            }
            return deepest
        }
    }
}
