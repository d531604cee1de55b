//! The XML side of the AWS Query protocol: response envelopes, error documents, and the
//! escaping they need.
//!
//! A success is
//!
//! ```xml
//! <CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//!   <CreateRoleResult>…</CreateRoleResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//! </CreateRoleResponse>
//! ```
//!
//! where the `Result` element is there exactly when the model gives the operation a
//! `resultWrapper` (operations such as `DeleteRole` have only `ResponseMetadata`). An error
//! is `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
//! ironiam writes both without whitespace and without an XML declaration, as SDKs accept.
//!
//! Text is escaped for `&`, `<`, `>` and `"` (AWS writes `&quot;`, e.g. in STS's
//! `DecodedMessage`). A carriage return is written `&#xD;` so that parsers, which turn a
//! raw CR into LF, give it back unchanged. Characters XML 1.0 cannot carry at all (most C0
//! controls, U+FFFE, U+FFFF) become U+FFFD rather than a document no client can parse.

use std::fmt::Write as _;

use crate::model::{self, Service};

/// A small, fast XML writer: elements are appended to one `String`.
///
/// Tags are written as given (they come from the model, never from a request); text is
/// escaped.
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    buf: String,
    /// Bytes kept free before the content (see [`XmlWriter::for_result`]);
    /// they are not part of the document.
    room: usize,
}

/// Room kept before a result for its response's opening elements: an
/// operation's name twice, the service's namespace and punctuation.
const ENVELOPE_ROOM: usize = ROOM.len();
/// What fills that room until the envelope is written into it.
const ROOM: &str = concat!(
    "                                                                ",
    "                                                                ",
    "                                                                ",
);

/// A success response built around a result without copying it (see
/// [`XmlWriter::into_success`]).
#[derive(Debug)]
pub struct SuccessBody {
    /// The buffer (UTF-8); the response is `buf[start..]`.
    pub buf: Vec<u8>,
    /// Where the response starts in `buf`.
    pub start: usize,
    /// Where the result (inside `<{Op}Result>`) lies in `buf`.
    pub result: std::ops::Range<usize>,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        XmlWriter {
            buf: String::with_capacity(capacity),
            room: 0,
        }
    }

    /// An empty writer for an operation's result, keeping room before it
    /// for the response's opening elements: [`XmlWriter::into_success`]
    /// then wraps the result where it lies instead of copying it into a
    /// new document (a ListRoles page is ~60 KB).
    pub fn for_result(capacity: usize) -> Self {
        let mut buf = String::with_capacity(ENVELOPE_ROOM + capacity);
        buf.push_str(ROOM);
        XmlWriter {
            buf,
            room: ENVELOPE_ROOM,
        }
    }

    /// The success response of `operation` with this writer as its result,
    /// as [`write_success`] writes it with a result that appends this one.
    pub fn into_success(self, service: Service, operation: &str, request_id: &str) -> SuccessBody {
        let wrapper = match model::operation(Some(service), operation) {
            Some(op) => op.result_wrapper.map(std::borrow::Cow::Borrowed),
            None => Some(std::borrow::Cow::Owned(format!("{operation}Result"))),
        };
        let mut open = String::with_capacity(ENVELOPE_ROOM);
        if let Some(wrapper) = &wrapper {
            open_response(&mut open, service, operation);
            open.push('<');
            open.push_str(wrapper);
            open.push('>');
        }
        let (Some(wrapper), false, true) = (wrapper, self.is_empty(), open.len() <= self.room)
        else {
            // No wrapper (the result is dropped, as write_success drops it),
            // nothing inside, or a name too long for the room: copied.
            let buf = write_success(
                service,
                operation,
                request_id,
                Some(&|w| w.append(self.as_str())),
            );
            let len = buf.len();
            return SuccessBody {
                buf: buf.into_bytes(),
                start: 0,
                result: len..len,
            };
        };
        let mut buf = self.buf;
        let result = self.room..buf.len();
        buf.push_str("</");
        buf.push_str(&wrapper);
        buf.push('>');
        close_response(&mut buf, operation, request_id);
        // The opening elements overwrite the end of the room, byte for byte
        // (String::replace_range splices, at a cost seen in profiles).
        let mut buf = buf.into_bytes();
        let start = self.room - open.len();
        buf[start..self.room].copy_from_slice(open.as_bytes());
        SuccessBody { buf, start, result }
    }

    /// `<tag>`.
    pub fn start(&mut self, tag: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// `<tag xmlns="…">`.
    pub fn start_with_xmlns(&mut self, tag: &str, xmlns: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str(" xmlns=\"");
        escape_into(&mut self.buf, xmlns);
        self.buf.push_str("\">");
    }

    /// `</tag>`.
    pub fn end(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// `<tag/>`.
    pub fn empty(&mut self, tag: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str("/>");
    }

    /// Escaped text.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.buf, text);
    }

    /// `<tag>text</tag>`, text escaped.
    pub fn element(&mut self, tag: &str, text: &str) {
        self.start(tag);
        self.text(text);
        self.end(tag);
    }

    /// [`element`](Self::element) when `text` is `Some`, nothing otherwise: AWS leaves
    /// absent members out rather than writing them empty.
    pub fn element_opt(&mut self, tag: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.element(tag, text);
        }
    }

    /// `<tag>true</tag>` or `<tag>false</tag>`.
    pub fn bool_element(&mut self, tag: &str, value: bool) {
        self.element(tag, if value { "true" } else { "false" });
    }

    /// `<tag>n</tag>`.
    pub fn int_element(&mut self, tag: &str, value: i64) {
        self.start(tag);
        // Writing to a String cannot fail.
        let _ = write!(self.buf, "{value}");
        self.end(tag);
    }

    /// `<tag>` + children written by `f` + `</tag>`.
    pub fn nested(&mut self, tag: &str, f: impl FnOnce(&mut XmlWriter)) {
        self.start(tag);
        f(self);
        self.end(tag);
    }

    /// A list as the query protocol writes it: `<tag><member>…</member>…</tag>`, each
    /// element's content written by `f`; an empty list is `<tag/>`.
    pub fn list<T>(
        &mut self,
        tag: &str,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut XmlWriter, T),
    ) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            self.empty(tag);
            return;
        }
        self.start(tag);
        for item in items {
            self.start("member");
            f(self, item);
            self.end("member");
        }
        self.end(tag);
    }

    /// A list of strings: `<tag><member>a</member><member>b</member></tag>`.
    pub fn string_list<'a>(&mut self, tag: &str, items: impl IntoIterator<Item = &'a str>) {
        self.list(tag, items, |w, s| w.text(s));
    }

    /// Appends XML that an `XmlWriter` produced earlier (already escaped and
    /// balanced), e.g. a cached fragment.
    pub fn append(&mut self, xml: &str) {
        self.buf.push_str(xml);
    }

    /// Makes room for `additional` more bytes at once (one allocation for a
    /// large result copied in, rather than growth by doubling).
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// The document so far.
    pub fn as_str(&self) -> &str {
        &self.buf[self.room..]
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len() - self.room
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == self.room
    }

    /// The document.
    pub fn into_string(self) -> String {
        match self.room {
            0 => self.buf,
            room => self.buf[room..].to_string(),
        }
    }
}

