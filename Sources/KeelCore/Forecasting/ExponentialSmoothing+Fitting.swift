extension ExponentialSmoothing {
    /// A model fitted to a series: its parameters, its state after the last day, and the variance of its
    /// one-step errors.
    struct Fit: Sendable {
        var model: ExponentialSmoothing
        var finalState: State
        /// Unbiased estimate of σ², the variance of one-step errors, over the loss window.
        var residualVariance: Double
        /// Estimate of the variance of one-step errors relative to the one-step forecast, when enough days
        /// are forecast clearly above zero: spend noise grows with the level, so intervals scale with it.
        var relativeResidualVariance: Double?
        /// The sum of squared one-step errors over the loss window.
        var loss: Double
        /// How many days the loss covers.
        var lossDays: Int
    }

    /// Where the parameter search may go.
    struct SearchSpace: Sendable {
        var damping: ClosedRange<Double>
        /// Days at the end of the series whose one-step errors are minimised; `nil` for all days.
        var lossWindow: Int?
    }

    /// Fits α, β, γ and φ by minimising the sum of squared one-step errors: a grid, then a pattern search
    /// around the best grid point with halving steps. Deterministic: the same series gives the same fit.
    ///
    /// On equal loss the smoother candidate wins (smaller α, β, γ; larger φ), because the grid is walked in
    /// that order and only a strictly smaller loss replaces the best.
    static func fit(_ y: [Double], seasonLength m: Int, searchSpace: SearchSpace) -> Fit {
        let start = Self.initialState(of: y, seasonLength: m)
        let firstLossDay = max(m > 0 ? m : 1, y.count - (searchSpace.lossWindow ?? y.count))
        let phiRange = searchSpace.damping

        // Coordinates: alpha, beta as a share of alpha, gamma as a share of 1 − alpha, phi.
        func parameters(_ x: [Double]) -> SmoothingParameters {
            SmoothingParameters(alpha: x[0], beta: x[0] * x[1], gamma: m > 0 ? (1 - x[0]) * x[2] : 0, phi: x[3])
        }
        func loss(_ x: [Double]) -> Double {
            let model = ExponentialSmoothing(parameters: parameters(x), seasonLength: m)
            var state = start
            var sum = 0.0
            for t in y.indices {
                let error = model.update(&state, day: t, observation: y[t])
                if t >= firstLossDay { sum += error * error }
            }
            return sum
        }

        let alphas = [0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8]
        let betaShares = [0.0, 0.05, 0.15, 0.3]
        let gammaShares = m > 0 ? [0.0, 0.05, 0.15, 0.3, 0.5] : [0.0]
        let phis = [1.0, 0.98, 0.95, 0.9, 0.8].filter { phiRange.contains($0) }
        let phiCandidates = phis.isEmpty ? [phiRange.upperBound] : phis

        var best = [alphas[0], betaShares[0], gammaShares[0], phiCandidates[0]]
        var bestLoss = Double.infinity
        for alpha in alphas {
            for betaShare in betaShares {
                for gammaShare in gammaShares {
                    for phi in phiCandidates {
                        let x = [alpha, betaShare, gammaShare, phi]
                        let value = loss(x)
                        if value < bestLoss {
                            best = x
                            bestLoss = value
                        }
                    }
                }
            }
        }

        let lower = [0.01, 0, 0, phiRange.lowerBound]
        let upper = [0.99, 1, m > 0 ? 1 : 0, phiRange.upperBound]
        var step = 0.04
        while step >= 0.0025 {
            var improved = true
            while improved {
                improved = false
                for coordinate in 0..<4 where upper[coordinate] > lower[coordinate] {
                    for direction in [-1.0, 1.0] {
                        var x = best
                        x[coordinate] = min(max(x[coordinate] + direction * step, lower[coordinate]), upper[coordinate])
                        guard x != best else { continue }
                        let value = loss(x)
                        if value < bestLoss * (1 - 1e-12) {
                            best = x
                            bestLoss = value
                            improved = true
                        }
                    }
                }
            }
            step /= 2
        }

        let model = ExponentialSmoothing(parameters: parameters(best), seasonLength: m)
        let mean = y.reduce(0, +) / Double(y.count)
        var state = start
        var relativeSquares = 0.0
        var relativeDays = 0
        for t in y.indices {
            let expected = model.oneStepForecast(from: state, day: t)
            let error = model.update(&state, day: t, observation: y[t])
            // Days forecast near zero say nothing about the relative spread.
            if t >= firstLossDay && expected > 0.05 * mean {
                relativeSquares += (error / expected) * (error / expected)
                relativeDays += 1
            }
        }
        let lossDays = y.count - firstLossDay
        // Smoothing parameters and initial states (level, trend, m − 1 free seasonal effects), as ETS counts them.
        let freeParameters = m > 0 ? 4 + 2 + (m - 1) : 3 + 1
        let variance = bestLoss / Double(max(lossDays - freeParameters, 1))
        let relativeVariance: Double? =
            relativeDays > freeParameters ? relativeSquares / Double(relativeDays - freeParameters) : nil
        return Fit(
            model: model,
            finalState: state,
            residualVariance: variance,
            relativeResidualVariance: relativeVariance,
            loss: bestLoss,
            lossDays: lossDays
        )
    }
}
