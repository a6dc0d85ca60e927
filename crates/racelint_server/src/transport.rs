//! JSON-RPC over byte streams, with the `Content-Length` framing of LSP.
//!
//! `lsp-server` supplies the message types; its own stdio reader gives up on the first
//! malformed payload, so the server reads frames itself: a body that is not JSON is answered
//! with a parse error, a body that is JSON but no JSON-RPC message with an invalid-request
//! error, and reading goes on with the next frame.

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use serde_json::Value;

/// What the reader hands to the server loop.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that is not a JSON-RPC message; answered with an error response.
    Malformed {
        /// The `id` of the offending message, when one could be read (`null` otherwise).
        id: Value,
        code: ErrorCode,
        message: String,
    },
}

/// What the server sends.
#[derive(Debug)]
pub enum Outgoing {
    Message(Message),
    /// A complete JSON-RPC message built by hand (an error response whose id is `null`,
    /// which `lsp_server::Response` cannot express).
    Raw(Value),
    /// Sent by the server before it returns: answered once everything queued before it is
    /// written.
    Flush(Sender<()>),
}

/// The server's end of a connection.
pub struct Transport {
    pub sender: Sender<Outgoing>,
    pub receiver: Receiver<Incoming>,
}

/// The client's end of an in-memory connection (benchmarks, tests of the library).
pub struct ClientEnd {
    pub sender: Sender<Incoming>,
    pub receiver: Receiver<Outgoing>,
}

/// A pair of connected in-memory ends.
pub fn memory() -> (Transport, ClientEnd) {
    let (to_server, from_client) = crossbeam_channel::unbounded();
    let (to_client, from_server) = crossbeam_channel::unbounded();
    (
        Transport {
            sender: to_client,
            receiver: from_client,
        },
        ClientEnd {
            sender: to_server,
            receiver: from_server,
        },
    )
}

/// A connection over stdin and stdout. Reader and writer run on threads of their own; the
/// reader's channel closes when stdin ends.
pub fn stdio() -> Transport {
    let (in_tx, in_rx) = crossbeam_channel::unbounded::<Incoming>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Outgoing>();
    let _ = thread::Builder::new()
        .name("racelint-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            read_loop(&mut input, &in_tx);
        });
    let _ = thread::Builder::new()
        .name("racelint-lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut output = stdout.lock();
            write_loop(&mut output, &out_rx);
        });
    Transport {
        sender: out_tx,
        receiver: in_rx,
    }
}

/// Reads frames until the input ends or the server stops listening.
pub fn read_loop(input: &mut impl BufRead, sender: &Sender<Incoming>) {
    loop {
        let incoming = match read_frame(input) {
            Ok(Some(Ok(body))) => decode(&body),
            Ok(Some(Err(problem))) => Incoming::Malformed {
                id: Value::Null,
                code: ErrorCode::ParseError,
                message: problem,
            },
            Ok(None) | Err(_) => return,
        };
        if sender.send(incoming).is_err() {
            return;
        }
    }
}

