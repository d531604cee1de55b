//! The policy picker of "Attach policies" and of the Create role wizard:
//! every attachable AWS managed policy (~1,590) and every customer managed
//! policy, with a Filter box.
//!
//! The server renders the first [`SHOWN`] matches of the filter (so the page
//! works without script) and the whole list as compact JSON; the script then
//! filters that list in the browser on every keystroke, draws at most
//! [`SHOWN`] rows, and keeps the selection across filters.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ironiam_core::service::{PolicyFilter, PolicyScope};

use super::Ctx;
use crate::html::{count, esc, json_script, policy_url};
use crate::validate::ApiError;

/// Rows drawn at once.
pub(crate) const SHOWN: usize = 50;

/// Longest description carried to the browser.
const DESCRIPTION_CHARS: usize = 160;

/// A policy as the picker lists it.
pub(crate) struct PolicyRow {
    /// PolicyName.
    pub name: String,
    /// Arn.
    pub arn: String,
    /// 0 AWS managed, 1 AWS managed job function, 2 customer managed.
    pub kind: u8,
    /// Description, shortened.
    pub description: String,
    /// Attached entities.
    pub attachments: usize,
}

/// The label of a row kind.
pub(crate) fn kind_label(kind: u8) -> &'static str {
    match kind {
        0 => "AWS managed",
        1 => "AWS managed – job function",
        _ => "Customer managed",
    }
}

/// The kind of a policy with `arn` and `path`.
pub(crate) fn kind_of(arn: &str, path: &str) -> u8 {
    if !arn.starts_with("arn:aws:iam::aws:") {
        2
    } else if path == "/job-function/" {
        1
    } else {
        0
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= DESCRIPTION_CHARS {
        return s.to_string();
    }
    let mut t: String = s.chars().take(DESCRIPTION_CHARS - 1).collect();
    t.push('…');
    t
}

/// Every attachable managed policy, in name order.
pub(crate) fn all_policies(ctx: &Ctx) -> Result<Vec<PolicyRow>, ApiError> {
    ctx.allow("ListPolicies", &[])?;
    let filter = PolicyFilter {
        scope: PolicyScope::All,
        only_attached: false,
        path_prefix: "/".into(),
        usage: None,
    };
    let mut rows = Vec::with_capacity(1700);
    let mut marker: Option<String> = None;
    loop {
        let page =
            ctx.service
                .list_policies(&ctx.caller, &filter, marker.as_deref(), Some(1000))?;
        for p in page.items {
            if !p.is_attachable {
                continue;
            }
            rows.push(PolicyRow {
                kind: kind_of(&p.arn, &p.path),
                description: shorten(p.description.as_deref().unwrap_or("")),
                attachments: p.attachment_count,
                name: p.name,
                arn: p.arn,
            });
        }
        match page.marker {
            Some(m) => marker = Some(m),
            None => return Ok(rows),
        }
    }
}

/// Whether `row` passes the filter text (`needle`, lowercase) and type
/// (`""`, `aws`, `job`, `customer`).
pub(crate) fn matches(row: &PolicyRow, needle: &str, kind: &str) -> bool {
    let kind_ok = match kind {
        "aws" => row.kind <= 1,
        "job" => row.kind == 1,
        "customer" => row.kind == 2,
        _ => true,
    };
    kind_ok && (needle.is_empty() || row.name.to_lowercase().contains(needle))
}

/// What the picker shows.
pub(crate) struct Picker<'a> {
    /// Every policy.
    pub rows: &'a [PolicyRow],
    /// Selected ARNs.
    pub selected: &'a BTreeSet<String>,
    /// ARNs not offered (already attached).
    pub exclude: &'a BTreeSet<String>,
    /// The filter text.
    pub filter: &'a str,
    /// The type filter.
    pub kind: &'a str,
    /// The id of the form the filter box submits without script.
    pub filter_form: &'a str,
    /// The heading.
    pub heading: &'a str,
    /// Choose exactly one policy (a permissions boundary) instead of several.
    pub single: bool,
}

