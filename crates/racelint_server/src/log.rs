//! The server's handle on the client: sending messages, and logging to the client's log
//! (`window/logMessage`). Nothing the server says ever goes to stdout outside a message.

use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;
use lsp_server::{Message, Notification, Request, RequestId, Response};
use lsp_types::{LogMessageParams, MessageType, ShowMessageParams};

use crate::transport::Outgoing;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            "trace" => Some(Level::Trace),
            _ => None,
        }
    }

    fn message_type(self) -> MessageType {
        match self {
            Level::Error => MessageType::ERROR,
            Level::Warn => MessageType::WARNING,
            Level::Info => MessageType::INFO,
            Level::Debug | Level::Trace => MessageType::LOG,
        }
    }
}

/// Cheap to clone; shared by the main loop and the analysis worker.
#[derive(Clone)]
pub struct Client {
    sender: Sender<Outgoing>,
    level: Arc<AtomicU8>,
    next_id: Arc<AtomicI32>,
}

impl Client {
    pub fn new(sender: Sender<Outgoing>) -> Client {
        Client {
            sender,
            level: Arc::new(AtomicU8::new(Level::Info as u8)),
            next_id: Arc::new(AtomicI32::new(1)),
        }
    }

    /// Sends a message; a client that has gone away is not an error worth reporting.
    pub fn send(&self, message: Message) {
        let _ = self.sender.send(Outgoing::Message(message));
    }

    pub fn send_raw(&self, value: serde_json::Value) {
        let _ = self.sender.send(Outgoing::Raw(value));
    }

    pub fn respond(&self, response: Response) {
        self.send(Message::Response(response));
    }

    pub fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    /// Sends a request to the client; the id says what it was for (`racelint/<purpose>/<n>`)
    /// so the answer can be recognised without bookkeeping.
    pub fn request<R: lsp_types::request::Request>(
        &self,
        purpose: &str,
        params: R::Params,
    ) -> RequestId {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::from(format!("racelint/{purpose}/{n}"));
        self.send(Message::Request(Request::new(
            id.clone(),
            R::METHOD.to_string(),
            params,
        )));
        id
    }

    /// Waits until everything sent so far is written (used before the process exits).
    pub fn flush(&self, timeout: std::time::Duration) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        if self.sender.send(Outgoing::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(timeout);
        }
    }

    pub fn set_level(&self, level: Level) {
        self.level.store(level as u8, Ordering::Relaxed);
    }

    pub fn enabled(&self, level: Level) -> bool {
        level as u8 <= self.level.load(Ordering::Relaxed)
    }

    pub fn log(&self, level: Level, message: impl AsRef<str>) {
        if self.enabled(level) {
            self.notify::<lsp_types::notification::LogMessage>(LogMessageParams {
                typ: level.message_type(),
                message: format!("racelint: {}", message.as_ref()),
            });
        }
    }

    pub fn error(&self, message: impl AsRef<str>) {
        self.log(Level::Error, message);
    }
    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(Level::Warn, message);
    }
    pub fn info(&self, message: impl AsRef<str>) {
        self.log(Level::Info, message);
    }
    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(Level::Debug, message);
    }

    /// A message the user should see (a bad setting), not only the log.
    pub fn show(&self, level: Level, message: impl AsRef<str>) {
        self.log(level, message.as_ref());
        self.notify::<lsp_types::notification::ShowMessage>(ShowMessageParams {
            typ: level.message_type(),
            message: format!("racelint: {}", message.as_ref()),
        });
    }
}
