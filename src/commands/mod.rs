//! Commands beside `render` and `check`: `describe`, `init`, `schema`, and
//! `check --steps`.

pub mod describe;
pub mod init;
pub mod schema;
pub mod steps;
pub mod topology;
