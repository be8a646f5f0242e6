import Foundation

/// This program's own file, for starting worker processes from the same build.
enum OwnExecutable {
    /// Foundation knows the running executable on Linux and macOS alike; when it cannot tell,
    /// `argv[0]` is resolved the way the shell found it (a path, else the first match on PATH).
    static func url() throws -> URL {
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath() }
        let name = CommandLine.arguments.first ?? "tuna"
        if name.contains("/") {
            return URL(fileURLWithPath: name, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
                .standardizedFileURL.resolvingSymlinksInPath()
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.resolvingSymlinksInPath() }
        }
        throw ValidationErrorText("cannot find this program's own file to start workers from (argv[0] is '\(name)')")
    }
}
