//! A server-sent events parser (the WHATWG `text/event-stream` rules), written here rather
//! than taken from a crate because the stream needs three things the crates we looked at do
//! not give: whether an event carried its *own* `id:` line (only those can be replayed and
//! de-duplicated), a bound on the size of one event, and work linear in the bytes received
//! (each byte is scanned once, however the event is split into chunks).

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` type (`message` when absent).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` of this event's own lines; `None` when it had none (the stream's last id
    /// still applies to it for resuming, but it cannot be told apart from another event).
    pub id: Option<String>,
}

/// What one line did to the parser.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SseItem {
    /// A complete event.
    Event(SseEvent),
    /// A `retry:` field: the server's reconnection delay in milliseconds.
    Retry(u64),
}

/// One event was larger than the limit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EventTooLarge;

/// Incremental parser: feed bytes as they arrive, take items as lines complete.
#[derive(Debug)]
pub(crate) struct SseParser {
    buffer: Vec<u8>,
    /// Bytes of `buffer` already searched for a line end.
    scanned: usize,
    /// A `\r` ended the last line; a `\n` right after it belongs to it.
    after_cr: bool,
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
    max_event_size: usize,
}

impl SseParser {
    /// A parser that refuses events (and lines) larger than `max_event_size` bytes.
    pub(crate) fn new(max_event_size: usize) -> Self {
        SseParser {
            buffer: Vec::new(),
            scanned: 0,
            after_cr: false,
            started: false,
            event: None,
            data: String::new(),
            has_data: false,
            id: None,
            max_event_size,
        }
    }

    /// Feeds a chunk; appends the items it completes to `out`.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<SseItem>,
    ) -> Result<(), EventTooLarge> {
        self.buffer.extend_from_slice(chunk);
        // Lines are read out of the buffer while `self` changes, so hold it apart meanwhile.
        let buffer = std::mem::take(&mut self.buffer);
        let mut start = 0;
        let mut result = Ok(());
        for i in self.scanned..buffer.len() {
            match buffer[i] {
                b'\n' if self.after_cr && i == start => {
                    // The `\n` of a `\r\n` whose `\r` already ended the line.
                    self.after_cr = false;
                    start = i + 1;
                }
                b'\n' | b'\r' => {
                    self.after_cr = buffer[i] == b'\r';
                    result = self.line(&buffer[start..i], out);
                    start = i + 1;
                    if result.is_err() {
                        break;
                    }
                }
                _ => self.after_cr = false,
            }
        }
        self.buffer = buffer;
        result?;
        // Keep only the unfinished line; it is never scanned again.
        self.buffer.drain(..start);
        self.scanned = self.buffer.len();
        if self.buffer.len() + self.data.len() > self.max_event_size {
            return Err(EventTooLarge);
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseItem>) -> Result<(), EventTooLarge> {
        let mut line = line;
        if !self.started {
            self.started = true;
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(()); // a comment (keep-alive)
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(p) => {
                let value = &line[p + 1..];
                (&line[..p], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.event = Some(value.into_owned()),
            b"data" => {
                if self.data.len() + value.len() + 1 > self.max_event_size {
                    return Err(EventTooLarge);
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
            b"retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    out.push(SseItem::Retry(ms));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the current event. The spec drops an event without `data:`; we keep one that named
    /// its type, so an `event: done` without data still ends the stream.
    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        let id = self.id.take();
        let event = self.event.take();
        let data = std::mem::take(&mut self.data);
        let has_data = std::mem::replace(&mut self.has_data, false);
        if has_data || event.is_some() {
            out.push(SseItem::Event(SseEvent {
                event: event.unwrap_or_else(|| "message".into()),
                data,
                id,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]]) -> Vec<SseItem> {
        let mut p = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).unwrap();
        }
        out
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseItem {
        SseItem::Event(SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.map(str::to_string),
        })
    }

    #[test]
    fn fields_comments_and_line_endings() {
        let text = b"\xef\xbb\xbf: hi\nevent: output\nid: 1\ndata: a\ndata:b\n\nevent: logs\r\ndata: x\r\n\r\nretry: 1500\ndata: plain\r\rretry: soon\nevent: done\n\n";
        let expected = vec![
            ev("output", "a\nb", Some("1")),
            ev("logs", "x", None),
            SseItem::Retry(1500),
            ev("message", "plain", None),
            ev("done", "", None),
        ];
        assert_eq!(parse_in(&[text]), expected);
        // Any split of the bytes gives the same events.
        for cut in 0..text.len() {
            assert_eq!(
                parse_in(&[&text[..cut], &text[cut..]]),
                expected,
                "cut at {cut}"
            );
        }
        let bytewise: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse_in(&bytewise), expected);
    }

    #[test]
    fn only_own_ids_are_reported() {
        let items = parse_in(&[b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"]);
        assert_eq!(
            items,
            vec![
                ev("message", "a", Some("7")),
                ev("message", "b", None),
                ev("message", "c", Some(""))
            ]
        );
    }

    #[test]
    fn events_are_bounded() {
        let mut p = SseParser::new(100);
        let mut out = Vec::new();
        assert!(p.feed(&[b'x'; 50], &mut out).is_ok());
        // An unfinished line past the limit fails before the line ends.
        let mut p = SseParser::new(100);
        assert_eq!(p.feed(&[b'a'; 101], &mut out), Err(EventTooLarge));
        // Many data lines of one event add up.
        let mut p = SseParser::new(100);
        let lines = "data: 0123456789\n".repeat(12);
        assert_eq!(p.feed(lines.as_bytes(), &mut out), Err(EventTooLarge));
    }
}
