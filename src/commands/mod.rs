//! Commands beside `render` and `check`: `describe`, `init` and `schema`.

pub mod describe;
pub mod init;
pub mod schema;
