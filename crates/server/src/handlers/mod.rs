//! One function per operation: `fn(&Ctx, {Op}Input) -> IamResult<{Op}Output>`, with
//! the typed input and output generated from AWS's model
//! (`ironiam_protocol::dto`). Handlers know which members AWS's responses carry;
//! the domain knows AWS's rules; neither reads a member by name nor writes XML.

/// The paging members of a listing's typed input (`PathPrefix` where it has
/// one, `Marker`, `MaxItems`) as the domain takes them.
macro_rules! paging {
    ($input:expr) => {
        ironiam_core::service::Paging {
            path_prefix: $input.path_prefix.as_deref(),
            ..paging!($input, no_path)
        }
    };
    ($input:expr, no_path) => {
        ironiam_core::service::Paging {
            path_prefix: None,
            marker: $input.marker.as_deref(),
            max_items: $input.max_items,
        }
    };
}

#[macro_use]
pub(crate) mod holders;
pub(crate) mod groups;
pub(crate) mod instance_profiles;
pub(crate) mod oidc;
pub(crate) mod policies;
pub(crate) mod roles;
pub(crate) mod simulate;
pub(crate) mod sts;
pub(crate) mod users;

use ironiam_core::clock::iso8601;
use ironiam_core::entities::{Page, Tag};
use ironiam_core::holders::PrincipalKind;
use ironiam_core::service::{AttachedPolicy, Caller, IamService};
use ironiam_core::IamResult;
use ironiam_protocol::dto::{iam, sts as sts_dto};
use ironiam_protocol::XmlWriter;

use crate::api::{Handlers, IamApi, StsApi};
use crate::auth::AuthMode;
use crate::render_cache::RoleXmlCache;

/// What a handler gets besides its typed input.
pub(crate) struct Ctx<'a> {
    pub service: &'a IamService,
    pub roles_xml: &'a RoleXmlCache,
    pub caller: &'a Caller,
    /// The authentication mode (STS decides AssumeRole by it).
    pub mode: AuthMode,
    /// The region the request was signed for, if signed.
    pub region: Option<&'a str>,
}

/// The XML inside `<{Op}Result>`, or none for operations without output: what the
/// generated dispatch hands the pipeline.
pub(crate) type HandlerResult = IamResult<Option<XmlWriter>>;

/// A domain tag as the model's `Tag`.
pub(crate) fn tag(t: &Tag) -> iam::Tag {
    iam::Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    }
}

/// Domain tags as the model's `Tags` member: absent when there are none, as AWS
/// leaves an entity's `Tags` out then.
pub(crate) fn tags_if_any(tags: &[Tag]) -> Option<Vec<iam::Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(tag).collect())
}

/// The model's `Tag`s of an input as domain tags.
pub(crate) fn domain_tags(tags: Option<Vec<iam::Tag>>) -> Vec<Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// STS's `Tag`s of an input as domain tags.
pub(crate) fn domain_sts_tags(tags: Option<Vec<sts_dto::Tag>>) -> Vec<Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// A page as a listing's members: its items as `shown`, `IsTruncated`, `Marker`.
pub(crate) fn listed<T, U>(
    page: Page<T>,
    shown: impl Fn(&T) -> U,
) -> (Vec<U>, Option<bool>, Option<String>) {
    let is_truncated = is_truncated(&page);
    (
        page.items.iter().map(shown).collect(),
        is_truncated,
        page.marker,
    )
}

/// `IsTruncated` as AWS writes it after a listing.
pub(crate) fn is_truncated<T>(page: &Page<T>) -> Option<bool> {
    Some(page.marker.is_some())
}

/// A listing's `AttachedPolicies`.
pub(crate) fn attached_policies(page: &Page<AttachedPolicy>) -> Vec<iam::AttachedPolicy> {
    page.items
        .iter()
        .map(|p| iam::AttachedPolicy {
            policy_name: Some(p.name.clone()),
            policy_arn: Some(p.arn.clone()),
        })
        .collect()
}

