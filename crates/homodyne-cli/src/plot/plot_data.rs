//! What a `--plot` figure draws: the data, the fit and the labels, and how many points
//! of them are drawn at most.

/// Most data points (and curve points) drawn; larger inputs are evenly strided down to it.
pub const MAX_DRAWN_POINTS: usize = 20_000;

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct PlotData<'a> {
    /// Predictor of each data point (the first predictor when there are several).
    pub x: &'a [f64],
    /// Observations, one per data point.
    pub y: &'a [f64],
    /// Standard deviation of each observation; drawn as error bars when given.
    pub sigma: Option<&'a [f64]>,
    /// Model at each data point (for the residuals).
    pub fitted: &'a [f64],
    /// A smooth curve (x grid, model values); `None` draws `fitted` at the data points,
    /// sorted by x, as a line.
    pub curve: Option<(&'a [f64], &'a [f64])>,
    /// Label of the horizontal axis.
    pub x_label: &'a str,
    /// Label of the vertical axis of the upper panel.
    pub y_label: &'a str,
    /// Title above the figure, e.g. the formula.
    pub title: &'a str,
}
