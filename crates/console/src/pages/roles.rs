//! The roles list: search, path filter, sortable columns, pages.
//!
//! Filtering, sorting and paging happen on the server over every role of the
//! account, so a page carries at most `size` rows however many roles there
//! are; the script only fetches the `#results` fragment as you type.

use std::fmt::Write as _;

use hyper::StatusCode;

use ironiam_core::entities::RoleLastUsed;

use super::role::last_activity;
use super::{now, Ctx};
use crate::html::{alert, count, date, enc, esc, pagination, role_url, Alert, Nav, Page};
use crate::Out;

/// Page sizes offered.
const SIZES: [usize; 3] = [25, 50, 100];

struct Row {
    name: String,
    role_id: String,
    path: String,
    trusted: String,
    created: i64,
    created_iso: String,
    /// `None` inside: never used. `None` outside: the caller may not see it.
    last_used: Option<Option<RoleLastUsed>>,
}

#[derive(Clone)]
struct View {
    q: String,
    path: String,
    sort: &'static str,
    desc: bool,
    page: usize,
    size: usize,
}

impl View {
    fn from(ctx: &Ctx) -> View {
        let sort = match ctx.req.q("sort") {
            Some("path") => "path",
            Some("trusted") => "trusted",
            Some("created") => "created",
            Some("activity") => "activity",
            _ => "name",
        };
        let size = ctx
            .req
            .q("size")
            .and_then(|s| s.parse().ok())
            .filter(|s| SIZES.contains(s))
            .unwrap_or(50);
        View {
            q: ctx.req.q_or_empty("q").to_string(),
            path: ctx.req.q_or_empty("path").to_string(),
            sort,
            desc: ctx.req.q("order") == Some("desc"),
            page: ctx
                .req
                .q("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            size,
        }
    }

    fn href(&self) -> String {
        let mut out = format!("{}/roles?", crate::PREFIX);
        let mut params = Vec::new();
        if !self.q.is_empty() {
            params.push(format!("q={}", enc(&self.q)));
        }
        if !self.path.is_empty() {
            params.push(format!("path={}", enc(&self.path)));
        }
        if self.sort != "name" {
            params.push(format!("sort={}", self.sort));
        }
        if self.desc {
            params.push("order=desc".into());
        }
        if self.size != 50 {
            params.push(format!("size={}", self.size));
        }
        if self.page != 1 {
            params.push(format!("page={}", self.page));
        }
        out.push_str(&params.join("&"));
        out
    }
}

/// `GET /console/roles`.
pub(crate) fn list(ctx: &Ctx) -> Out {
    let roles = match ctx.all_roles() {
        Ok(r) => r,
        Err(e) => return ctx.error_page(Nav::Roles, &e),
    };
    let total = roles.len();
    let mut paths: Vec<String> = roles.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    let view = View::from(ctx);
    let needle = view.q.to_lowercase();
    let mut rows: Vec<Row> = roles
        .iter()
        .filter(|r| view.path.is_empty() || r.path.starts_with(&view.path))
        .map(|r| Row {
            name: r.name.clone(),
            role_id: r.role_id.clone(),
            path: r.path.clone(),
            trusted: crate::trust::summary(
                &ctx.service.role_as_shown(r).assume_role_policy_document,
            ),
            created: r.create_date,
            created_iso: ironiam_core::clock::iso8601(r.create_date),
            last_used: None,
        })
        .filter(|r| {
            needle.is_empty()
                || r.name.to_lowercase().contains(&needle)
                || r.trusted.to_lowercase().contains(&needle)
                || r.path.to_lowercase().contains(&needle)
        })
        .collect();
    // Last use is GetRole's (ListRoles does not return it), so it is shown
    // only for the roles the caller may get, as the API would answer.
    for row in &mut rows {
        if ctx.allow("GetRole", &[("RoleName", &row.name)]).is_ok() {
            row.last_used = Some(
                ctx.service
                    .store()
                    .role_last_used(&row.role_id)
                    .ok()
                    .flatten(),
            );
        }
    }
    match view.sort {
        "path" => rows.sort_by(|a, b| {
            (&a.path, a.name.to_lowercase()).cmp(&(&b.path, b.name.to_lowercase()))
        }),
        "trusted" => rows.sort_by(|a, b| {
            (&a.trusted, a.name.to_lowercase()).cmp(&(&b.trusted, b.name.to_lowercase()))
        }),
        "created" => rows.sort_by_key(|r| (r.created, r.name.to_lowercase())),
        // Never used (or not visible) first, then oldest use to latest.
        "activity" => rows.sort_by_key(|r| {
            (
                r.last_used.clone().flatten().map(|u| u.date),
                r.name.to_lowercase(),
            )
        }),
        _ => rows.sort_by_key(|r| r.name.to_lowercase()),
    }
    if view.desc {
        rows.reverse();
    }
    let pages = rows.len().div_ceil(view.size).max(1);
    let mut view = view;
    view.page = view.page.min(pages);
    let results = results_html(&view, &rows, ctx.service.clock().now());
    if ctx.req.q("fragment").is_some() {
        return Out::Html(StatusCode::OK, results);
    }

    let mut body = String::new();
    if let Some(note) = done_notice(ctx) {
        body.push_str(&note);
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Roles <span class=\"count\">({})</span></h1>\
<div class=\"actions\"><a class=\"button primary\" id=\"create-role\" href=\"{}/create-role\">Create role</a></div></div>\
<p class=\"lead\">An IAM role is an identity with permissions that trusted entities — AWS services, accounts, web identities — assume for short-term credentials.</p>\
<section class=\"card\">\
<form class=\"toolbar\" method=\"get\" action=\"{}/roles\" data-live-search=\"results\" role=\"search\">\
<label class=\"search\"><span class=\"visually-hidden\">Search roles</span>\
<input type=\"search\" name=\"q\" id=\"role-search\" value=\"{}\" placeholder=\"Search roles by name, path or trusted entity\" autocomplete=\"off\"></label>\
<label class=\"inline-field\">Path <select name=\"path\" id=\"role-path\"><option value=\"\">All paths</option>",
        count(total),
        crate::PREFIX,
        crate::PREFIX,
        esc(&view.q),
    );
    for p in &paths {
        let selected = if *p == view.path { " selected" } else { "" };
        let _ = write!(
            body,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(p),
            esc(p)
        );
    }
    body.push_str("</select></label><label class=\"inline-field\">Rows <select name=\"size\">");
    for s in SIZES {
        let selected = if s == view.size { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{s}\"{selected}>{s}</option>");
    }
    let _ = write!(
        body,
        "</select></label><input type=\"hidden\" name=\"sort\" value=\"{}\">{}\
<button type=\"submit\" class=\"button\">Search</button></form>\
<div id=\"results\" aria-live=\"polite\">{results}</div></section>",
        view.sort,
        if view.desc {
            "<input type=\"hidden\" name=\"order\" value=\"desc\">"
        } else {
            ""
        },
    );
    ctx.page(
        StatusCode::OK,
        Page {
            title: "Roles",
            nav: Nav::Roles,
            crumbs: vec![("Roles".into(), None)],
            body,
        },
    )
}

fn done_notice(ctx: &Ctx) -> Option<String> {
    let role = ctx.req.q("role")?;
    match ctx.req.q("done")? {
        "created" => {
            // Only a role that exists is announced, so the message cannot be forged.
            let r = ctx
                .call("GetRole", &[("RoleName", role)], |s, c| s.get_role(c, role))
                .ok()?;
            Some(alert(
                Alert::Success,
                "Role created",
                &format!(
                    "Role <a href=\"{}\">{}</a> created.",
                    esc(&role_url(&r.name)),
                    esc(&r.name)
                ),
            ))
        }
        "deleted" if ctx.service.get_role(&ctx.caller, role).is_err() => Some(alert(
            Alert::Success,
            "Role deleted",
            &format!("Role {} deleted.", esc(role)),
        )),
        _ => None,
    }
}

/// The table; `clock_now` is the service's clock, which recorded last uses.
fn results_html(view: &View, rows: &[Row], clock_now: i64) -> String {
    let start = (view.page - 1) * view.size;
    let shown = rows.iter().skip(start).take(view.size);
    let now = now();
    let mut out = String::with_capacity(view.size * 400 + 2000);
    out.push_str("<table class=\"table\" id=\"roles-table\"><thead><tr>");
    for (key, label) in [
        ("name", "Role name"),
        ("path", "Path"),
        ("trusted", "Trusted entities"),
    ] {
        header(&mut out, view, key, label);
    }
    header(&mut out, view, "activity", "Last activity");
    header(&mut out, view, "created", "Creation date");
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        out.push_str(
            "<tr><td colspan=\"5\" class=\"empty\">No roles match. Clear the search or <a href=\"",
        );
        out.push_str(crate::PREFIX);
        out.push_str("/create-role\">create a role</a>.</td></tr>");
    }
    for r in shown {
        let _ = write!(
            out,
            "<tr><td><a class=\"role-link\" href=\"{}\">{}</a></td><td><code>{}</code></td><td>{}</td>\
<td class=\"last-activity\">{}</td><td>{}</td></tr>",
            esc(&role_url(&r.name)),
            esc(&r.name),
            esc(&r.path),
            esc(&r.trusted),
            match &r.last_used {
                Some(used) => last_activity(used.as_ref(), clock_now),
                None => "<span class=\"muted\" title=\"Needs iam:GetRole\">—</span>".to_string(),
            },
            date(&r.created_iso, now, Some(r.created)),
        );
    }
    out.push_str("</tbody></table>");
    out.push_str(&pagination(rows.len(), view.size, view.page, |n| {
        let mut v = view.clone();
        v.page = n;
        v.href()
    }));
    out
}

fn header(out: &mut String, view: &View, key: &'static str, label: &str) {
    let current = view.sort == key;
    let mut v = view.clone();
    v.sort = key;
    v.desc = current && !view.desc;
    v.page = 1;
    let (aria, arrow) = match (current, view.desc) {
        (true, false) => ("ascending", " ▲"),
        (true, true) => ("descending", " ▼"),
        _ => ("none", ""),
    };
    let _ = write!(
        out,
        "<th scope=\"col\" aria-sort=\"{aria}\"><a class=\"sort\" href=\"{}\">{}{arrow}</a></th>",
        esc(&v.href()),
        esc(label)
    );
}
