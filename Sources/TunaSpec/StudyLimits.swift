import Foundation

/// Bounds on what a study file may ask for. A daemon accepts study text from the network, so
/// a study is untrusted input: each bound is checked before the work it guards, and its error
/// names the bound, so that no study can crash, hang or exhaust the memory of the process that
/// reads it, and a person who hits one knows which one.
public enum StudyLimits {
    /// Bytes of study text. Real studies are a few kilobytes; the bound keeps parsing cheap.
    public static let maxTextBytes = 1 << 20
    /// YAML nodes in a study (after parsing), so that walking and converting the tree stays cheap.
    public static let maxNodes = 100_000
    /// Nesting depth of mappings and sequences. libyaml stops at 1000; the tree is walked
    /// recursively on threads whose stacks may be small, and no study needs more than a dozen.
    public static let maxDepth = 64
    /// Copies made by one `repeat:` (a layer or a block of layers).
    public static let maxRepeat = 64
    /// The magnitude of an integer parameter's bounds: 2^53, where Double (the samplers'
    /// arithmetic) still holds every integer exactly and converting to Int cannot trap.
    public static let maxIntegerMagnitude = 9_007_199_254_740_992.0
    /// One extent of `input_shape`.
    public static let maxInputExtent = 1 << 24
    /// Numbers in one example (the product of `input_shape`): a 4096 × 4096 image.
    public static let maxInputElements = 1 << 24
    /// Weights of the largest network a study can describe.
    public static let maxParameters = 50_000_000
    /// Bytes of layer outputs and their gradients for one batch of the largest network.
    public static let maxActivationBytes = 2 << 30
    /// Training epochs and batch size.
    public static let maxEpochs = 100_000
    public static let maxBatchSize = 1 << 20
    /// Folds of cross-validation.
    public static let maxFolds = 1000
    /// Trials of a study; more than any search can use, but far from Int's edge.
    public static let maxTrials = 10_000_000
    /// Grid points per float parameter; the grid's size is their product.
    public static let maxGridPoints = 10_000
    /// Column names in one `data.drop` list or `data.columns` mapping: more than any table a
    /// study trains on has, and a bound on the loader's per-column bookkeeping.
    public static let maxColumnNames = 10_000
    /// `data.na_values` entries and the bytes of each: the CSV loader compares every text cell
    /// with every marker, so the list stays short.
    public static let maxMissingMarkers = 64
    public static let maxMissingMarkerBytes = 64
    /// Seconds: a command's time limit and a study's time budget (a year).
    public static let maxSeconds = 365.0 * 24 * 3600

    /// Refuses text larger than `maxTextBytes`.
    static func checkSize(byteCount: Int, file: String) throws {
        guard byteCount <= maxTextBytes else {
            throw SpecError(
                "the study file is \(byteCount) bytes; the limit is \(maxTextBytes) bytes (1 MiB)", at: nil, file: file)
        }
    }

    /// Refuses YAML aliases before the text reaches the YAML library.
    ///
    /// Yams' composer returns an alias as the anchored node itself, so a "billion laughs" file
    /// of a few hundred bytes becomes a tree of billions of nodes as soon as anything walks it,
    /// and Yams hashes mapping keys when it checks for duplicates — an alias used as a key would
    /// be walked inside the library, before any bound of ours applies. Study files have no use
    /// for aliases, so they are refused here: an alias needs an anchor of the same name, and both
    /// are looked for in the raw text (libyaml's names are letters, digits, '-' and '_'). The scan
    /// ignores quoting, so it can only over-report (a quoted "&x" and "*x"), never miss one.
    static func checkAliases(_ text: String, file: String) throws {
        let bytes = Array(text.utf8)
        var anchors: Set<ArraySlice<UInt8>> = []
        var line = 1, column = 1
        var index = 0
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
                index += 1
                continue
            }
            if byte == 0x26 || byte == 0x2A {  // '&' or '*'
                var end = index + 1
                while end < bytes.count && isNameByte(bytes[end]) { end += 1 }
                if end > index + 1 {
                    let name = bytes[(index + 1)..<end]
                    if byte == 0x26 {
                        anchors.insert(name)
                    } else if anchors.contains(name) {
                        throw SpecError(
                            "YAML aliases ('*\(String(decoding: name, as: UTF8.self))') are not allowed in study files: an alias can make a small file expand without bound; write the value out",
                            at: SourceLocation(file: file, line: line, column: column), file: file)
                    }
                }
                column += end - index
                index = end
                continue
            }
            // Columns count characters, as libyaml's marks do: UTF-8 continuation bytes add none.
            if byte & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
    }
}
