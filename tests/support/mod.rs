//! The test harness shared by every integration test: a fake Bot API, an SMTP sink,
//! and the service itself started on a random port.
#![allow(dead_code)]

pub mod app;
pub mod chrome;
pub mod console;
pub mod desk;
pub mod fake_bot;
pub mod smtp_sink;
