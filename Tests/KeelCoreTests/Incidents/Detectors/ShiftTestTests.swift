import Testing

@testable import KeelCore

/// The tails the degradation tests turn scores into p-values with, and the log histogram they
/// compare distributions on.
@Suite("Shift tests and log histograms")
struct ShiftTestTests {
    @Test func normalAndKolmogorovTailsMatchTables() {
        #expect(abs(ShiftTest.normalUpperTail(0) - 0.5) < 1e-7)
        #expect(abs(ShiftTest.normalUpperTail(1.959_964) - 0.025) < 1e-7)
        #expect(abs(ShiftTest.normalUpperTail(-1.644_854) - 0.95) < 1e-7)
        #expect(abs(ShiftTest.normalUpperTail(4.753_424) / 1e-6 - 1) < 1e-3)
        #expect(abs(ShiftTest.kolmogorovUpperTail(1.358_1) - 0.05) < 1e-4)
        #expect(abs(ShiftTest.kolmogorovUpperTail(1.627_6) - 0.01) < 1e-4)
        #expect(ShiftTest.kolmogorovUpperTail(0.1) == 1)
    }

    @Test func logHistogramBinsQuantilesAndDistances() {
        var histogram = LogHistogram(lowestExponent: 0, octaves: 10)
        #expect(histogram.bin(for: 0) == 0)
        #expect(histogram.bin(for: 1) == 1)
        #expect(histogram.bin(for: 1.19) == 2)
        #expect(histogram.bin(for: 2) == 5)
        #expect(histogram.bin(for: 5000) == histogram.binCount - 1)
        for value in 1...1000 { histogram.add(bin: histogram.bin(for: Double(value))) }
        let median = histogram.quantile(0.5) ?? 0
        #expect(abs(median - 500) < 30)
        #expect(abs(histogram.fractionAbove(500) - 0.5) < 0.03)
        var shifted = LogHistogram(lowestExponent: 0, octaves: 10)
        for value in 1...1000 { shifted.add(bin: shifted.bin(for: Double(value) / 4)) }
        #expect(histogram.maximumDistance(to: histogram) == 0)
        #expect(histogram.maximumDistance(to: shifted) > 0.7)
    }
}
