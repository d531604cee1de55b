//! The role picture: who can assume the role (left), the role (middle), and
//! what it can do (right), drawn as SVG on the server.

use std::fmt::Write as _;

use crate::access::{Level, Summary};
use crate::html::esc;
use crate::trust::{Kind, Trusted};

const WIDTH: i32 = 960;
const ROW: i32 = 64;
const TOP: i32 = 44;
const BOX_H: i32 = 48;
const LEFT_X: i32 = 16;
const LEFT_W: i32 = 300;
const ROLE_X: i32 = 390;
const ROLE_W: i32 = 180;
const RIGHT_X: i32 = 644;
const RIGHT_W: i32 = 300;
/// At most this many boxes per side; the rest is counted in a last box.
const MAX_ROWS: usize = 8;

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn kind_class(kind: Kind) -> &'static str {
    match kind {
        Kind::Service => "p-service",
        Kind::Aws => "p-account",
        Kind::Federated => "p-federated",
        Kind::Everyone => "p-everyone",
        Kind::CanonicalUser => "p-account",
    }
}

/// The picture of a role named `role` trusting `trusted` and granting `summary`.
pub(crate) fn role_picture(role: &str, trusted: &[Trusted], summary: &Summary) -> String {
    // Up to MAX_ROWS boxes, or MAX_ROWS + 1 when that shows everything.
    let left_rows = trusted.len().clamp(1, MAX_ROWS + 1);
    let right_rows = summary.allowed.len().clamp(1, MAX_ROWS + 1);
    let rows = left_rows.max(right_rows) as i32;
    let height = TOP + rows * ROW + 8 + if summary.denied.is_empty() { 0 } else { 28 };
    let role_cy = TOP + (rows * ROW) / 2 - 4;
    let mut s = String::with_capacity(4096);
    let _ = write!(
        s,
        "<svg class=\"role-picture\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"pic-title pic-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"pic-title\">Who can assume {role} and what it can do</title>\
<desc id=\"pic-desc\">{n_t} trusted principal(s) on the left, {n_s} service(s) on the right.</desc>\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>\
<text class=\"pic-heading\" x=\"{LEFT_X}\" y=\"22\">Who can assume this role</text>\
<text class=\"pic-heading\" x=\"{RIGHT_X}\" y=\"22\">What it can do</text>",
        role = esc(role),
        n_t = trusted.len(),
        n_s = summary.allowed.len(),
    );

    // Left: trusted principals.
    let row_y = |i: usize| TOP + i as i32 * ROW;
    if trusted.is_empty() {
        let y = row_y(0);
        let _ = write!(
            s,
            "<g class=\"pic-box p-none\"><rect x=\"{LEFT_X}\" y=\"{y}\" width=\"{LEFT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<text class=\"pic-value\" x=\"{}\" y=\"{}\">No one can assume this role</text></g>",
            LEFT_X + 14,
            y + 29
        );
    }
    let shown = if trusted.len() > MAX_ROWS + 1 {
        MAX_ROWS
    } else {
        trusted.len()
    };
    for (i, t) in trusted.iter().take(shown).enumerate() {
        let y = row_y(i);
        let cy = y + BOX_H / 2;
        let _ = write!(
            s,
            "<g class=\"pic-box {class}\" data-principal=\"{value}\"><title>{label}{cond}</title>\
<rect x=\"{LEFT_X}\" y=\"{y}\" width=\"{LEFT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<rect class=\"pic-stripe\" x=\"{LEFT_X}\" y=\"{y}\" width=\"6\" height=\"{BOX_H}\" rx=\"3\"/>\
<text class=\"pic-kind\" x=\"{tx}\" y=\"{ky}\">{kind}{cond_short}</text>\
<text class=\"pic-value\" x=\"{tx}\" y=\"{vy}\">{short}</text></g>\
<path class=\"pic-edge\" d=\"M{x1},{cy} C{mx},{cy} {mx},{role_cy} {x2},{role_cy}\" marker-end=\"url(#arrow)\"/>",
            class = kind_class(t.kind),
            value = esc(&t.value),
            label = esc(&t.label()),
            cond = if t.conditional { " (with conditions)" } else { "" },
            tx = LEFT_X + 16,
            ky = y + 18,
            vy = y + 37,
            kind = esc(t.kind_label()),
            cond_short = if t.conditional { " · conditional" } else { "" },
            short = esc(&truncate(&t.value, 38)),
            x1 = LEFT_X + LEFT_W,
            mx = (LEFT_X + LEFT_W + ROLE_X) / 2,
            x2 = ROLE_X - 2,
        );
    }
    if shown < trusted.len() {
        let y = row_y(shown);
        let _ = write!(
            s,
            "<g class=\"pic-box p-more\"><rect x=\"{LEFT_X}\" y=\"{y}\" width=\"{LEFT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<text class=\"pic-value\" x=\"{}\" y=\"{}\">+ {} more (see Trust relationships)</text></g>",
            LEFT_X + 16,
            y + 29,
            trusted.len() - shown
        );
    }

    // Middle: the role.
    let ry = role_cy - 34;
    let _ = write!(
        s,
        "<g class=\"pic-role\"><rect x=\"{ROLE_X}\" y=\"{ry}\" width=\"{ROLE_W}\" height=\"68\" rx=\"12\"/>\
<text class=\"pic-kind\" x=\"{cx}\" y=\"{ky}\" text-anchor=\"middle\">IAM role</text>\
<text class=\"pic-role-name\" x=\"{cx}\" y=\"{ny}\" text-anchor=\"middle\">{name}</text></g>\
<text class=\"pic-edge-label\" x=\"{lx}\" y=\"{ly}\" text-anchor=\"middle\">assumes</text>",
        cx = ROLE_X + ROLE_W / 2,
        ky = ry + 26,
        ny = ry + 48,
        name = esc(&truncate(role, 22)),
        lx = (LEFT_X + LEFT_W + ROLE_X) / 2,
        ly = role_cy - 8,
    );

    // Right: services and access levels.
    if summary.allowed.is_empty() {
        let y = row_y(0);
        let _ = write!(
            s,
            "<g class=\"pic-box p-none\"><rect x=\"{RIGHT_X}\" y=\"{y}\" width=\"{RIGHT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<text class=\"pic-value\" x=\"{}\" y=\"{}\">No permissions yet — attach a policy</text></g>",
            RIGHT_X + 14,
            y + 29
        );
    }
    // The weightiest grants first: full access, then what can change things,
    // then the most levels; the table under the picture lists them all.
    let mut ranked: Vec<&crate::access::ServiceAccess> = summary.allowed.iter().collect();
    ranked.sort_by_key(|a| {
        let changes = a.levels.contains(&Level::Write) || a.levels.contains(&Level::Permissions);
        (
            a.prefix != "*",
            !a.full,
            !changes,
            std::cmp::Reverse(a.levels.len()),
            a.name.to_lowercase(),
        )
    });
    let shown = if ranked.len() > MAX_ROWS + 1 {
        MAX_ROWS
    } else {
        ranked.len()
    };
    for (i, a) in ranked.into_iter().take(shown).enumerate() {
        let y = row_y(i);
        let cy = y + BOX_H / 2;
        let class = if a.full { "s-full" } else { "s-partial" };
        let _ = write!(
            s,
            "<path class=\"pic-edge\" d=\"M{x1},{role_cy} C{mx},{role_cy} {mx},{cy} {x2},{cy}\" marker-end=\"url(#arrow)\"/>\
<g class=\"pic-box pic-service {class}\" data-service=\"{prefix}\"><title>{name}: {levels}{cond}{limited}</title>\
<rect x=\"{RIGHT_X}\" y=\"{y}\" width=\"{RIGHT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<text class=\"pic-value\" x=\"{tx}\" y=\"{vy}\">{short}</text>",
            x1 = ROLE_X + ROLE_W,
            mx = (ROLE_X + ROLE_W + RIGHT_X) / 2,
            x2 = RIGHT_X - 2,
            prefix = esc(&a.prefix),
            name = esc(&a.name),
            levels = esc(&a.levels_label()),
            cond = if a.conditional { "; some grants have conditions" } else { "" },
            limited = if a.limited { "; some grants are limited to resources" } else { "" },
            tx = RIGHT_X + 14,
            vy = y + 19,
            short = esc(&truncate(&a.name, 32)),
        );
        let mut cx = RIGHT_X + 14;
        for chip in a.chips() {
            let w = 12 + (chip.len() as i32 * 29) / 5;
            let _ = write!(
                s,
                "<g class=\"pic-chip\"><rect x=\"{cx}\" y=\"{}\" width=\"{w}\" height=\"16\" rx=\"8\"/><text x=\"{}\" y=\"{}\">{chip}</text></g>",
                y + 26,
                cx + 6,
                y + 38
            );
            cx += w + 4;
        }
        s.push_str("</g>");
    }
    if shown < summary.allowed.len() {
        let y = row_y(shown);
        let _ = write!(
            s,
            "<g class=\"pic-box p-more\"><rect x=\"{RIGHT_X}\" y=\"{y}\" width=\"{RIGHT_W}\" height=\"{BOX_H}\" rx=\"8\"/>\
<text class=\"pic-value\" x=\"{}\" y=\"{}\">+ {} more services (table below)</text></g>",
            RIGHT_X + 16,
            y + 29,
            summary.allowed.len() - shown
        );
    }
    if !summary.denied.is_empty() {
        let denied: Vec<&str> = summary.denied.iter().map(String::as_str).collect();
        let _ = write!(
            s,
            "<text class=\"pic-denied\" x=\"{RIGHT_X}\" y=\"{}\">Explicitly denied: {}</text>",
            TOP + rows * ROW + 14,
            esc(&truncate(&denied.join(", "), 60))
        );
    }
    s.push_str("</svg>");
    s
}
