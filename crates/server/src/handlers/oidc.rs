//! OpenID Connect provider operations.

use ironiam_core::store::OidcChange;
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;

use super::{date, domain_tags, is_truncated, tag, tags_if_any, Ctx};

/// CreateOpenIDConnectProvider.
pub(crate) fn create_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::CreateOpenIDConnectProviderInput,
) -> IamResult<iam::CreateOpenIDConnectProviderOutput> {
    let provider = ctx.service.create_oidc_provider(
        ctx.caller,
        &input.url,
        input.client_id_list.unwrap_or_default(),
        input.thumbprint_list.unwrap_or_default(),
        domain_tags(input.tags),
    )?;
    Ok(iam::CreateOpenIDConnectProviderOutput {
        open_id_connect_provider_arn: Some(provider.arn()),
        tags: tags_if_any(&provider.tags),
    })
}

/// GetOpenIDConnectProvider. AWS answers the URL without its scheme.
pub(crate) fn get_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::GetOpenIDConnectProviderInput,
) -> IamResult<iam::GetOpenIDConnectProviderOutput> {
    let provider = ctx
        .service
        .get_oidc_provider(ctx.caller, &input.open_id_connect_provider_arn)?;
    Ok(iam::GetOpenIDConnectProviderOutput {
        url: Some(provider.host_path().to_string()),
        client_id_list: Some(provider.client_ids.clone()),
        thumbprint_list: Some(provider.thumbprints.clone()),
        create_date: Some(date(provider.create_date)),
        tags: tags_if_any(&provider.tags),
    })
}

/// ListOpenIDConnectProviders.
pub(crate) fn list_open_id_connect_providers(
    ctx: &Ctx,
    _input: iam::ListOpenIDConnectProvidersInput,
) -> IamResult<iam::ListOpenIDConnectProvidersOutput> {
    let providers = ctx.service.list_oidc_providers(ctx.caller)?;
    Ok(iam::ListOpenIDConnectProvidersOutput {
        open_id_connect_provider_list: Some(
            providers
                .iter()
                .map(|p| iam::OpenIDConnectProviderListEntry { arn: Some(p.arn()) })
                .collect(),
        ),
    })
}

/// DeleteOpenIDConnectProvider.
pub(crate) fn delete_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::DeleteOpenIDConnectProviderInput,
) -> IamResult<()> {
    ctx.service
        .delete_oidc_provider(ctx.caller, &input.open_id_connect_provider_arn)
}

/// AddClientIDToOpenIDConnectProvider.
pub(crate) fn add_client_id_to_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::AddClientIDToOpenIDConnectProviderInput,
) -> IamResult<()> {
    ctx.service.update_oidc_provider(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        OidcChange::AddClientId(input.client_id),
    )?;
    Ok(())
}

/// RemoveClientIDFromOpenIDConnectProvider.
pub(crate) fn remove_client_id_from_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::RemoveClientIDFromOpenIDConnectProviderInput,
) -> IamResult<()> {
    ctx.service.update_oidc_provider(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        OidcChange::RemoveClientId(input.client_id),
    )?;
    Ok(())
}

/// UpdateOpenIDConnectProviderThumbprint.
pub(crate) fn update_open_id_connect_provider_thumbprint(
    ctx: &Ctx,
    input: iam::UpdateOpenIDConnectProviderThumbprintInput,
) -> IamResult<()> {
    ctx.service.update_oidc_provider(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        OidcChange::Thumbprints(input.thumbprint_list),
    )?;
    Ok(())
}

/// TagOpenIDConnectProvider.
pub(crate) fn tag_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::TagOpenIDConnectProviderInput,
) -> IamResult<()> {
    ctx.service.tag_oidc_provider(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        domain_tags(Some(input.tags)),
    )
}

/// UntagOpenIDConnectProvider.
pub(crate) fn untag_open_id_connect_provider(
    ctx: &Ctx,
    input: iam::UntagOpenIDConnectProviderInput,
) -> IamResult<()> {
    ctx.service.untag_oidc_provider(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        input.tag_keys,
    )
}

/// ListOpenIDConnectProviderTags.
pub(crate) fn list_open_id_connect_provider_tags(
    ctx: &Ctx,
    input: iam::ListOpenIDConnectProviderTagsInput,
) -> IamResult<iam::ListOpenIDConnectProviderTagsOutput> {
    let page = ctx.service.list_oidc_provider_tags(
        ctx.caller,
        &input.open_id_connect_provider_arn,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListOpenIDConnectProviderTagsOutput {
        tags: page.items.iter().map(tag).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}
