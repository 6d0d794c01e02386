//! Demo permits for `anjian seed demo` (filled in below).
