import ArgumentParser
import EngageModel
import Foundation

// Everything `engage` writes for people goes through `say`, `warn` or `Table`: a title, a
// partner's or a device's name, a server's message may hold an escape sequence, a carriage
// return or a bidirectional override (from an older version, another device, an attacker), and
// a terminal would obey it — erase the screen, set the window title, reorder a line. Each
// control character is shown as its code instead (`TextRules.displayable`). `--json` output is
// escaped by `printJSON`.

/// Writes `text` on standard output for people, its control characters made visible (line
/// feeds and tabs kept).
func say(_ text: String, terminator: String = "\n") {
    print(TextRules.displayable(text, keepingLines: true), terminator: terminator)
}

/// Prints to standard error (warnings; errors go through `Engage.main`), controls made visible.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(TextRules.displayable(message, keepingLines: true))\n".utf8))
}

/// Stable JSON: sorted keys, pretty printed; the control characters a JSON encoder leaves raw
/// (DEL, C1, bidirectional controls) written as `\u` escapes.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(TextRules.displayableJSON(String(decoding: try encoder.encode(value), as: UTF8.self)))
}

/// Aligned plain-text tables; every cell is shown on one line, its controls made visible.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map { TextRules.displayable($0) } }
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension Engage {
    /// Reports an error the way ArgumentParser does (message on standard error, help on
    /// standard output, its exit code), with the message's control characters made visible: a
    /// server's message or a file name is data too.
    static func exitShowing(_ error: any Error) -> Never {
        let message = TextRules.displayable(fullMessage(for: error), keepingLines: true)
        let code = exitCode(for: error)
        if !message.isEmpty {
            if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        }
        Foundation.exit(code.rawValue)
    }
}
