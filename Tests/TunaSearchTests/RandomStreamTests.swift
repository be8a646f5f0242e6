import Testing
import TunaRandom

/// The samplers' suggestions for a seed depend on these exact streams (the network engine's
/// too): the values were computed from the xoshiro256** and SplitMix64 reference definitions.
@Suite struct RandomStreamTests {
    @Test func seedsGiveTheReferenceStreams() {
        var plain = SeededGenerator(seed: 42)
        #expect((0..<3).map { _ in plain.next() } == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        var stream = SeededGenerator(seed: 7, stream: 3)
        #expect((0..<3).map { _ in stream.next() } == [0xB244_BD51_2678_D8E7, 0xEFE2_094C_7D65_0161, 0x1672_FE16_CD62_1EDD])
    }
}