/// A permissions boundary as AWS shows it on a user or role.
pub(crate) fn boundary(arn: &Option<String>) -> Option<iam::AttachedPermissionsBoundary> {
    arn.as_ref().map(|arn| iam::AttachedPermissionsBoundary {
        permissions_boundary_type: Some("Policy".to_string()),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

/// An epoch date in ISO 8601, as every `*Date` member.
pub(crate) fn date(epoch: i64) -> String {
    iso8601(epoch)
}

// The operations ironiam serves, each calling its family's function. An operation
// not named here answers AWS's `501 NotImplemented` (the traits' defaults).
impl IamApi for Handlers {
    fn create_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateOpenIDConnectProviderInput,
    ) -> IamResult<iam::CreateOpenIDConnectProviderOutput> {
        oidc::create_open_id_connect_provider(ctx, input)
    }
    fn get_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetOpenIDConnectProviderInput,
    ) -> IamResult<iam::GetOpenIDConnectProviderOutput> {
        oidc::get_open_id_connect_provider(ctx, input)
    }
    fn list_open_id_connect_providers(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListOpenIDConnectProvidersInput,
    ) -> IamResult<iam::ListOpenIDConnectProvidersOutput> {
        oidc::list_open_id_connect_providers(ctx, input)
    }
    fn delete_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteOpenIDConnectProviderInput,
    ) -> IamResult<iam::DeleteOpenIDConnectProviderOutput> {
        oidc::delete_open_id_connect_provider(ctx, input)
    }
    fn add_client_id_to_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::AddClientIDToOpenIDConnectProviderInput,
    ) -> IamResult<iam::AddClientIDToOpenIDConnectProviderOutput> {
        oidc::add_client_id_to_open_id_connect_provider(ctx, input)
    }
    fn remove_client_id_from_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::RemoveClientIDFromOpenIDConnectProviderInput,
    ) -> IamResult<iam::RemoveClientIDFromOpenIDConnectProviderOutput> {
        oidc::remove_client_id_from_open_id_connect_provider(ctx, input)
    }
    fn update_open_id_connect_provider_thumbprint(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateOpenIDConnectProviderThumbprintInput,
    ) -> IamResult<iam::UpdateOpenIDConnectProviderThumbprintOutput> {
        oidc::update_open_id_connect_provider_thumbprint(ctx, input)
    }
    fn tag_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::TagOpenIDConnectProviderInput,
    ) -> IamResult<iam::TagOpenIDConnectProviderOutput> {
        oidc::tag_open_id_connect_provider(ctx, input)
    }
    fn untag_open_id_connect_provider(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UntagOpenIDConnectProviderInput,
    ) -> IamResult<iam::UntagOpenIDConnectProviderOutput> {
        oidc::untag_open_id_connect_provider(ctx, input)
    }
    fn list_open_id_connect_provider_tags(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListOpenIDConnectProviderTagsInput,
    ) -> IamResult<iam::ListOpenIDConnectProviderTagsOutput> {
        oidc::list_open_id_connect_provider_tags(ctx, input)
    }

    fn create_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreatePolicyInput,
    ) -> IamResult<iam::CreatePolicyOutput> {
        policies::create_policy(ctx, input)
    }
    fn get_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetPolicyInput,
    ) -> IamResult<iam::GetPolicyOutput> {
        policies::get_policy(ctx, input)
    }
    fn delete_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeletePolicyInput,
    ) -> IamResult<iam::DeletePolicyOutput> {
        policies::delete_policy(ctx, input)
    }
    fn get_policy_version(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetPolicyVersionInput,
    ) -> IamResult<iam::GetPolicyVersionOutput> {
        policies::get_policy_version(ctx, input)
    }
    fn list_policies(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListPoliciesInput,
    ) -> IamResult<iam::ListPoliciesOutput> {
        policies::list_policies(ctx, input)
    }
    fn list_policy_versions(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListPolicyVersionsInput,
    ) -> IamResult<iam::ListPolicyVersionsOutput> {
        policies::list_policy_versions(ctx, input)
    }
    fn create_policy_version(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreatePolicyVersionInput,
    ) -> IamResult<iam::CreatePolicyVersionOutput> {
        policies::create_policy_version(ctx, input)
    }
    fn delete_policy_version(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeletePolicyVersionInput,
    ) -> IamResult<iam::DeletePolicyVersionOutput> {
        policies::delete_policy_version(ctx, input)
    }
    fn set_default_policy_version(
        &self,
        ctx: &Ctx<'_>,
        input: iam::SetDefaultPolicyVersionInput,
    ) -> IamResult<iam::SetDefaultPolicyVersionOutput> {
        policies::set_default_policy_version(ctx, input)
    }
    fn list_entities_for_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListEntitiesForPolicyInput,
    ) -> IamResult<iam::ListEntitiesForPolicyOutput> {
        policies::list_entities_for_policy(ctx, input)
    }
    fn tag_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::TagPolicyInput,
    ) -> IamResult<iam::TagPolicyOutput> {
        policies::tag_policy(ctx, input)
    }
    fn untag_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UntagPolicyInput,
    ) -> IamResult<iam::UntagPolicyOutput> {
        policies::untag_policy(ctx, input)
    }
    fn list_policy_tags(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListPolicyTagsInput,
    ) -> IamResult<iam::ListPolicyTagsOutput> {
        policies::list_policy_tags(ctx, input)
    }

    fn create_role(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateRoleInput,
    ) -> IamResult<iam::CreateRoleOutput> {
        roles::create_role(ctx, input)
    }
    fn get_role(&self, ctx: &Ctx<'_>, input: iam::GetRoleInput) -> IamResult<iam::GetRoleOutput> {
        roles::get_role(ctx, input)
    }
    fn list_roles(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListRolesInput,
    ) -> IamResult<iam::ListRolesOutput> {
        roles::list_roles(ctx, input)
    }
    fn update_role(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateRoleInput,
    ) -> IamResult<iam::UpdateRoleOutput> {
        roles::update_role(ctx, input)
    }
    fn update_role_description(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateRoleDescriptionInput,
    ) -> IamResult<iam::UpdateRoleDescriptionOutput> {
        roles::update_role_description(ctx, input)
    }
    fn update_assume_role_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateAssumeRolePolicyInput,
    ) -> IamResult<iam::UpdateAssumeRolePolicyOutput> {
        roles::update_assume_role_policy(ctx, input)
    }
    fn delete_role(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteRoleInput,
    ) -> IamResult<iam::DeleteRoleOutput> {
        roles::delete_role(ctx, input)
    }

    fn create_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateInstanceProfileInput,
    ) -> IamResult<iam::CreateInstanceProfileOutput> {
        instance_profiles::create_instance_profile(ctx, input)
    }
    fn get_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetInstanceProfileInput,
    ) -> IamResult<iam::GetInstanceProfileOutput> {
        instance_profiles::get_instance_profile(ctx, input)
    }
    fn list_instance_profiles(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListInstanceProfilesInput,
    ) -> IamResult<iam::ListInstanceProfilesOutput> {
        instance_profiles::list_instance_profiles(ctx, input)
    }
    fn list_instance_profiles_for_role(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListInstanceProfilesForRoleInput,
    ) -> IamResult<iam::ListInstanceProfilesForRoleOutput> {
        instance_profiles::list_instance_profiles_for_role(ctx, input)
    }
    fn delete_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteInstanceProfileInput,
    ) -> IamResult<iam::DeleteInstanceProfileOutput> {
        instance_profiles::delete_instance_profile(ctx, input)
    }
    fn add_role_to_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::AddRoleToInstanceProfileInput,
    ) -> IamResult<iam::AddRoleToInstanceProfileOutput> {
        instance_profiles::add_role_to_instance_profile(ctx, input)
    }
    fn remove_role_from_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::RemoveRoleFromInstanceProfileInput,
    ) -> IamResult<iam::RemoveRoleFromInstanceProfileOutput> {
        instance_profiles::remove_role_from_instance_profile(ctx, input)
    }
    fn tag_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::TagInstanceProfileInput,
    ) -> IamResult<iam::TagInstanceProfileOutput> {
        instance_profiles::tag_instance_profile(ctx, input)
    }
    fn untag_instance_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UntagInstanceProfileInput,
    ) -> IamResult<iam::UntagInstanceProfileOutput> {
        instance_profiles::untag_instance_profile(ctx, input)
    }
    fn list_instance_profile_tags(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListInstanceProfileTagsInput,
    ) -> IamResult<iam::ListInstanceProfileTagsOutput> {
        instance_profiles::list_instance_profile_tags(ctx, input)
    }

    fn simulate_custom_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::SimulateCustomPolicyInput,
    ) -> IamResult<iam::SimulateCustomPolicyOutput> {
        simulate::simulate_custom_policy(ctx, input)
    }
    fn simulate_principal_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::SimulatePrincipalPolicyInput,
    ) -> IamResult<iam::SimulatePrincipalPolicyOutput> {
        simulate::simulate_principal_policy(ctx, input)
    }
    fn get_context_keys_for_custom_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetContextKeysForCustomPolicyInput,
    ) -> IamResult<iam::GetContextKeysForCustomPolicyOutput> {
        simulate::get_context_keys_for_custom_policy(ctx, input)
    }
    fn get_context_keys_for_principal_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetContextKeysForPrincipalPolicyInput,
    ) -> IamResult<iam::GetContextKeysForPrincipalPolicyOutput> {
        simulate::get_context_keys_for_principal_policy(ctx, input)
    }

    fn create_user(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateUserInput,
    ) -> IamResult<iam::CreateUserOutput> {
        users::create_user(ctx, input)
    }
    fn get_user(&self, ctx: &Ctx<'_>, input: iam::GetUserInput) -> IamResult<iam::GetUserOutput> {
        users::get_user(ctx, input)
    }
    fn list_users(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListUsersInput,
    ) -> IamResult<iam::ListUsersOutput> {
        users::list_users(ctx, input)
    }
    fn update_user(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateUserInput,
    ) -> IamResult<iam::UpdateUserOutput> {
        users::update_user(ctx, input)
    }
    fn delete_user(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteUserInput,
    ) -> IamResult<iam::DeleteUserOutput> {
        users::delete_user(ctx, input)
    }
    fn create_access_key(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateAccessKeyInput,
    ) -> IamResult<iam::CreateAccessKeyOutput> {
        users::create_access_key(ctx, input)
    }
    fn list_access_keys(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListAccessKeysInput,
    ) -> IamResult<iam::ListAccessKeysOutput> {
        users::list_access_keys(ctx, input)
    }
    fn update_access_key(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateAccessKeyInput,
    ) -> IamResult<iam::UpdateAccessKeyOutput> {
        users::update_access_key(ctx, input)
    }
    fn delete_access_key(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteAccessKeyInput,
    ) -> IamResult<iam::DeleteAccessKeyOutput> {
        users::delete_access_key(ctx, input)
    }
    fn get_access_key_last_used(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetAccessKeyLastUsedInput,
    ) -> IamResult<iam::GetAccessKeyLastUsedOutput> {
        users::get_access_key_last_used(ctx, input)
    }
    fn create_login_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateLoginProfileInput,
    ) -> IamResult<iam::CreateLoginProfileOutput> {
        users::create_login_profile(ctx, input)
    }
    fn get_login_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetLoginProfileInput,
    ) -> IamResult<iam::GetLoginProfileOutput> {
        users::get_login_profile(ctx, input)
    }
    fn update_login_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateLoginProfileInput,
    ) -> IamResult<iam::UpdateLoginProfileOutput> {
        users::update_login_profile(ctx, input)
    }
    fn delete_login_profile(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteLoginProfileInput,
    ) -> IamResult<iam::DeleteLoginProfileOutput> {
        users::delete_login_profile(ctx, input)
    }
    fn change_password(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ChangePasswordInput,
    ) -> IamResult<iam::ChangePasswordOutput> {
        users::change_password(ctx, input)
    }
    fn get_account_password_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetAccountPasswordPolicyInput,
    ) -> IamResult<iam::GetAccountPasswordPolicyOutput> {
        users::get_account_password_policy(ctx, input)
    }
    fn update_account_password_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateAccountPasswordPolicyInput,
    ) -> IamResult<iam::UpdateAccountPasswordPolicyOutput> {
        users::update_account_password_policy(ctx, input)
    }
    fn delete_account_password_policy(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteAccountPasswordPolicyInput,
    ) -> IamResult<iam::DeleteAccountPasswordPolicyOutput> {
        users::delete_account_password_policy(ctx, input)
    }

    policy_holder_api! {
        PrincipalKind::Role, role_name;
        put_role_policy(PutRolePolicyInput);
        get_role_policy(GetRolePolicyInput) -> GetRolePolicyOutput;
        delete_role_policy(DeleteRolePolicyInput);
        list_role_policies(ListRolePoliciesInput) -> ListRolePoliciesOutput;
        attach_role_policy(AttachRolePolicyInput);
        detach_role_policy(DetachRolePolicyInput);
        list_attached_role_policies(ListAttachedRolePoliciesInput) -> ListAttachedRolePoliciesOutput;
    }
    tagged_holder_api! {
        PrincipalKind::Role, role_name;
        tag_role(TagRoleInput);
        untag_role(UntagRoleInput);
        list_role_tags(ListRoleTagsInput) -> ListRoleTagsOutput;
        put_role_permissions_boundary(PutRolePermissionsBoundaryInput);
        delete_role_permissions_boundary(DeleteRolePermissionsBoundaryInput);
    }
    policy_holder_api! {
        PrincipalKind::User, user_name;
        put_user_policy(PutUserPolicyInput);
        get_user_policy(GetUserPolicyInput) -> GetUserPolicyOutput;
        delete_user_policy(DeleteUserPolicyInput);
        list_user_policies(ListUserPoliciesInput) -> ListUserPoliciesOutput;
        attach_user_policy(AttachUserPolicyInput);
        detach_user_policy(DetachUserPolicyInput);
        list_attached_user_policies(ListAttachedUserPoliciesInput) -> ListAttachedUserPoliciesOutput;
    }
    tagged_holder_api! {
        PrincipalKind::User, user_name;
        tag_user(TagUserInput);
        untag_user(UntagUserInput);
        list_user_tags(ListUserTagsInput) -> ListUserTagsOutput;
        put_user_permissions_boundary(PutUserPermissionsBoundaryInput);
        delete_user_permissions_boundary(DeleteUserPermissionsBoundaryInput);
    }
    policy_holder_api! {
        PrincipalKind::Group, group_name;
        put_group_policy(PutGroupPolicyInput);
        get_group_policy(GetGroupPolicyInput) -> GetGroupPolicyOutput;
        delete_group_policy(DeleteGroupPolicyInput);
        list_group_policies(ListGroupPoliciesInput) -> ListGroupPoliciesOutput;
        attach_group_policy(AttachGroupPolicyInput);
        detach_group_policy(DetachGroupPolicyInput);
        list_attached_group_policies(ListAttachedGroupPoliciesInput) -> ListAttachedGroupPoliciesOutput;
    }

    fn create_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::CreateGroupInput,
    ) -> IamResult<iam::CreateGroupOutput> {
        groups::create_group(ctx, input)
    }
    fn get_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::GetGroupInput,
    ) -> IamResult<iam::GetGroupOutput> {
        groups::get_group(ctx, input)
    }
    fn list_groups(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListGroupsInput,
    ) -> IamResult<iam::ListGroupsOutput> {
        groups::list_groups(ctx, input)
    }
    fn update_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::UpdateGroupInput,
    ) -> IamResult<iam::UpdateGroupOutput> {
        groups::update_group(ctx, input)
    }
    fn delete_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::DeleteGroupInput,
    ) -> IamResult<iam::DeleteGroupOutput> {
        groups::delete_group(ctx, input)
    }
    fn add_user_to_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::AddUserToGroupInput,
    ) -> IamResult<iam::AddUserToGroupOutput> {
        groups::add_user_to_group(ctx, input)
    }
    fn remove_user_from_group(
        &self,
        ctx: &Ctx<'_>,
        input: iam::RemoveUserFromGroupInput,
    ) -> IamResult<iam::RemoveUserFromGroupOutput> {
        groups::remove_user_from_group(ctx, input)
    }
    fn list_groups_for_user(
        &self,
        ctx: &Ctx<'_>,
        input: iam::ListGroupsForUserInput,
    ) -> IamResult<iam::ListGroupsForUserOutput> {
        groups::list_groups_for_user(ctx, input)
    }
}

