//! A page's tabs (a catalog's, a package's), declared once as a table.

/// Declares a page's tab enum, `Variant = (label, route)` in the order shown,
/// the first being the overview at the object's own path. Each tab knows its
/// label and its path for an object; `parse` finds the tab a path's last
/// segment names.
macro_rules! tabs {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $overview:ident = ($first:literal, $home:expr),
        $($variant:ident = ($label:literal, $route:expr),)+
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $overview,
            $($variant,)+
        }

        impl $name {
            const ALL: &'static [$name] = &[$name::$overview, $($name::$variant),+];

            /// Every tab, in the order shown.
            pub fn all(&self) -> &'static [$name] {
                $name::ALL
            }

            /// Whether this is the tab shown (templates compare references).
            pub fn is(&self, shown: &$name) -> bool {
                self == shown
            }

            pub fn label(&self) -> &'static str {
                match self {
                    $name::$overview => $first,
                    $($name::$variant => $label,)+
                }
            }

            /// The tab's page for an object, by its id.
            pub fn path(&self, id: impl std::fmt::Display) -> String {
                let route = match self {
                    $name::$overview => $home,
                    $($name::$variant => $route,)+
                };
                route.id(id)
            }

            /// The tab whose page ends in `segment`; the overview has none.
            pub fn parse(segment: &str) -> Option<$name> {
                let named = |t: &$name| t.path("x").rsplit('/').next() == Some(segment);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|t| *t != $name::$overview && named(t))
            }
        }

        /// A tab's path names it by its last segment.
        impl crate::web::extract::path_id::Segment for $name {
            fn parse_segment(raw: &str) -> Option<$name> {
                $name::parse(raw)
            }
        }
    };
}

pub(crate) use tabs;
