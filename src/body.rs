//! A request's JSON body, laid out so that a large event is never copied
//! whole.
//!
//! Both actions send a flat JSON object of strings, and one of those
//! strings, the event, can be 6 MB while the others are a few bytes. The
//! event travels as a JSON string inside the object, so every `"` and `\`
//! in it gains a backslash: holding the body in memory means holding a
//! second, longer copy of the event. [`BodyJson`] keeps the object without
//! the event's text, plus where the text goes; a small body is then
//! written out whole, and a large one is hashed in one pass and sent in
//! another, escaped piece by piece as it goes (see [`Prepared`]).

use std::io::{self, Read};
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::signer::Payload;

/// Bodies up to this size are written out whole: a second copy of a small
/// event costs less than escaping it twice, once to hash and once to send.
pub(crate) const STREAM_ABOVE: usize = 64 * 1024;

/// How many bytes of the event are escaped at a time when it is hashed or
/// sent. The escaped piece is at most [`MAX_ESCAPED`] times as long.
const PIECE: usize = 16 * 1024;

/// The most bytes one byte of text becomes when escaped: `\u00xx`.
const MAX_ESCAPED: usize = 6;

/// How many bytes of text [`escape_into`] checks at once for anything to
/// escape: wide enough that the check compiles to a few vector
/// instructions, short enough that a block of text with the odd quote in
/// it often has nothing to escape. (JSON text, with a quote every few
/// bytes, mostly takes the byte-by-byte path all the same.)
const BLOCK: usize = 16;

/// One field of a body: its name in the API and its value, if it is sent.
pub(crate) enum Field<'s, 'a> {
    /// A short string, copied into the body's JSON.
    Short(&'static str, Option<&'s str>),
    /// The event, kept by reference and escaped when it is written out.
    Event(&'static str, Option<&'a str>),
}

/// A JSON object of string fields, one of which may be the event.
#[derive(Debug)]
pub(crate) struct BodyJson<'a> {
    /// The whole object but the event's escaped text, which belongs at
    /// `split`, between the quotes written for it.
    json: Vec<u8>,
    split: usize,
    event: &'a str,
    /// The length of the whole body, counted once: counting means reading
    /// the whole event.
    len: usize,
}

impl<'a> BodyJson<'a> {
    /// Writes the object with `fields` in order, leaving out those without
    /// a value. At most one field is the event.
    pub(crate) fn new(fields: &[Field<'_, 'a>]) -> BodyJson<'a> {
        // Each field sent is `,"Name":` and its value, quoted; the braces
        // add two bytes, less the comma the first field goes without.
        let capacity: usize = fields
            .iter()
            .map(|field| match field {
                Field::Short(name, Some(value)) => name.len() + 4 + json_string_len(value),
                Field::Event(name, Some(_)) => name.len() + 4 + 2,
                Field::Short(_, None) | Field::Event(_, None) => 0,
            })
            .sum::<usize>()
            + 1;
        let mut json = Vec::with_capacity(capacity);
        let mut event = None;
        for field in fields {
            let name = match *field {
                Field::Short(name, Some(_)) | Field::Event(name, Some(_)) => name,
                Field::Short(_, None) | Field::Event(_, None) => continue,
            };
            json.push(if json.is_empty() { b'{' } else { b',' });
            push_json_string(&mut json, name);
            json.push(b':');
            match *field {
                Field::Short(_, Some(value)) => push_json_string(&mut json, value),
                Field::Event(_, Some(text)) => {
                    debug_assert!(event.is_none(), "BUG: a body has one event");
                    json.push(b'"');
                    event = Some((json.len(), text));
                    json.push(b'"');
                }
                Field::Short(_, None) | Field::Event(_, None) => {}
            }
        }
        if json.is_empty() {
            json.push(b'{');
        }
        json.push(b'}');
        let (split, event) = event.unwrap_or((json.len(), ""));
        // The two quotes json_string_len counts are in `json` already.
        let len = json.len() + json_string_len(event) - 2;
        BodyJson {
            json,
            split,
            event,
            len,
        }
    }

    /// The length of the body in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Calls `sink` with the body's bytes, in order, in pieces.
    fn for_each_piece(&self, mut sink: impl FnMut(&[u8])) {
        sink(&self.json[..self.split]);
        let mut escaped = vec![0; self.event.len().min(PIECE) * MAX_ESCAPED];
        for piece in self.event.as_bytes().chunks(PIECE) {
            let written = escape_into(&mut escaped, piece);
            sink(&escaped[..written]);
        }
        sink(&self.json[self.split..]);
    }

    /// The whole body, in a buffer allocated once at its final size.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let (head, tail) = self.json.split_at(self.split);
        let mut body = vec![0; self.len];
        body[..head.len()].copy_from_slice(head);
        let written = escape_into(&mut body[head.len()..], self.event.as_bytes());
        body[head.len() + written..].copy_from_slice(tail);
        body
    }

    /// The SHA-256 of the body, computed without holding it.
    fn sha256(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        self.for_each_piece(|piece| hasher.update(piece));
        hasher.finalize().into()
    }

    /// The body as a reader, escaping `piece` bytes of the event at a time.
    fn reader(&self, piece: usize) -> BodyReader<'_> {
        BodyReader {
            body: self,
            next: Stage::Head,
            piece,
            escaped: Vec::new(),
            unread: Unread::Json(0..0),
        }
    }
}

