//! [`ModelForm`]: which formula [`super::HomodyneModel`] evaluates.

/// Which formula [`super::HomodyneModel`] evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ModelForm {
    /// The published theory (PNAS 2024): `exp(-q^2 int D dt) sinc^2(q h Gamma cos / 2)`.
    #[default]
    Published,
    /// The Python `homodyne` package's numbers: `sinc^4` of an argument `pi` times smaller,
    /// `g1` floored at `1e-10` and the diffusion exponent clipped at `-700`.
    PythonCompat,
}

impl ModelForm {
    /// The name used in configuration files (`published`, `python_compat`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::PythonCompat => "python_compat",
        }
    }
}
