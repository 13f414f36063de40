//! Chat domain.