/// A body ready to be signed and sent, as many times as the retries need.
#[derive(Debug)]
pub(crate) struct Prepared<'a> {
    held: Held<'a>,
    /// The body's SHA-256, taken once for all the attempts; `None` when the
    /// signature leaves the body out (`X-TC-Content-SHA256:
    /// UNSIGNED-PAYLOAD`), so that a large body is never read to hash it.
    sha256: Option<[u8; 32]>,
}

/// How a [`Prepared`] body is kept.
#[derive(Debug)]
enum Held<'a> {
    /// Written out whole.
    Whole(Vec<u8>),
    /// Escaped anew each time it is sent.
    Streamed(BodyJson<'a>),
}

impl<'a> Prepared<'a> {
    /// Writes out a small body, or keeps a large one to be streamed; hashes
    /// it if the signature is to cover it.
    pub(crate) fn new(body: BodyJson<'a>, signed: bool) -> Prepared<'a> {
        if body.len() <= STREAM_ABOVE {
            let bytes = body.to_vec();
            let sha256 = signed.then(|| Sha256::digest(&bytes).into());
            Prepared {
                held: Held::Whole(bytes),
                sha256,
            }
        } else {
            let sha256 = signed.then(|| body.sha256());
            Prepared {
                held: Held::Streamed(body),
                sha256,
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.held {
            Held::Whole(bytes) => bytes.len(),
            Held::Streamed(body) => body.len(),
        }
    }

    /// What the signature covers of the body.
    pub(crate) fn payload(&self) -> Payload<'_> {
        match self.sha256 {
            Some(sha256) => Payload::Sha256(sha256),
            None => Payload::Unsigned,
        }
    }

    /// The body to be read out, once per attempt.
    pub(crate) fn source(&self) -> Source<'_> {
        match &self.held {
            Held::Whole(bytes) => Source::Bytes(bytes),
            Held::Streamed(body) => Source::Reader(body.reader(PIECE)),
        }
    }

    /// Whether the body is escaped as it is sent rather than held.
    #[cfg(test)]
    pub(crate) fn is_streamed(&self) -> bool {
        matches!(self.held, Held::Streamed(_))
    }
}

/// A prepared body, read out: the bytes of one written out whole, or a
/// reader escaping a streamed one.
pub(crate) enum Source<'a> {
    Bytes(&'a [u8]),
    Reader(BodyReader<'a>),
}

impl Read for Source<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Bytes(bytes) => bytes.read(out),
            Source::Reader(reader) => reader.read(out),
        }
    }
}

/// Reads a [`BodyJson`] out, escaping the event as it goes.
pub(crate) struct BodyReader<'a> {
    body: &'a BodyJson<'a>,
    /// What comes after the bytes in `unread`.
    next: Stage,
    piece: usize,
    /// Room for one piece of the event escaped, at its longest; allocated
    /// when the event is reached.
    escaped: Vec<u8>,
    /// What was produced and not yet read.
    unread: Unread,
}

/// What a [`BodyReader`] produces next.
#[derive(Clone, Copy)]
enum Stage {
    Head,
    /// The event from this byte on.
    Event(usize),
    Tail,
    Done,
}

