//! Email: each kind of message (`domain::message::Message`) rendered from
//! its own askama pair, `email/<kind>.txt` and `email/<kind>.html`, both on a
//! shared base layout. The text template's first line is the subject, so
//! that every word a recipient reads is in the templates.
//!
//! Messages are queued in the outbox with the change they tell about (see
//! `store::outbox`) and rendered when sent or shown, with the public URL.

pub mod mailer;
mod rendering;

pub use self::rendering::{Rendered, render, render_for_admin};