/// The picker's HTML (to be placed inside the form that posts `arn`s).
pub(crate) fn render(p: &Picker) -> String {
    let offered: Vec<&PolicyRow> = p
        .rows
        .iter()
        .filter(|r| !p.exclude.contains(&r.arn))
        .collect();
    let needle = p.filter.to_lowercase();
    // Selected policies first, then the rest in name order.
    let mut matching: Vec<&&PolicyRow> = offered
        .iter()
        .filter(|r| matches(r, &needle, p.kind))
        .collect();
    matching.sort_by_key(|r| !p.selected.contains(&r.arn));
    let mut out = String::with_capacity(32 * 1024 + offered.len() * 200);
    let _ = write!(
        out,
        "<div class=\"picker\" data-policy-picker=\"policy-data\"{single}>\
<div class=\"picker-head\"><h2>{heading} <span class=\"count\">(<span data-picker-total>{total}</span>)</span></h2>\
<p class=\"muted\">{hint} Type in the Filter box to narrow the list.</p></div>\
<div class=\"toolbar\"><label class=\"search\"><span class=\"visually-hidden\">Filter policies</span>\
<input type=\"search\" name=\"filter\" form=\"{form}\" id=\"policy-filter\" value=\"{filter}\" placeholder=\"Filter policies by name\" autocomplete=\"off\" data-picker-filter></label>\
<label class=\"inline-field\">Type <select name=\"type\" form=\"{form}\" id=\"policy-type\" data-picker-type>",
        heading = esc(p.heading),
        single = if p.single { " data-single=\"true\"" } else { "" },
        hint = if p.single { "Choose one policy." } else { "Choose one or more policies to attach." },
        total = count(offered.len()),
        form = esc(p.filter_form),
        filter = esc(p.filter),
    );
    for (value, label) in [
        ("", "All types"),
        ("aws", "AWS managed"),
        ("job", "AWS managed – job function"),
        ("customer", "Customer managed"),
    ] {
        let selected = if value == p.kind { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{value}\"{selected}>{label}</option>");
    }
    let _ = write!(
        out,
        "</select></label><button type=\"submit\" class=\"button\" form=\"{}\" data-picker-apply>Filter</button></div>",
        esc(p.filter_form)
    );

    // Selected policies, as chips that keep the selection while filtering.
    out.push_str("<div class=\"chips\" data-picker-chips aria-label=\"Selected policies\">");
    let visible: BTreeSet<&str> = matching
        .iter()
        .take(SHOWN)
        .map(|r| r.arn.as_str())
        .collect();
    let mut chosen = 0;
    for arn in p.selected {
        chosen += 1;
        if visible.contains(arn.as_str()) {
            continue;
        }
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let _ = write!(
            out,
            "<label class=\"chip\"><input type=\"checkbox\" name=\"arn\" value=\"{}\" checked> {}</label>",
            esc(arn),
            esc(name)
        );
    }
    out.push_str("</div>");
    let _ = write!(
        out,
        "<p class=\"picker-info muted\" data-picker-info>{}</p>",
        info(matching.len().min(SHOWN), matching.len(), chosen)
    );

    out.push_str(
        "<table class=\"table picker-table\"><thead><tr><th class=\"check\"><span class=\"visually-hidden\">Select</span></th>\
<th scope=\"col\">Policy name</th><th scope=\"col\">Type</th><th scope=\"col\">Path</th><th scope=\"col\">Attached entities</th></tr></thead><tbody data-picker-rows>",
    );
    for r in matching.iter().take(SHOWN) {
        row_html(&mut out, r, p.selected.contains(&r.arn));
    }
    if matching.is_empty() {
        out.push_str(
            "<tr><td colspan=\"5\" class=\"empty\">No policies match the filter.</td></tr>",
        );
    }
    out.push_str("</tbody></table>");

    // The whole list for the script: [name, arn, kind, description, attachments].
    let data: Vec<serde_json::Value> = offered
        .iter()
        .map(|r| serde_json::json!([r.name, r.arn, r.kind, r.description, r.attachments]))
        .collect();
    let selected: Vec<&String> = p.selected.iter().collect();
    out.push_str(&json_script(
        "policy-data",
        &serde_json::json!({"rows": data, "selected": selected}),
    ));
    out.push_str("</div>");
    out
}

fn info(shown: usize, matching: usize, chosen: usize) -> String {
    let mut s = if shown < matching {
        format!(
            "Showing {} of {} matching policies — refine the filter to see others.",
            count(shown),
            count(matching)
        )
    } else {
        format!(
            "{} matching {}.",
            count(matching),
            if matching == 1 { "policy" } else { "policies" }
        )
    };
    if chosen > 0 {
        let _ = write!(s, " {} selected.", count(chosen));
    }
    s
}

fn row_html(out: &mut String, r: &PolicyRow, checked: bool) {
    let _ = write!(
        out,
        "<tr><td class=\"check\"><input type=\"checkbox\" name=\"arn\" value=\"{arn}\" aria-label=\"Select {name}\"{checked}></td>\
<td><a href=\"{url}\">{name}</a> <button type=\"button\" class=\"link json-toggle\" data-arn=\"{arn}\" aria-expanded=\"false\">JSON</button>{desc}</td>\
<td>{kind}</td><td><code>{path}</code></td><td>{att}</td></tr>",
        arn = esc(&r.arn),
        name = esc(&r.name),
        checked = if checked { " checked" } else { "" },
        url = esc(&policy_url(&r.arn)),
        kind = kind_label(r.kind),
        att = r.attachments,
        path = esc(ironiam_core::service::policy_path_of(&r.arn)),
        desc = if r.description.is_empty() { String::new() } else { format!("<span class=\"desc block\">{}</span>", esc(&r.description)) },
    );
}
