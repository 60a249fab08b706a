//! The configuration spellings of the crate's settings that are plain choices: each
//! variant's word, written once, gives both directions ([`spellings!`]).

/// Implements `name` (a variant's configuration spelling) and `parse` (the variant of a
/// spelling, `None` for any other text) for a fieldless enum, from `Variant => "word"`
/// pairs with distinct words.
macro_rules! spellings {
    ($setting:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $setting {
            /// The configuration spelling.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            /// The value spelled `text` (the inverse of `name`); `None` for other text.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($word => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use spellings;
