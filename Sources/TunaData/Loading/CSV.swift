import Foundation

/// How to read a CSV file.
public struct CSVOptions: Sendable, Hashable {
    /// The field separator (one byte).
    public var delimiter: UInt8
    /// Cell texts that mean "missing" (compared exactly, after the quotes are removed).
    public var missingMarkers: Set<String>
    /// Declared column kinds; undeclared columns are inferred from their values.
    public var columnTypes: [String: ColumnKind]
    /// Drop a leading column with an empty name (or pandas' `Unnamed: 0`): a saved row index.
    public var dropIndexColumn: Bool
    /// A column whose text cells are at most this fraction of its non-missing cells is taken
    /// for a numeric column with typos, and the first text cell is reported as an error rather
    /// than silently turning every number into a category. 0 turns the check off.
    public var strayTextLimit: Double

    public init(
        delimiter: UInt8 = UInt8(ascii: ","),
        missingMarkers: Set<String> = ["", "NA", "NaN", "?"],
        columnTypes: [String: ColumnKind] = [:],
        dropIndexColumn: Bool = true,
        strayTextLimit: Double = 0.05
    ) {
        self.delimiter = delimiter
        self.missingMarkers = missingMarkers
        self.columnTypes = columnTypes
        self.dropIndexColumn = dropIndexColumn
        self.strayTextLimit = strayTextLimit
    }
}

/// CSV files with a header line (RFC 4180: quoted fields may hold delimiters, newlines and
/// doubled quotes), parsed from bytes in one pass.
public enum CSV {
    /// Reads and parses the file at `path`.
    public static func load(path: String, options: CSVOptions = CSVOptions()) throws -> Table {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DataError("cannot read the file (\(error.localizedDescription))", file: path)
        }
        return try parse(data, source: path, options: options)
    }

    /// Parses CSV bytes; `source` names them in error messages.
    public static func parse(_ data: Data, source: String = "<csv>", options: CSVOptions = CSVOptions()) throws -> Table {
        try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), source: source, options: options)
        }
    }

    /// Parses CSV bytes; `source` names them in error messages.
    public static func parse(_ bytes: [UInt8], source: String = "<csv>", options: CSVOptions = CSVOptions()) throws -> Table {
        try bytes.withUnsafeBufferPointer { try parse($0, source: source, options: options) }
    }

    /// Parses CSV text (tests and small inline tables).
    public static func parse(string: String, source: String = "<csv>", options: CSVOptions = CSVOptions()) throws -> Table {
        try parse(Array(string.utf8), source: source, options: options)
    }

    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, source: String, options: CSVOptions) throws -> Table {
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            throw DataError("empty file: expected a header line naming the columns", file: source)
        }
        var reader = CSVReader(base, count: buffer.count, source: source, options: options)
        return try reader.read()
    }
}

/// The one-pass reader behind `CSV`.
///
/// Numbers are parsed straight from the input as fields are found (no intermediate strings),
/// into one row-major buffer, which is split into columns at the end. A column starts out
/// numeric; at its first text cell it switches to text, and its earlier cells are re-read from
/// the remembered row offsets, so the original spelling of every category is kept.
struct CSVReader {
    let p: UnsafePointer<UInt8>
    let n: Int
    let source: String
    let options: CSVOptions
    let delimiter: UInt8
    let missing: [[UInt8]]
    var pos = 0
    var line = 1
    /// Unescaped bytes of the last quoted field.
    var scratch: [UInt8] = []

    init(_ p: UnsafePointer<UInt8>, count: Int, source: String, options: CSVOptions) {
        self.p = p
        self.n = count
        self.source = source
        self.options = options
        self.delimiter = options.delimiter
        self.missing = options.missingMarkers.map { Array($0.utf8) }
    }

    func error(_ message: String, line: Int? = nil, column: Int? = nil) -> DataError {
        DataError(message, file: source, line: line, column: column)
    }

    @inline(__always) func isTerminator(_ i: Int) -> Bool {
        i >= n || p[i] == delimiter || p[i] == 10 || p[i] == 13
    }

