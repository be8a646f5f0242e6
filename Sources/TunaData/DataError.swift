import Foundation

/// A problem with the user's data, located as precisely as the input allows.
///
/// Every loader, pipeline step and splitter throws this instead of trapping: a bad file from a
/// user must end a trial with a message they can act on ("penguins.csv:12:3: ..."), never crash
/// the worker that happened to read it.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in, when there is one.
    public var file: String?
    /// The 1-based physical line in the file.
    public var line: Int?
    /// The 1-based field (column) number on that line.
    public var column: Int?
    /// What is wrong, phrased for the person who wrote the file.
    public var message: String

    public init(_ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column: message`, leaving out the parts that are unknown (compilers' format, so
    /// editors and terminals can jump to the spot).
    public var description: String {
        var location = ""
        if let file { location = file }
        if let line {
            location += (location.isEmpty ? "line " : ":") + String(line)
            if let column { location += ":" + String(column) }
        }
        return location.isEmpty ? message : location + ": " + message
    }
}

extension DataError: LocalizedError {
    /// The located message, so `error.localizedDescription` shows the file and line too.
    public var errorDescription: String? { description }
}
