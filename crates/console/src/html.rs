//! Escaping and the pieces every page is made of: the shell (top bar,
//! navigation, breadcrumbs), alerts, tabs, pagination.
//!
//! Every value that did not come from this file's own literals goes through
//! [`esc`] (HTML text and quoted attributes), [`enc`] (a URL component) or
//! [`json_script`] (data for the script).

use std::fmt::Write as _;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::request::Req;

/// Escapes `s` for HTML text and for attribute values in double or single
/// quotes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters left as they are in a URL component: RFC 3986's unreserved set.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` as one URL path segment or query value.
pub(crate) fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Serialises `value` for a `<script type="application/json">` block: `<`,
/// `>` and `&` are written as JSON escapes so no text inside can close the
/// block or open a comment, and U+2028/U+2029 are escaped for old parsers.
pub(crate) fn json_script(id: &str, value: &serde_json::Value) -> String {
    let raw = value.to_string();
    let mut safe = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            c => safe.push(c),
        }
    }
    format!(
        "<script type=\"application/json\" id=\"{}\">{safe}</script>",
        esc(id)
    )
}

/// The URL of a role's page.
pub(crate) fn role_url(name: &str) -> String {
    format!("{}/roles/{}", crate::PREFIX, enc(name))
}

/// The URL of a managed policy's page.
pub(crate) fn policy_url(arn: &str) -> String {
    format!("{}/policies/view?arn={}", crate::PREFIX, enc(arn))
}

/// The hidden field every form carries.
pub(crate) fn csrf_field(req: &Req) -> String {
    format!(
        "<input type=\"hidden\" name=\"_csrf\" value=\"{}\">",
        esc(&req.token())
    )
}

/// Which navigation entry is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// The dashboard.
    Dashboard,
    /// Roles and everything under them.
    Roles,
    /// Policies.
    Policies,
}

/// Who the top bar says is using the console.
#[derive(Clone, Copy)]
pub(crate) enum Who<'a> {
    /// No sign-in: every action runs as the default account's root.
    Local,
    /// Sign-in is required and nobody is signed in yet.
    SignedOut,
    /// Signed in as the principal with this ARN.
    SignedIn(&'a str),
}

/// A page: title, navigation, breadcrumbs and body.
pub(crate) struct Page<'a> {
    /// The `<title>` and the main heading's context.
    pub title: &'a str,
    /// The navigation entry to highlight.
    pub nav: Nav,
    /// Breadcrumbs after "IAM": label and link (the last has none).
    pub crumbs: Vec<(String, Option<String>)>,
    /// The body, already HTML.
    pub body: String,
}

impl Page<'_> {
    /// The whole document.
    pub(crate) fn render(self, req: &Req, account: &str, who: Who<'_>) -> String {
        let mut out = String::with_capacity(self.body.len() + 4096);
        let _ = write!(
            out,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"csrf-token\" content=\"{token}\">\
<title>{title} | IAM | ironiam</title>\
<link rel=\"icon\" href=\"data:,\">\
<link rel=\"stylesheet\" href=\"{p}/static/app.css\">\
<script src=\"{p}/static/app.js\" defer></script></head><body>\
<header class=\"topbar\"><a class=\"brand\" href=\"{p}\"><span class=\"logo\" aria-hidden=\"true\">◆</span> ironiam</a>\
<span class=\"service\">Identity and Access Management</span><span class=\"spacer\"></span>\
{who}</header>\
<div class=\"shell\"><nav class=\"sidenav\" aria-label=\"IAM\"><div class=\"sidenav-title\">Identity and Access Management (IAM)</div>",
            token = esc(&req.token()),
            title = esc(self.title),
            p = crate::PREFIX,
            who = match who {
                Who::Local => format!(
                    "<span class=\"local-badge\" title=\"Authentication is off: every action runs as the account's root user. Use this console on your own machine only.\">Local use only · no sign-in</span>\
<span class=\"account\">Account <b>{}</b></span>",
                    esc(account)
                ),
                Who::SignedOut => String::new(),
                Who::SignedIn(arn) => format!(
                    "<span class=\"account\" id=\"signed-in-as\" title=\"{arn}\">Signed in as <b>{arn}</b></span>\
<form method=\"post\" action=\"{p}/signout\" class=\"signout\">{csrf}<button type=\"submit\" class=\"button small\" id=\"sign-out\">Sign out</button></form>",
                    arn = esc(arn),
                    p = crate::PREFIX,
                    csrf = csrf_field(req),
                ),
            },
        );
        let link = |out: &mut String, nav: Nav, href: &str, label: &str| {
            let current = if nav == self.nav {
                " aria-current=\"page\" class=\"current\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<a href=\"{}{href}\"{current}>{label}</a>",
                crate::PREFIX
            );
        };
        link(&mut out, Nav::Dashboard, "", "Dashboard");
        out.push_str("<div class=\"sidenav-section\">Access management</div>");
        link(&mut out, Nav::Roles, "/roles", "Roles");
        link(&mut out, Nav::Policies, "/policies", "Policies");
        out.push_str("<div class=\"sidenav-foot\">ironiam · AWS IAM and STS, locally</div></nav><main id=\"main\">");
        out.push_str("<ol class=\"crumbs\"><li><a href=\"");
        out.push_str(crate::PREFIX);
        out.push_str("\">IAM</a></li>");
        for (label, href) in &self.crumbs {
            match href {
                Some(h) => {
                    let _ = write!(out, "<li><a href=\"{}\">{}</a></li>", esc(h), esc(label));
                }
                None => {
                    let _ = write!(out, "<li aria-current=\"page\">{}</li>", esc(label));
                }
            }
        }
        out.push_str("</ol>");
        out.push_str(&self.body);
        out.push_str("</main></div></body></html>");
        out
    }
}