/// Appends `text` to `out`, escaped for XML text and attribute values.
/// Every response goes through here: words of eight bytes with nothing to
/// escape (see [`crate::scan`]) are skipped whole.
pub fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = crate::scan::word_at(bytes, i) {
            let special = crate::scan::has_byte_below(word, 0x20)
                || [b'&', b'<', b'>', b'"', 0xEF]
                    .iter()
                    .any(|&b| crate::scan::has_byte(word, b));
            if !special {
                i += 8;
                continue;
            }
        }
        let (replacement, width) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\r' => ("&#xD;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0x00..=0x1f => ("\u{FFFD}", 1),
            // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters.
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => ("\u{FFFD}", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[last..i]);
        out.push_str(replacement);
        i += width;
        last = i;
    }
    out.push_str(&text[last..]);
}

/// Writes a success response for `operation` of `service`.
///
/// `result` writes the members of the output inside `<{Op}Result>`. Whether that element
/// exists follows the model: operations with a `resultWrapper` always have it (`<…Result/>`
/// when `result` writes nothing or is `None`), operations without one never do, and
/// `result` is then not called. An operation unknown to the model gets `<{Op}Result>` when
/// `result` is given.
pub fn write_success(
    service: Service,
    operation: &str,
    request_id: &str,
    result: Option<&dyn Fn(&mut XmlWriter)>,
) -> String {
    let mut w = XmlWriter::with_capacity(512);
    open_response(&mut w.buf, service, operation);

    let known = model::operation(Some(service), operation);
    let generic_wrapper;
    let wrapper: Option<&str> = match known {
        Some(op) => op.result_wrapper,
        None if result.is_some() => {
            generic_wrapper = format!("{operation}Result");
            Some(&generic_wrapper)
        }
        None => None,
    };
    if let Some(wrapper) = wrapper {
        w.start(wrapper);
        let before = w.len();
        if let Some(result) = result {
            result(&mut w);
        }
        if w.len() == before {
            // Nothing inside: `<XResult></XResult>` becomes `<XResult/>`.
            w.buf.truncate(before - wrapper.len() - 2);
            w.empty(wrapper);
        } else {
            w.end(wrapper);
        }
    }

    close_response(&mut w.buf, operation, request_id);
    w.into_string()
}

/// `<{Op}Response xmlns="…">`, written piecewise: this runs on every request.
fn open_response(out: &mut String, service: Service, operation: &str) {
    out.push('<');
    out.push_str(operation);
    out.push_str("Response xmlns=\"");
    out.push_str(service.xmlns());
    out.push_str("\">");
}