/// Writes messages until every sender is gone or the output fails.
pub fn write_loop(output: &mut impl Write, receiver: &Receiver<Outgoing>) {
    for outgoing in receiver {
        let written = match outgoing {
            Outgoing::Message(message) => message.write(output),
            Outgoing::Raw(value) => write_frame(output, &value.to_string()),
            Outgoing::Flush(done) => {
                let _ = output.flush();
                let _ = done.send(());
                Ok(())
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// Frames bigger than this are skipped rather than buffered.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// Reads one frame. `Ok(None)` at the end of the input; `Ok(Some(Err))` for a frame whose
/// header or body cannot be used (the stream stays aligned on the next frame).
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Result<Vec<u8>, String>>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            // Stray blank lines between frames.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
                );
            }
        }
    }
    let length = match length {
        None => return Ok(Some(Err("message without a Content-Length header".into()))),
        Some(Err(problem)) => return Ok(Some(Err(problem))),
        Some(Ok(n)) => n,
    };
    if length > MAX_FRAME {
        let skipped = io::copy(&mut input.take(length as u64), &mut io::sink())?;
        if (skipped as usize) < length {
            return Ok(None);
        }
        return Ok(Some(Err(format!(
            "message of {length} bytes is larger than the limit of {MAX_FRAME}"
        ))));
    }
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => Ok(Some(Ok(body))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes one frame.
pub fn write_frame(output: &mut impl Write, body: &str) -> io::Result<()> {
    write!(output, "Content-Length: {}\r\n\r\n", body.len())?;
    output.write_all(body.as_bytes())?;
    output.flush()
}

/// Turns a frame's body into a message, or says why it is not one.
pub fn decode(body: &[u8]) -> Incoming {
    let malformed =
        |id: Value, code: ErrorCode, message: String| Incoming::Malformed { id, code, message };
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return malformed(
                Value::Null,
                ErrorCode::ParseError,
                format!("message is not valid JSON: {e}"),
            )
        }
    };
    let Value::Object(object) = &value else {
        return malformed(
            Value::Null,
            ErrorCode::InvalidRequest,
            "a JSON-RPC message must be an object (batches are not used by LSP)".into(),
        );
    };
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    let id_ok =
        matches!(&id, Value::String(_)) || id.as_i64().is_some_and(|n| i32::try_from(n).is_ok());
    match object.get("method") {
        Some(Value::String(method)) => {
            let params = object.get("params").cloned().unwrap_or(Value::Null);
            if !matches!(params, Value::Null | Value::Object(_) | Value::Array(_)) {
                let id = if id_ok { id } else { Value::Null };
                return malformed(
                    id,
                    ErrorCode::InvalidRequest,
                    format!("`params` of `{method}` must be an object or an array"),
                );
            }
            if !object.contains_key("id") {
                return Incoming::Message(Message::Notification(Notification {
                    method: method.clone(),
                    params,
                }));
            }
            if !id_ok {
                return malformed(
                    Value::Null,
                    ErrorCode::InvalidRequest,
                    format!("request `{method}` has an invalid id `{id}`"),
                );
            }
            match serde_json::from_value(id.clone()) {
                Ok(request_id) => Incoming::Message(Message::Request(Request {
                    id: request_id,
                    method: method.clone(),
                    params,
                })),
                Err(_) => malformed(
                    Value::Null,
                    ErrorCode::InvalidRequest,
                    format!("request `{method}` has an invalid id `{id}`"),
                ),
            }
        }
        Some(other) => malformed(
            if id_ok { id } else { Value::Null },
            ErrorCode::InvalidRequest,
            format!("`method` must be a string, not `{other}`"),
        ),
        None if id_ok && (object.contains_key("result") || object.contains_key("error")) => {
            match serde_json::from_value::<Response>(value.clone()) {
                Ok(response) => Incoming::Message(Message::Response(response)),
                // A response we cannot read needs no answer; drop it quietly.
                Err(e) => malformed(
                    Value::Null,
                    ErrorCode::InvalidRequest,
                    format!("unreadable response: {e}"),
                ),
            }
        }
        None => malformed(
            if id_ok { id } else { Value::Null },
            ErrorCode::InvalidRequest,
            "message has neither a method nor a result".into(),
        ),
    }
}

/// The error response sent for a malformed message.
pub fn error_response(id: Value, code: ErrorCode, message: &str) -> Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code as i32, "message": message },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Incoming> {
        let (tx, rx) = crossbeam_channel::unbounded();
        read_loop(&mut io::Cursor::new(input.as_bytes().to_vec()), &tx);
        drop(tx);
        rx.into_iter().collect()
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_frames_do_not_stop_the_reader() {
        let input = [
            frame("{not json"),
            frame("[1, 2]"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            frame(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            "X-Other: 1\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        ]
        .concat();
        let got = frames(&input);
        assert_eq!(got.len(), 7);
        let codes: Vec<Option<i32>> = got
            .iter()
            .map(|m| match m {
                Incoming::Malformed { code, .. } => Some(*code as i32),
                Incoming::Message(_) => None,
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                Some(-32700),
                Some(-32600),
                Some(-32600),
                Some(-32600),
                Some(-32700),
                None,
                None
            ]
        );
        assert!(matches!(&got[2], Incoming::Malformed { id, .. } if id == &serde_json::json!(7)));
        assert!(
            matches!(&got[5], Incoming::Message(Message::Request(r)) if r.method == "shutdown")
        );
        assert!(
            matches!(&got[6], Incoming::Message(Message::Notification(n)) if n.method == "exit")
        );
    }

    #[test]
    fn reads_lenient_headers_and_stops_at_a_truncated_body() {
        let input = "content-length:2\n\n{}Content-Length: 10\r\n\r\n{}";
        let got = frames(input);
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], Incoming::Malformed { code, .. } if *code as i32 == -32600));
    }

    #[test]
    fn writes_frames_that_read_back() {
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(Outgoing::Raw(error_response(
            Value::Null,
            ErrorCode::ParseError,
            "bad",
        )))
        .unwrap();
        drop(tx);
        let mut out = Vec::new();
        write_loop(&mut out, &rx);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Content-Length: "));
        let body = read_frame(&mut io::Cursor::new(text.into_bytes()))
            .unwrap()
            .unwrap()
            .unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["error"]["code"], -32700);
        assert!(value["id"].is_null());
    }
}