    /// Reads one field at `pos`, leaving `pos` on the delimiter, the line end or the end of the
    /// input. Returns the field's byte range in the input, or nil when it was quoted (the
    /// unescaped bytes are then in `scratch`).
    mutating func readField(column: Int) throws -> Range<Int>? {
        guard pos < n, p[pos] == UInt8(ascii: "\"") else {
            let start = pos
            while !isTerminator(pos) { pos += 1 }
            return start..<pos
        }
        let startLine = line
        pos += 1
        scratch.removeAll(keepingCapacity: true)
        while true {
            guard pos < n else {
                throw error("quoted field never closed (it opens here)", line: startLine, column: column + 1)
            }
            let c = p[pos]
            if c == UInt8(ascii: "\"") {
                if pos + 1 < n && p[pos + 1] == UInt8(ascii: "\"") {
                    scratch.append(c)
                    pos += 2
                    continue
                }
                pos += 1
                break
            }
            if c == 10 { line += 1 }
            scratch.append(c)
            pos += 1
        }
        guard isTerminator(pos) else {
            let found = String(decoding: [p[pos]], as: UTF8.self)
            throw error("unexpected '\(found)' after a closing quote", line: line, column: column + 1)
        }
        return nil
    }

    /// The text of a field read by `readField`.
    func text(_ range: Range<Int>?) -> String {
        guard let range else { return String(decoding: scratch, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count), as: UTF8.self)
    }

    /// True when the field is one of the missing-value markers.
    func isMissing(_ range: Range<Int>?) -> Bool {
        if let range {
            let count = range.count
            return missing.contains { marker in
                marker.count == count && marker.withUnsafeBufferPointer { m in
                    (0..<count).allSatisfy { m[$0] == p[range.lowerBound + $0] }
                }
            }
        }
        return missing.contains(scratch)
    }

    /// The number a field holds (surrounding spaces allowed), or nil.
    func number(_ range: Range<Int>?) -> Double? {
        if let range {
            var start = range.lowerBound
            var end = range.upperBound
            while start < end && (p[start] == 32 || p[start] == 9) { start += 1 }
            while end > start && (p[end - 1] == 32 || p[end - 1] == 9) { end -= 1 }
            if start < end, let (value, next) = NumberParser.parse(p, from: start, to: end), next == end {
                return value
            }
        }
        return NumberParser.parse(text(range))
    }

    /// Consumes a line end at `pos` (LF, CRLF or CR).
    mutating func consumeLineEnd() {
        let c = p[pos]
        pos += 1
        if c == 13 && pos < n && p[pos] == 10 { pos += 1 }
        line += 1
    }