/// `<ResponseMetadata>…</{Op}Response>`.
fn close_response(out: &mut String, operation: &str, request_id: &str) {
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(out, request_id);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(operation);
    out.push_str("Response>");
}

/// Writes an error response.
///
/// `sender_fault` chooses `<Type>Sender</Type>` (the client's fault) or `Receiver`.
pub fn write_error(
    service: Service,
    sender_fault: bool,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let mut w = XmlWriter::with_capacity(200 + message.len());
    w.start_with_xmlns("ErrorResponse", service.xmlns());
    w.start("Error");
    w.element("Type", if sender_fault { "Sender" } else { "Receiver" });
    w.element("Code", code);
    w.element("Message", message);
    w.end("Error");
    w.element("RequestId", request_id);
    w.end("ErrorResponse");
    w.into_string()
}

/// RFC 3986 unreserved characters, the only ones left as they are.
const POLICY_ENCODE_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a policy document the way IAM returns them inside XML
/// (`GetRolePolicy`, `GetRole`'s `AssumeRolePolicyDocument`, `GetPolicyVersion`…).
///
/// AWS documents these as "URL-encoded compliant with RFC 3986": only `A-Z a-z 0-9 - . _ ~`
/// stay as they are, a space is `%20` (never `+`), and `/`, `*` and `:` are encoded
/// (`arn%3Aaws%3As3%3A%3A%3Abucket%2F%2A`), with upper-case hex digits.
pub fn url_encode_policy(doc: &str) -> String {
    percent_encoding::utf8_percent_encode(doc, POLICY_ENCODE_SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c' é\r\n\t\u{1}\u{FFFF}z");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c' é&#xD;\n\t\u{FFFD}\u{FFFD}z");
    }

    proptest::proptest! {
        /// The fast escaper answers as escaping one character at a time does.
        #[test]
        fn escaping_matches_the_character_rules(text in "\\PC*|[\\x00-\\x7f\u{FFFE}\u{FFFF}&<>\"]*") {
            let mut fast = String::new();
            escape_into(&mut fast, &text);
            let mut slow = String::new();
            for c in text.chars() {
                match c {
                    '&' => slow.push_str("&amp;"),
                    '<' => slow.push_str("&lt;"),
                    '>' => slow.push_str("&gt;"),
                    '"' => slow.push_str("&quot;"),
                    '\r' => slow.push_str("&#xD;"),
                    '\t' | '\n' => slow.push(c),
                    '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => slow.push('\u{FFFD}'),
                    _ => slow.push(c),
                }
            }
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn policy_encoding() {
        assert_eq!(
            url_encode_policy(r#"{"Version": "2012-10-17", "Resource": "arn:aws:s3:::b/*~"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A~%22%7D"
        );
        assert_eq!(url_encode_policy("é\n"), "%C3%A9%0A");
    }

    /// A result wrapped where it lies reads exactly as write_success
    /// writes it, for operations with and without a result wrapper, unknown
    /// ones, empty results and names too long for the room.
    #[test]
    fn a_result_is_wrapped_as_write_success_wraps_it() {
        let long = "X".repeat(300);
        for (service, op) in [
            (Service::Iam, "ListRoles"),
            (Service::Iam, "DeleteRole"),
            (Service::Sts, "GetCallerIdentity"),
            (Service::Iam, "NoSuchOperation"),
            (Service::Iam, long.as_str()),
        ] {
            for content in [
                "",
                "<Roles><member><RoleName>a&amp;b</RoleName></member></Roles>",
            ] {
                let mut w = XmlWriter::for_result(16);
                w.append(content);
                assert_eq!(w.as_str(), content);
                assert_eq!(w.len(), content.len());
                let expected = write_success(service, op, "req-1", Some(&|x| x.append(content)));
                let body = w.into_success(service, op, "req-1");
                assert_eq!(
                    &body.buf[body.start..],
                    expected.as_bytes(),
                    "{op} {content:?}"
                );
                if body.start > 0 {
                    assert_eq!(&body.buf[body.result.clone()], content.as_bytes());
                }
            }
        }
    }

    #[test]
    fn writer_helpers() {
        let mut w = XmlWriter::new();
        w.nested("Role", |w| {
            w.element("RoleName", "a&b");
            w.element_opt("Description", None);
            w.int_element("MaxSessionDuration", 3600);
            w.bool_element("IsTruncated", false);
            w.string_list("Ids", ["x", "y"]);
            w.string_list("Empty", []);
        });
        assert_eq!(
            w.as_str(),
            "<Role><RoleName>a&amp;b</RoleName><MaxSessionDuration>3600</MaxSessionDuration>\
             <IsTruncated>false</IsTruncated><Ids><member>x</member><member>y</member></Ids>\
             <Empty/></Role>"
        );
    }
}
