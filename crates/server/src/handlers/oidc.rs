//! OpenID Connect provider operations.

use ironiam_core::store::OidcChange;

use super::{date, render, write_tags, Ctx, HandlerResult};

/// CreateOpenIDConnectProvider.
pub(crate) fn create_oidc_provider(ctx: &Ctx) -> HandlerResult {
    let provider = ctx.service.create_oidc_provider(
        ctx.caller,
        ctx.required("Url")?,
        ctx.strings("ClientIDList"),
        ctx.strings("ThumbprintList"),
        ctx.tags("Tags"),
    )?;
    render(|w| {
        w.element("OpenIDConnectProviderArn", &provider.arn());
        if !provider.tags.is_empty() {
            write_tags(w, &provider.tags);
        }
    })
}

/// GetOpenIDConnectProvider. AWS answers the URL without its scheme.
pub(crate) fn get_oidc_provider(ctx: &Ctx) -> HandlerResult {
    let provider = ctx.service.get_oidc_provider(ctx.caller, ctx.required("OpenIDConnectProviderArn")?)?;
    render(|w| {
        w.element("Url", provider.host_path());
        w.string_list("ClientIDList", provider.client_ids.iter().map(String::as_str));
        w.string_list("ThumbprintList", provider.thumbprints.iter().map(String::as_str));
        w.element("CreateDate", &date(provider.create_date));
        if !provider.tags.is_empty() {
            write_tags(w, &provider.tags);
        }
    })
}

/// ListOpenIDConnectProviders.
pub(crate) fn list_oidc_providers(ctx: &Ctx) -> HandlerResult {
    let providers = ctx.service.list_oidc_providers(ctx.caller)?;
    render(|w| {
        w.start("OpenIDConnectProviderList");
        for p in &providers {
            w.start("member");
            w.element("Arn", &p.arn());
            w.end("member");
        }
        w.end("OpenIDConnectProviderList");
    })
}

/// DeleteOpenIDConnectProvider.
pub(crate) fn delete_oidc_provider(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_oidc_provider(ctx.caller, ctx.required("OpenIDConnectProviderArn")?)?;
    Ok(None)
}

/// AddClientIDToOpenIDConnectProvider.
pub(crate) fn add_client_id(ctx: &Ctx) -> HandlerResult {
    let change = OidcChange::AddClientId(ctx.required("ClientID")?.to_string());
    ctx.service.update_oidc_provider(ctx.caller, ctx.required("OpenIDConnectProviderArn")?, change)?;
    Ok(None)
}

/// RemoveClientIDFromOpenIDConnectProvider.
pub(crate) fn remove_client_id(ctx: &Ctx) -> HandlerResult {
    let change = OidcChange::RemoveClientId(ctx.required("ClientID")?.to_string());
    ctx.service.update_oidc_provider(ctx.caller, ctx.required("OpenIDConnectProviderArn")?, change)?;
    Ok(None)
}

/// UpdateOpenIDConnectProviderThumbprint.
pub(crate) fn update_thumbprint(ctx: &Ctx) -> HandlerResult {
    let change = OidcChange::Thumbprints(ctx.strings("ThumbprintList"));
    ctx.service.update_oidc_provider(ctx.caller, ctx.required("OpenIDConnectProviderArn")?, change)?;
    Ok(None)
}
