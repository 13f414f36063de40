//! devstack: a local Supabase-compatible stack for developing and testing
//! workflow-chat. It runs a real PostgreSQL 15 cluster, applies the platform
//! bootstrap and the project's migrations, and serves PostgREST-compatible
//! RPC and the built app on one origin.
//!
//! The binary in `main.rs` is a thin command line over this library; tests
//! start throwaway stacks with [`stack::Stack`].

pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod cors;
pub mod error;
pub mod gateway;
pub mod http;
pub mod jwt;
pub mod keystore;
pub mod migrate;
pub mod net_worker;
pub mod postgres;
pub mod realtime;
pub mod rest;
pub mod scheduler;
pub mod serve_app;
pub mod server;
pub mod stack;
pub mod storage;

pub use error::{Error, Result};
pub use stack::{Stack, StackInfo, StackOptions, ThirdPartyIssuer};
