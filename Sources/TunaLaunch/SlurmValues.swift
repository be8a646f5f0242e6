/// The checks behind `SlurmJob`. `#SBATCH` lines are parsed by sbatch, which has quoting and
/// comment rules of its own (`#` ends a value, quotes are stripped), so directive values are
/// held to plain characters instead of being quoted: nothing the user types can change what a
/// line means, end it early or start another.
enum SlurmValues {
    static let letters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Set("0123456789")
    static let nameCharacters = letters.union(digits).union("_.-")
    /// File names with Slurm's `%A`/`%a`/`%j` patterns; no space, quote, `#`, `$` or backslash.
    static let pathCharacters = nameCharacters.union("/%+=@:,")
    static let optionValueCharacters = pathCharacters.union("[]")

    /// `tcp://HOST:PORT` with a host name, an IPv4 address or a bracketed IPv6 address.
    static func checkEndpoint(_ endpoint: String) throws {
        let field = "--to"
        let usage = "takes the daemon's address as the compute nodes reach it, tcp://HOST:PORT (e.g. tcp://login1:5555), got '\(printable(endpoint))'"
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"), colon > endpoint.index(endpoint.startIndex, offsetBy: 5) else {
            throw SlurmJobError(field: field, usage)
        }
        let host = endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon]
        let port = endpoint[endpoint.index(after: colon)...]
        guard !port.isEmpty, port.count <= 5, port.allSatisfy(digits.contains), let number = Int(port), (1...65535).contains(number) else {
            throw SlurmJobError(field: field, "the port must be a number from 1 to 65535; \(usage)")
        }
        let plainHost = !host.isEmpty && host.count <= 253 && host.first != "-" && host.allSatisfy(letters.union(digits).union(".-").contains)
        let bracketedIPv6 = host.count > 2 && host.first == "[" && host.last == "]"
            && host.dropFirst().dropLast().allSatisfy(digits.union("abcdefABCDEF:.").contains)
        guard plainHost || bracketedIPv6 else {
            throw SlurmJobError(field: field, "the host must be a name or an address (no wildcard: workers connect to it); \(usage)")
        }
    }

    /// An absolute path, written single-quoted into the script; control characters (a newline
    /// above all) are refused rather than carried.
    static func checkPath(_ path: String, field: String) throws {
        guard path.hasPrefix("/"), path.count <= 4096 else {
            throw SlurmJobError(field: field, "must be an absolute path of at most 4096 characters, got '\(printable(path))'")
        }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SlurmJobError(field: field, "contains a control character (a newline?): '\(printable(path))'")
        }
    }

    /// A job name, partition (list) or account: letters, digits, `_ . -`.
    static func checkName(_ value: String, field: String, allowing extra: String = "") throws {
        let allowed = nameCharacters.union(extra)
        guard !value.isEmpty, value.count <= 128, value.first != "-", value.allSatisfy(allowed.contains) else {
            throw SlurmJobError(field: field, "must be 1 to 128 of letters, digits and \(describe("_.-" + extra)), not starting with '-', got '\(printable(value))'")
        }
    }

    /// Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED.
    static func checkTime(_ value: String) throws {
        if ["UNLIMITED", "INFINITE"].contains(value.uppercased()) { return }
        var rest = Substring(value)
        if let dash = rest.firstIndex(of: "-") {
            let days = rest[..<dash]
            guard !days.isEmpty, days.count <= 5, days.allSatisfy(digits.contains) else { throw timeError(value) }
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(digits.contains) }) else {
            throw timeError(value)
        }
    }

    static func timeError(_ value: String) -> SlurmJobError {
        SlurmJobError(field: "--time", "takes minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED, got '\(printable(value))'")
    }

    /// A size in megabytes, or with a K, M, G or T suffix.
    static func checkMemory(_ value: String) throws {
        var number = Substring(value)
        if let last = number.last, "KMGTkmgt".contains(last) { number = number.dropLast() }
        guard !number.isEmpty, number.count <= 12, number.allSatisfy(digits.contains) else {
            throw SlurmJobError(field: "--mem", "takes a size such as 4000 (megabytes), 500M or 8G, got '\(printable(value))'")
        }
    }

    /// Where Slurm writes each task's output, with its `%A` (job) and `%a` (task) patterns.
    static func checkOutput(_ value: String) throws {
        guard !value.isEmpty, value.count <= 4096, value.first != "-", value.allSatisfy(pathCharacters.contains) else {
            throw SlurmJobError(field: "--output", "must be a file name of letters, digits and \(describe("_.-/%+=@:,")) (such as logs/tuna-%A_%a.out), got '\(printable(value))'")
        }
    }

    /// Options this command writes itself; given again as an extra line they would contradict it.
    static let ownOptions: [String: String] = [
        "array": "use --workers", "ntasks": "each array task is one task", "cpus-per-task": "use --cpus-per-task",
        "job-name": "use --job-name", "partition": "use --partition", "time": "use --time", "mem": "use --mem",
        "account": "use --account", "output": "use --output",
    ]

    /// An extra `#SBATCH` line: `--name` or `--name=value`, long form only.
    static func checkExtraOption(_ option: String) throws {
        let field = "--sbatch-option"
        guard option.hasPrefix("--"), option.count <= 512 else {
            throw SlurmJobError(field: field, "takes a long sbatch option such as --qos=long or --exclusive, got '\(printable(option))'")
        }
        let body = option.dropFirst(2)
        let name = body.prefix { $0 != "=" }
        guard let first = name.first, letters.contains(first), name.allSatisfy(letters.union(digits).union("-").contains) else {
            throw SlurmJobError(field: field, "'\(printable(option))' does not start with an option name (--letters-and-dashes)")
        }
        // sbatch accepts any unambiguous abbreviation, so "--arr" means --array too.
        if let owner = ownOptions.first(where: { $0.key == name || (name.count >= 3 && $0.key.hasPrefix(name)) }) {
            throw SlurmJobError(field: field, "'\(printable(option))' is set by this command: \(owner.value)")
        }
        if name.count < body.count {
            let value = body.dropFirst(name.count + 1)
            guard !value.isEmpty, value.allSatisfy(optionValueCharacters.contains) else {
                throw SlurmJobError(field: field, "the value of '\(printable(option))' may hold only letters, digits and \(describe("_.-/%+=@:,[]")) (no spaces, quotes or shell characters)")
            }
        }
    }

    /// The value as it can be shown in one line of an error message.
    static func printable(_ value: String) -> String {
        var text = ""
        for scalar in value.unicodeScalars.prefix(200) {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return value.unicodeScalars.count > 200 ? text + "…" : text
    }

    static func describe(_ characters: String) -> String {
        characters.map { "'\($0)'" }.joined(separator: " ")
    }
}
