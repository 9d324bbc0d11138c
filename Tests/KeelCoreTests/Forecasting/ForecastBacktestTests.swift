import Foundation
import KeelCore
import Testing

/// The forecaster's accuracy on 200 synthetic 60-day series: fit on days 1–46, forecast days 47–60.
///
/// `swift test --filter ForecastBacktestTests` prints the table; the figures are in the test's output.
@Suite("Spend forecasting backtest")
struct ForecastBacktestTests {
    private static let seeds: ClosedRange<UInt64> = 1...200

    @Test func meanMAPEOverTheLastFourteenDaysIsAtMostTwelvePercentWithCalibratedIntervals() {
        let summary = ForecastBacktest().run(SpendForecaster(), seeds: Self.seeds)
        print(Self.row("default (loss over last 28 days, level-step search)", summary))
        #expect(summary.seriesCount == 200)
        #expect(summary.meanMAPE <= 12)
        #expect((0.65...0.95).contains(summary.dailyCoverage))
        #expect((0.6...0.95).contains(summary.totalCoverage))
    }

    /// The choices behind the defaults, on the same series.
    @Test func printsTheVariantsTheDefaultsWereChosenFrom() {
        let backtest = ForecastBacktest()
        let variants: [(String, SpendForecaster.Configuration)] = [
            ("loss over all days", .init(lossWindow: nil)),
            ("no level-step search", .init(levelShiftDetection: nil)),
            ("undamped trend allowed (φ ≤ 1)", .init(damping: 0.8...1.0)),
        ]
        let baseline = backtest.run(SpendForecaster(), seeds: Self.seeds)
        for (name, configuration) in variants {
            let summary = backtest.run(SpendForecaster(configuration: configuration), seeds: Self.seeds)
            print(Self.row(name, summary))
            #expect(summary.meanMAPE >= baseline.meanMAPE, "the default should be the most accurate: \(name)")
        }
        let subsets: [(String, (SyntheticSpendSeries) -> Bool)] = [
            ("series without a level step", { $0.levelShift == nil }),
            ("step inside the fit days", { ($0.levelShift?.day ?? 60) < 46 }),
            ("step inside the forecast days", { ($0.levelShift?.day ?? 0) >= 46 }),
        ]
        for (name, filter) in subsets {
            print(Self.row("default, " + name, backtest.run(SpendForecaster(), seeds: Self.seeds, filter: filter)))
        }
    }

    private static func row(_ name: String, _ summary: ForecastBacktest.Summary) -> String {
        String(
            format:
                "backtest | %@ | series %d | MAPE mean %.2f %% median %.2f %% p90 %.2f %% "
                + "| 80 %% interval coverage: days %.1f %%, 14-day totals %.1f %%",
            name,
            summary.seriesCount,
            summary.meanMAPE,
            summary.medianMAPE,
            summary.p90MAPE,
            100 * summary.dailyCoverage,
            100 * summary.totalCoverage
        )
    }
}
