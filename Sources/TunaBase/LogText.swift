/// Text from a peer made safe for a log line: control characters (terminal escapes, newlines,
/// NUL) are shown as `\u{…}` escapes and long text is cut, so a message cannot forge log lines
/// or drive the terminal that reads them.
public func logSafe(_ text: some StringProtocol, limit: Int = 200) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count >= limit {
            out += "…"
            break
        }
        count += 1
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A peer's routing identity for a log line: as text when it is printable ASCII, else in hex.
public func logSafe(identity: [UInt8]) -> String {
    if !identity.isEmpty, identity.count <= 64, identity.allSatisfy({ (0x21...0x7e).contains($0) }) {
        return String(decoding: identity, as: UTF8.self)
    }
    return "0x" + identity.prefix(32).map { byte in
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }.joined() + (identity.count > 32 ? "…" : "")
}