impl StsApi for Handlers {
    fn get_caller_identity(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::GetCallerIdentityInput,
    ) -> IamResult<sts_dto::GetCallerIdentityOutput> {
        sts::get_caller_identity(ctx, input)
    }
    fn assume_role(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::AssumeRoleInput,
    ) -> IamResult<sts_dto::AssumeRoleOutput> {
        sts::assume_role(ctx, input)
    }
    fn get_session_token(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::GetSessionTokenInput,
    ) -> IamResult<sts_dto::GetSessionTokenOutput> {
        sts::get_session_token(ctx, input)
    }
    fn assume_role_with_web_identity(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::AssumeRoleWithWebIdentityInput,
    ) -> IamResult<sts_dto::AssumeRoleWithWebIdentityOutput> {
        sts::assume_role_with_web_identity(ctx, input)
    }
    fn get_access_key_info(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::GetAccessKeyInfoInput,
    ) -> IamResult<sts_dto::GetAccessKeyInfoOutput> {
        sts::get_access_key_info(ctx, input)
    }
    fn decode_authorization_message(
        &self,
        ctx: &Ctx<'_>,
        input: sts_dto::DecodeAuthorizationMessageInput,
    ) -> IamResult<sts_dto::DecodeAuthorizationMessageOutput> {
        sts::decode_authorization_message(ctx, input)
    }
}