/// Kinds of alert.
#[derive(Clone, Copy)]
pub(crate) enum Alert {
    /// Green.
    Success,
    /// Red.
    Error,
    /// Blue.
    Info,
}

/// An alert box; `message_html` is already HTML.
pub(crate) fn alert(kind: Alert, title: &str, message_html: &str) -> String {
    let (class, role) = match kind {
        Alert::Success => ("success", "status"),
        Alert::Error => ("error", "alert"),
        Alert::Info => ("info", "status"),
    };
    format!(
        "<div class=\"alert {class}\" role=\"{role}\"><div class=\"alert-title\">{}</div><div class=\"alert-body\">{message_html}</div></div>",
        esc(title)
    )
}

/// An error alert for an AWS error code and message.
pub(crate) fn error_alert(code: &str, message: &str) -> String {
    alert(Alert::Error, code, &esc(message))
}

/// Tabs: `(id, label, href)`; `current` is the id shown.
pub(crate) fn tabs(items: &[(&str, String, String)], current: &str) -> String {
    let mut out = String::from("<div class=\"tabs\" role=\"tablist\">");
    for (id, label, href) in items {
        let selected = *id == current;
        let _ = write!(
            out,
            "<a role=\"tab\" id=\"tab-{}\" href=\"{}\" aria-selected=\"{selected}\"{}>{}</a>",
            esc(id),
            esc(href),
            if selected { " class=\"active\"" } else { "" },
            esc(label)
        );
    }
    out.push_str("</div>");
    out
}

/// Thousands separators, as the AWS console prints counts.
pub(crate) fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Pagination links for `total` items in pages of `size`, currently on
/// `page` (1-based); `href(n)` is the URL of page `n`.
pub(crate) fn pagination(
    total: usize,
    size: usize,
    page: usize,
    href: impl Fn(usize) -> String,
) -> String {
    let pages = total.div_ceil(size).max(1);
    let first = if total == 0 { 0 } else { (page - 1) * size + 1 };
    let last = (page * size).min(total);
    let mut out = format!(
        "<nav class=\"pager\" aria-label=\"Pages\"><span class=\"pager-info\">{}–{} of {}</span>",
        count(first),
        count(last),
        count(total)
    );
    let button = |out: &mut String, n: usize, label: &str, rel: &str, enabled: bool| {
        if enabled {
            let _ = write!(
                out,
                "<a class=\"pager-link\" rel=\"{rel}\" href=\"{}\">{label}</a>",
                esc(&href(n))
            );
        } else {
            let _ = write!(out, "<span class=\"pager-link disabled\">{label}</span>");
        }
    };
    button(
        &mut out,
        page.saturating_sub(1).max(1),
        "‹ Previous",
        "prev",
        page > 1,
    );
    // First, last, and two around the current page, with gaps shown as "…".
    let mut shown_gap = false;
    for n in 1..=pages {
        let near = n == 1 || n == pages || n.abs_diff(page) <= 2;
        if near {
            shown_gap = false;
            if n == page {
                let _ = write!(
                    out,
                    "<span class=\"pager-link current\" aria-current=\"page\">{n}</span>"
                );
            } else {
                let _ = write!(
                    out,
                    "<a class=\"pager-link\" href=\"{}\">{n}</a>",
                    esc(&href(n))
                );
            }
        } else if !shown_gap {
            shown_gap = true;
            out.push_str("<span class=\"pager-gap\">…</span>");
        }
    }
    button(
        &mut out,
        (page + 1).min(pages),
        "Next ›",
        "next",
        page < pages,
    );
    out.push_str("</nav>");
    out
}

/// A date as the console shows it: `2026-11-01 10:22 UTC`, with the ISO form
/// in the `datetime` attribute and how long ago it was.
pub(crate) fn date(iso: &str, now_epoch: i64, epoch: Option<i64>) -> String {
    let shown = iso
        .get(..16)
        .map(|d| d.replace('T', " "))
        .unwrap_or_else(|| iso.to_string());
    let ago = epoch
        .map(|e| format!("<span class=\"muted\"> · {}</span>", ago(now_epoch - e)))
        .unwrap_or_default();
    format!(
        "<time datetime=\"{}\">{} UTC</time>{ago}",
        esc(iso),
        esc(&shown)
    )
}

/// "3 minutes ago", "2 days ago".
pub(crate) fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..=59 => return "just now".to_string(),
        60..=3599 => (s / 60, "minute"),
        3600..=86_399 => (s / 3600, "hour"),
        86_400..=2_591_999 => (s / 86_400, "day"),
        2_592_000..=31_535_999 => (s / 2_592_000, "month"),
        _ => (s / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// Pretty-prints a JSON document with four-space indentation, as the AWS
/// console shows policies; a document that does not parse is returned as is.
pub(crate) fn pretty_json(document: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(document) else {
        return document.to_string();
    };
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    match serde::Serialize::serialize(&value, &mut ser) {
        Ok(()) => String::from_utf8(buf).unwrap_or_else(|_| document.to_string()),
        Err(_) => document.to_string(),
    }
}

/// A policy document in a read-only code block.
pub(crate) fn code_block(document: &str, label: &str) -> String {
    format!(
        "<pre class=\"code\" tabindex=\"0\" aria-label=\"{}\"><code>{}</code></pre>",
        esc(label),
        esc(&pretty_json(document))
    )
}