/// Where the bytes not yet read are: in the object around the event, which
/// is read out as it is, or in the reader's escaped piece.
enum Unread {
    Json(Range<usize>),
    Escaped(Range<usize>),
}

impl BodyReader<'_> {
    /// Produces the next piece; false at the end.
    fn refill(&mut self) -> bool {
        let body = self.body;
        let event = body.event.as_bytes();
        (self.unread, self.next) = match self.next {
            Stage::Head => (Unread::Json(0..body.split), Stage::Event(0)),
            Stage::Event(from) => {
                let to = event.len().min(from + self.piece);
                if self.escaped.is_empty() {
                    self.escaped = vec![0; event.len().min(self.piece) * MAX_ESCAPED];
                }
                let written = escape_into(&mut self.escaped, &event[from..to]);
                let next = if to == event.len() {
                    Stage::Tail
                } else {
                    Stage::Event(to)
                };
                (Unread::Escaped(0..written), next)
            }
            Stage::Tail => (Unread::Json(body.split..body.json.len()), Stage::Done),
            Stage::Done => return false,
        };
        true
    }
}

impl Read for BodyReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let (held, range) = match &mut self.unread {
                Unread::Json(range) => (&self.body.json, range),
                Unread::Escaped(range) => (&self.escaped, range),
            };
            // An empty piece (an empty head or event) produces nothing: go
            // on to the next, so that 0 is returned only at the end.
            if range.start < range.end || out.is_empty() {
                let n = out.len().min(range.len());
                out[..n].copy_from_slice(&held[range.start..range.start + n]);
                range.start += n;
                return Ok(n);
            }
            if !self.refill() {
                return Ok(0);
            }
        }
    }
}

/// Appends `text` as a JSON string, quotes included.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    // Room for the string, filled with quotes; the escaped text then
    // overwrites all but the first and the last.
    let start = out.len();
    out.resize(start + json_string_len(text), b'"');
    escape_into(&mut out[start + 1..], text.as_bytes());
}

/// Writes the bytes of UTF-8 text, escaped as the inside of a JSON string
/// exactly as serde_json writes it, to the start of `out`, and returns how
/// many bytes it wrote: `"` and `\` gain a backslash, the control
/// characters that have short escapes take them, the others are written
/// as `\u00xx`.
///
/// Every byte that needs escaping is ASCII, and no byte of a multi-byte
/// character is, so text may be cut anywhere, even inside a character,
/// and its pieces escaped one after another.
///
/// # Panics
///
/// If `out` is shorter than the escaped text: `json_string_len(text) - 2`
/// bytes, at most [`MAX_ESCAPED`] times the text's length.
fn escape_into(out: &mut [u8], text: &[u8]) -> usize {
    // Most blocks of most text have nothing to escape and are copied
    // whole; only a block that has something is escaped byte by byte.
    let mut written = 0;
    let mut blocks = text.chunks_exact(BLOCK);
    for block in &mut blocks {
        let added = block.iter().fold(0, |added, &byte| added | added_len(byte));
        if added == 0 {
            out[written..written + BLOCK].copy_from_slice(block);
            written += BLOCK;
        } else {
            for &byte in block {
                written += escape_byte(&mut out[written..], byte);
            }
        }
    }
    for &byte in blocks.remainder() {
        written += escape_byte(&mut out[written..], byte);
    }
    written
}

/// Writes one byte, escaped, to the start of `out`; returns its length.
fn escape_byte(out: &mut [u8], byte: u8) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPES[usize::from(byte)] {
        0 => {
            out[0] = byte;
            1
        }
        b'u' => {
            let (high, low) = (usize::from(byte >> 4), usize::from(byte & 0xf));
            out[..6].copy_from_slice(&[b'\\', b'u', b'0', b'0', HEX[high], HEX[low]]);
            6
        }
        short => {
            out[..2].copy_from_slice(&[b'\\', short]);
            2
        }
    }
}

/// For each byte, the letter that follows the backslash of its escape
/// (`u` for `\u00xx`), or 0 when it is written as it is.
const ESCAPES: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[b'\t' as usize] = b't';
    table[b'\n' as usize] = b'n';
    table[0x0c] = b'f';
    table[b'\r' as usize] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// How many bytes escaping adds to `byte`: 5 for `\u00xx`, 1 for a short
