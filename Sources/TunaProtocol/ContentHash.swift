import Crypto
import Foundation

/// The SHA-256 of `data` as lowercase hex: how studies and data sets are identified by content.
public func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
