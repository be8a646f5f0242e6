/// POSIX shell quoting.
public enum Shell {
    /// One word for `sh`, whatever it holds: single quotes keep everything literal, and a single
    /// quote inside is closed, escaped and reopened.
    public static func quote(_ word: String) -> String {
        "'" + word.replacingAll("'", with: "'\\''") + "'"
    }
}

extension String {
    /// Without Foundation, which this target does not need otherwise.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