/// escape, 0 for none. The same rule as [`ESCAPES`] (a test compares them
/// for every byte), written as arithmetic rather than a table look-up so
/// that a loop over a block of bytes can be vectorized.
fn added_len(byte: u8) -> u8 {
    let control = u8::from(byte < 0x20);
    let short_control = u8::from(matches!(byte, 0x08 | b'\t' | b'\n' | 0x0c | b'\r'));
    let quote_or_backslash = u8::from(byte == b'"') | u8::from(byte == b'\\');
    control * 5 - short_control * 4 + quote_or_backslash
}

/// The length of `text` written as a JSON string, quotes included.
pub(crate) fn json_string_len(text: &str) -> usize {
    // Summed a block at a time into a u8, which holds 32 bytes' worth (at
    // most 160), so that the sum is vectorized: this reads a whole event.
    const SUMMED: usize = 32;
    let bytes = text.as_bytes();
    let mut blocks = bytes.chunks_exact(SUMMED);
    let mut added = 0;
    for block in &mut blocks {
        added += usize::from(block.iter().fold(0u8, |sum, &byte| sum + added_len(byte)));
    }
    for &byte in blocks.remainder() {
        added += usize::from(added_len(byte));
    }
    bytes.len() + added + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD: [&str; 6] = [
        "",
        "plain",
        r#"{"a":"b\\c"}"#,
        "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}/",
        "未命名 \u{2028} 🦀",
        "\"\"\\\\",
    ];

    fn body(event: Option<&str>) -> BodyJson<'_> {
        BodyJson::new(&[
            Field::Short("FunctionName", Some("hello")),
            Field::Short("Qualifier", None),
            Field::Event("ClientContext", event),
            Field::Short("RoutingKey", Some(r#"{"k":"v"}"#)),
        ])
    }

    fn read_all(mut reader: impl Read, buffer_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buffer = vec![0; buffer_len];
        loop {
            match reader.read(&mut buffer).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&buffer[..n]),
            }
        }
    }

    #[test]
    fn text_is_escaped_exactly_as_serde_json_escapes_it() {
        for text in AWKWARD {
            let expected = serde_json::to_string(text).unwrap();
            let mut written = Vec::new();
            push_json_string(&mut written, text);
            assert_eq!(String::from_utf8(written).unwrap(), expected, "{text:?}");
            assert_eq!(json_string_len(text), expected.len(), "{text:?}");
        }
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it_wherever_it_falls() {
        // Each ASCII character, and a few longer ones, at every offset of a
        // text three blocks long, so that it lands at each place in a block,
        // in the remainder after the blocks, and beside blocks that have
        // nothing to escape.
        let mut characters: Vec<char> = (0..0x80u8).map(char::from).collect();
        characters.extend(['\u{7f}', 'é', '\u{2028}', '未', '🦀']);
        for character in characters {
            for offset in 0..3 * BLOCK {
                let mut text = "a".repeat(3 * BLOCK);
                text.insert(offset, character);
                let expected = serde_json::to_string(&text).unwrap();
                let mut written = Vec::new();
                push_json_string(&mut written, &text);
                assert_eq!(written, expected.as_bytes(), "{character:?} at {offset}");
                assert_eq!(
                    json_string_len(&text),
                    expected.len(),
                    "{character:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn the_counted_lengths_follow_the_escape_table() {
        for byte in 0..=u8::MAX {
            let expected = match ESCAPES[usize::from(byte)] {
                0 => 0,
                b'u' => MAX_ESCAPED - 1,
                _ => 1,
            };
            assert_eq!(usize::from(added_len(byte)), expected, "byte {byte:#04x}");
        }
    }

    #[test]
    fn the_body_is_the_object_with_its_fields_in_order() {
        for text in AWKWARD {
            let expected = serde_json::json!({
                "FunctionName": "hello",
                "ClientContext": text,
                "RoutingKey": r#"{"k":"v"}"#,
            });
            let body = body(Some(text));
            assert_eq!(body.json.capacity(), body.json.len(), "sized exactly");
            let bytes = body.to_vec();
            assert_eq!(bytes.len(), body.len());
            assert_eq!(bytes.capacity(), bytes.len(), "allocated once, at its size");
            let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(parsed, expected, "{text:?}");
        }
        let with_event = body(Some("{}")).to_vec();
        let expected =
            r#"{"FunctionName":"hello","ClientContext":"{}","RoutingKey":"{\"k\":\"v\"}"}"#;
        assert_eq!(String::from_utf8(with_event).unwrap(), expected);
        let without_event = body(None).to_vec();
        let expected = r#"{"FunctionName":"hello","RoutingKey":"{\"k\":\"v\"}"}"#;
        assert_eq!(String::from_utf8(without_event).unwrap(), expected);
        assert_eq!(
            BodyJson::new(&[Field::Event("Event", None)]).to_vec(),
            b"{}"
        );
    }

    #[test]
    fn read_hashed_and_written_out_bodies_are_the_same_bytes() {
        // A long event with every awkward string, so that pieces of every
        // size cut through escapes and characters.
        let event = AWKWARD.concat().repeat(50);
        for event in [None, Some(""), Some("x"), Some(event.as_str())] {
            let body = body(event);
            let whole = body.to_vec();
            for (piece, buffer_len) in [(1, 1), (3, 7), (7, 3), (PIECE, 8192), (5000, 1)] {
                let read = read_all(body.reader(piece), buffer_len);
                assert_eq!(read, whole, "piece {piece}, buffer {buffer_len}");
            }
            let sha256: [u8; 32] = Sha256::digest(&whole).into();
            assert_eq!(body.sha256(), sha256);
        }
    }

    proptest::proptest! {
        /// Any text, any cut into pieces, any reader's buffer: the same
        /// bytes as serde_json writes, by every route.
        #[test]
        fn every_route_writes_what_serde_json_writes(
            text in "(\\PC|[\\x00-\\x1f\"\\\\\\x7f\\u{2028}])*",
            piece in 1usize..40,
            buffer_len in 1usize..9,
        ) {
            let body = body(Some(&text));
            let expected = format!(
                r#"{{"FunctionName":"hello","ClientContext":{},"RoutingKey":{}}}"#,
                serde_json::to_string(&text).unwrap(),
                serde_json::to_string(r#"{"k":"v"}"#).unwrap(),
            );
            proptest::prop_assert_eq!(body.len(), expected.len());
            proptest::prop_assert_eq!(&body.to_vec(), expected.as_bytes());
            proptest::prop_assert_eq!(&read_all(body.reader(piece), buffer_len), expected.as_bytes());
            let sha256: [u8; 32] = Sha256::digest(expected.as_bytes()).into();
            proptest::prop_assert_eq!(body.sha256(), sha256);
        }
    }

    #[test]
    fn only_large_bodies_are_streamed() {
        let small = "x".repeat(STREAM_ABOVE / 2);
        let prepared = Prepared::new(body(Some(&small)), true);
        assert!(!prepared.is_streamed());
        let whole = body(Some(&small)).to_vec();
        let Source::Bytes(bytes) = prepared.source() else {
            panic!("a small body is held");
        };
        assert_eq!(bytes, whole);
        assert_eq!(
            prepared.payload(),
            Payload::Sha256(Sha256::digest(&whole).into())
        );

        let large = "\"".repeat(STREAM_ABOVE);
        let prepared = Prepared::new(body(Some(&large)), true);
        assert!(prepared.is_streamed());
        let whole = body(Some(&large)).to_vec();
        assert_eq!(prepared.len(), whole.len());
        assert_eq!(
            prepared.payload(),
            Payload::Sha256(Sha256::digest(&whole).into())
        );
        let Source::Reader(reader) = prepared.source() else {
            panic!("a streamed body is read");
        };
        assert_eq!(read_all(reader, 64 * 1024), whole);
    }

    #[test]
    fn an_unsigned_body_is_sent_the_same_and_signed_as_unsigned() {
        for len in [10, STREAM_ABOVE + 1] {
            let text = "\"".repeat(len);
            let signed = Prepared::new(body(Some(&text)), true);
            let unsigned = Prepared::new(body(Some(&text)), false);
            assert_eq!(unsigned.payload(), Payload::Unsigned, "{len}");
            assert_eq!(unsigned.is_streamed(), signed.is_streamed(), "{len}");
            assert_eq!(unsigned.len(), signed.len(), "{len}");
            let (mut sent, mut expected) = (Vec::new(), Vec::new());
            unsigned.source().read_to_end(&mut sent).unwrap();
            signed.source().read_to_end(&mut expected).unwrap();
            assert_eq!(sent, expected, "{len}");
        }
    }
}
