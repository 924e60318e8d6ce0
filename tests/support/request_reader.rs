//! Reading HTTP/1.1 requests off a byte stream, the one way every test
//! server here does it: a plain socket or a TLS session alike.

use std::io::Read;

/// The longest request head read; a client sending more is not one of ours.
const HEAD_LIMIT: usize = 64 * 1024;

/// One request as a server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target: a path, or `host:port` for `CONNECT`.
    pub path: String,
    /// Header names in lowercase, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent a JSON body")
    }
}

/// Reads requests one after another from a connection, keeping the bytes
/// that arrived past the end of one for the next, as keep-alive needs.
///
/// The stream is passed to each call rather than held, so that a server
/// can still write to it, or hand it on, between requests.
#[derive(Default)]
pub struct RequestReader {
    buffer: Vec<u8>,
}

impl RequestReader {
    /// Reads the next request's line and headers, without its body. `None`
    /// when the peer closed the connection, stayed silent past the
    /// stream's read timeout, or sent more than [`HEAD_LIMIT`] bytes.
    pub fn read_head(&mut self, stream: &mut impl Read) -> Option<(String, Vec<(String, String)>)> {
        let end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i;
            }
            if self.buffer.len() > HEAD_LIMIT || !self.fill(stream) {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.buffer.drain(..end + 4);

        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Some((line, headers))
    }

    /// Reads the next whole request: its head, then as many body bytes as
    /// its `Content-Length` says. `None` as for [`read_head`], or when the
    /// body is cut short or the request line is malformed.
    ///
    /// [`read_head`]: RequestReader::read_head
    pub fn read_request(&mut self, stream: &mut impl Read) -> Option<Request> {
        let (line, headers) = self.read_head(stream)?;
        let mut parts = line.split(' ');
        let method = parts.next().filter(|m| !m.is_empty())?.to_owned();
        let path = parts.next()?.to_owned();

        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buffer.len() < length {
            if !self.fill(stream) {
                return None;
            }
        }
        let body = self.buffer.drain(..length).collect();
        Some(Request {
            method,
            path,
            headers,
            body,
        })
    }

    /// Appends whatever the stream has next; false at its end or on error.
    fn fill(&mut self, stream: &mut impl Read) -> bool {
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
