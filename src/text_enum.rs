//! `text_enum!`: an enumeration stored as text, with the explicit, exhaustive mapping both ways
//! (`as_str`, `parse`, `ALL`) and its JSON form in snake_case. One macro for every capability.

/// Declares a `Copy` enum whose variants map to the given texts, each way exhaustively.
///
/// ```ignore
/// text_enum!(
///     /// What a report is about.
///     Category { GeneralHazard => "general_hazard", Other => "other" }
/// );
/// ```
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    text_enum!(
        /// A test enum.
        Colour { Red => "red", DarkBlue => "dark_blue" }
    );

    #[test]
    fn every_variant_round_trips_through_its_text_and_json() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(Colour::parse("green"), None);
    }
}