    mutating func readHeader() throws -> [String] {
        if n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }  // UTF-8 byte-order mark
        while pos < n && (p[pos] == 10 || p[pos] == 13) { consumeLineEnd() }
        guard pos < n else { throw error("empty file: expected a header line naming the columns") }
        var names: [String] = []
        while true {
            let field = try readField(column: names.count)
            names.append(text(field).trimmingCharacters(in: .whitespaces))
            if pos >= n { break }
            if p[pos] == delimiter { pos += 1; continue }
            consumeLineEnd()
            break
        }
        return names
    }

    /// The text of field `column` of the row starting at `offset` (used when a column turns out
    /// to hold text after some rows were read as numbers).
    mutating func refetch(rowAt offset: Int, line rowLine: Int, column: Int) throws -> String? {
        let saved = (pos, line)
        defer { (pos, line) = saved }
        pos = offset
        line = rowLine
        var field = try readField(column: 0)
        for k in 0..<column {
            pos += 1  // the delimiter
            field = try readField(column: k + 1)
        }
        return isMissing(field) ? nil : text(field)
    }

    mutating func read() throws -> Table {
        var names = try readHeader()
        let width = names.count
        var seen = Set<String>()
        for (k, name) in names.enumerated() {
            if name.isEmpty && k > 0 { names[k] = "Unnamed: \(k)" }
            if !seen.insert(names[k]).inserted {
                throw error("column name '\(names[k])' appears twice in the header", line: 1, column: k + 1)
            }
        }
        for declared in options.columnTypes.keys where !names.contains(declared) {
            throw error("a type is declared for column '\(declared)', which the header does not have", line: 1)
        }
        var isText = names.map { options.columnTypes[$0] == .categorical }
        var texts = [[String?]](repeating: [], count: width)
        var firstText = [(line: Int, text: String)?](repeating: nil, count: width)
        var flat = ValueBuffer()
        var rowStarts: [Int] = []
        var rowLines: [Int] = []
        var rows = 0

        while pos < n {
            if p[pos] == 10 || p[pos] == 13 { consumeLineEnd(); continue }  // blank lines are skipped
            let rowStart = pos
            let rowLine = line
            rowStarts.append(rowStart)
            rowLines.append(rowLine)
            var col = 0
            while true {
                guard col < width else {
                    throw error("this row has more fields than the header's \(width)", line: line, column: width + 1)
                }
                if !isText[col], pos < n, let (value, next) = NumberParser.parse(p, from: pos, to: n), isTerminator(next) {
                    flat.append(value)
                    pos = next
                } else {
                    let fieldLine = line
                    let field = try readField(column: col)
                    if isMissing(field) {
                        flat.append(.nan)
                        if isText[col] { texts[col].append(nil) }
                    } else if !isText[col], let value = number(field) {
                        flat.append(value)
                    } else if isText[col] {
                        flat.append(.nan)
                        texts[col].append(text(field))
                    } else {
                        let cell = text(field)
                        if options.columnTypes[names[col]] == .numeric {
                            throw error("text '\(cell)' in numeric column '\(names[col])'", line: fieldLine, column: col + 1)
                        }
                        isText[col] = true
                        firstText[col] = (fieldLine, cell)
                        var earlier: [String?] = []
                        earlier.reserveCapacity(rows + 1)
                        for r in 0..<rows {
                            earlier.append(try refetch(rowAt: rowStarts[r], line: rowLines[r], column: col))
                        }
                        earlier.append(cell)
                        texts[col] = earlier
                        flat.append(.nan)
                    }
                }
                col += 1
                if pos >= n { break }
                if p[pos] == delimiter { pos += 1; continue }
                consumeLineEnd()
                break
            }
            guard col == width else {
                throw error("this row has \(col) field\(col == 1 ? "" : "s"), the header has \(width)", line: rowLine, column: col + 1)
            }
            rows += 1
            if rows == 1 {
                // Size the value buffer once from the first row's length, not by repeated doubling.
                let estimate = (n - pos) / max(pos - rowStart, 1) + 16
                flat.reserve((estimate + estimate / 8) * width)
            }
        }
        guard rows > 0 else { throw error("the file has a header but no data rows", line: line) }
        return try assemble(names: names, isText: isText, texts: texts, firstText: firstText, flat: flat, rows: rows)
    }

    func assemble(
        names: [String], isText: [Bool], texts: [[String?]], firstText: [(line: Int, text: String)?],
        flat: borrowing ValueBuffer, rows: Int
    ) throws -> Table {
        let width = names.count
        // Split the row-major buffer in one sequential pass (one write stream per column):
        // striding through it once per column was 14% of loading time.
        let numericColumns = (0..<width).filter { !isText[$0] }
        var numeric = [[Double]](repeating: [], count: width)
        let buffers = numericColumns.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: max(rows, 1)) }
        defer { for buffer in buffers { buffer.deallocate() } }
        do {
            let base = flat.base
            for r in 0..<rows {
                let row = base + r * width
                for (j, c) in numericColumns.enumerated() { buffers[j][r] = row[c] }
            }
        }
        for (j, c) in numericColumns.enumerated() {
            numeric[c] = Array(UnsafeBufferPointer(start: buffers[j], count: rows))
        }
        var columns: [Column] = []
        columns.reserveCapacity(width)
        for c in 0..<width {
            if !isText[c] {
                columns.append(.numeric(numeric[c]))
                continue
            }
            if options.columnTypes[names[c]] == nil, let first = firstText[c] {
                let present = texts[c].compactMap { $0 }
                let numeric = present.reduce(0) { $0 + (NumberParser.parse($1) != nil ? 1 : 0) }
                let textual = present.count - numeric
                if numeric > 0 && Double(textual) <= options.strayTextLimit * Double(present.count) {
                    throw error(
                        "text '\(first.text)' in numeric column '\(names[c])' (\(numeric) of \(present.count) values are numbers; declare the column categorical if it is one)",
                        line: first.line, column: c + 1)
                }
            }
            columns.append(.categorical(texts[c]))
        }
        var finalNames = names
        if options.dropIndexColumn, let first = names.first, first.isEmpty || first == "Unnamed: 0" {
            finalNames.removeFirst()
            columns.removeFirst()
        }
        return try Table(names: finalNames, columns: columns, source: source)
    }
}

/// The row-major value buffer of `CSVReader`: an append-only Double buffer without Array's
/// per-append uniqueness and capacity bookkeeping (the loader's hot loop appends once per cell).
struct ValueBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Double>
    private(set) var count = 0
    private var capacity: Int

    init() {
        capacity = 1024
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `minimum` values in total.
    mutating func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        let bigger = UnsafeMutablePointer<Double>.allocate(capacity: minimum)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = minimum
    }

    @inline(__always)
    mutating func append(_ value: Double) {
        if count == capacity { reserve(capacity * 2) }
        base[count] = value
        count += 1
    }
}
