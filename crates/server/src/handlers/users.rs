//! User and access key operations.

use ironiam_core::entities::{AccessKeyStatus, User};
use ironiam_core::login::LoginProfileInfo;
use ironiam_core::password::PasswordPolicy;
use ironiam_core::users::{AccessKeyInfo, NewUser, UserView};
use ironiam_core::{IamError, IamResult};
use ironiam_protocol::dto::iam;

use super::{boundary, date, domain_tags, is_truncated, listed, tags_if_any, Ctx};

/// The model's `User` for `user`. A listing (ListUsers, GetGroup's users)
/// omits tags and the boundary, as AWS's does.
pub(crate) fn user(user: &User, listing: bool) -> iam::User {
    iam::User {
        path: user.path.clone(),
        user_name: user.name.clone(),
        user_id: user.user_id.clone(),
        arn: user.arn(),
        create_date: date(user.create_date),
        password_last_used: None,
        permissions_boundary: if listing {
            None
        } else {
            boundary(&user.permissions_boundary)
        },
        tags: if listing {
            None
        } else {
            tags_if_any(&user.tags)
        },
    }
}

/// CreateUser.
pub(crate) fn create_user(
    ctx: &Ctx,
    input: iam::CreateUserInput,
) -> IamResult<iam::CreateUserOutput> {
    let created = ctx.service.create_user(
        ctx.caller,
        NewUser {
            name: input.user_name,
            path: input.path,
            permissions_boundary: input.permissions_boundary,
            tags: domain_tags(input.tags),
        },
    )?;
    Ok(iam::CreateUserOutput {
        user: Some(user(&created, false)),
    })
}

/// GetUser: the named user, or the caller.
pub(crate) fn get_user(ctx: &Ctx, input: iam::GetUserInput) -> IamResult<iam::GetUserOutput> {
    let shown = match ctx
        .service
        .get_user(ctx.caller, input.user_name.as_deref())?
    {
        UserView::User(u) => user(&u, false),
        // AWS answers the root user with its ARN and the account id, and
        // no name or path (required in the model; empty ones are left out).
        UserView::Root {
            account_id,
            create_date,
        } => iam::User {
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id,
            create_date: date(create_date),
            ..Default::default()
        },
    };
    Ok(iam::GetUserOutput { user: shown })
}

/// ListUsers.
pub(crate) fn list_users(ctx: &Ctx, input: iam::ListUsersInput) -> IamResult<iam::ListUsersOutput> {
    let page = ctx.service.list_users(ctx.caller, paging!(input))?;
    let (users, is_truncated, marker) = listed(page, |u| user(u, true));
    Ok(iam::ListUsersOutput {
        users,
        is_truncated,
        marker,
    })
}

/// UpdateUser.
pub(crate) fn update_user(ctx: &Ctx, input: iam::UpdateUserInput) -> IamResult<()> {
    ctx.service.update_user(
        ctx.caller,
        &input.user_name,
        input.new_user_name,
        input.new_path,
    )?;
    Ok(())
}

/// DeleteUser.
pub(crate) fn delete_user(ctx: &Ctx, input: iam::DeleteUserInput) -> IamResult<()> {
    ctx.service.delete_user(ctx.caller, &input.user_name)
}

/// CreateAccessKey: the only response that ever carries the secret.
pub(crate) fn create_access_key(
    ctx: &Ctx,
    input: iam::CreateAccessKeyInput,
) -> IamResult<iam::CreateAccessKeyOutput> {
    let key = ctx
        .service
        .create_access_key(ctx.caller, input.user_name.as_deref())?;
    Ok(iam::CreateAccessKeyOutput {
        access_key: iam::AccessKey {
            user_name: key.info.user_name.clone(),
            access_key_id: key.info.access_key_id.clone(),
            status: key.info.status.as_str().to_string(),
            secret_access_key: key.secret.expose().to_string(),
            create_date: Some(key.info.create_date.clone()),
        },
    })
}

fn key_metadata(k: &AccessKeyInfo) -> iam::AccessKeyMetadata {
    iam::AccessKeyMetadata {
        // The root user's keys have no user name: the member is left out.
        user_name: (!k.user_name.is_empty()).then(|| k.user_name.clone()),
        access_key_id: Some(k.access_key_id.clone()),
        status: Some(k.status.as_str().to_string()),
        create_date: Some(k.create_date.clone()),
    }
}

/// ListAccessKeys.
pub(crate) fn list_access_keys(
    ctx: &Ctx,
    input: iam::ListAccessKeysInput,
) -> IamResult<iam::ListAccessKeysOutput> {
    let page = ctx.service.list_access_keys(
        ctx.caller,
        input.user_name.as_deref(),
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListAccessKeysOutput {
        access_key_metadata: page.items.iter().map(key_metadata).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// UpdateAccessKey.
pub(crate) fn update_access_key(ctx: &Ctx, input: iam::UpdateAccessKeyInput) -> IamResult<()> {
    let status = AccessKeyStatus::parse(&input.status).ok_or_else(|| {
        IamError::Validation(format!(
            "1 validation error detected: Value '{}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]",
            input.status
        ))
    })?;
    ctx.service.update_access_key(
        ctx.caller,
        input.user_name.as_deref(),
        &input.access_key_id,
        status,
    )
}

/// DeleteAccessKey.
pub(crate) fn delete_access_key(ctx: &Ctx, input: iam::DeleteAccessKeyInput) -> IamResult<()> {
    ctx.service
        .delete_access_key(ctx.caller, input.user_name.as_deref(), &input.access_key_id)
}

/// GetAccessKeyLastUsed. A key never used reports `N/A` for service and
/// region and no date, as AWS does.
pub(crate) fn get_access_key_last_used(
    ctx: &Ctx,
    input: iam::GetAccessKeyLastUsedInput,
) -> IamResult<iam::GetAccessKeyLastUsedOutput> {
    let (user_name, used) = ctx
        .service
        .get_access_key_last_used(ctx.caller, &input.access_key_id)?;
    let last_used = match used {
        Some(u) => iam::AccessKeyLastUsed {
            last_used_date: Some(date(u.date)),
            service_name: u.service,
            region: u.region,
        },
        None => iam::AccessKeyLastUsed {
            last_used_date: None,
            service_name: "N/A".into(),
            region: "N/A".into(),
        },
    };
    Ok(iam::GetAccessKeyLastUsedOutput {
        user_name: Some(user_name),
        access_key_last_used: Some(last_used),
    })
}

// ----- login profiles and the account password policy -----
//
// Passwords go from the decoded input straight to the domain, which keeps
// only their hashes; no response carries one.

fn login_profile(profile: &LoginProfileInfo) -> iam::LoginProfile {
    iam::LoginProfile {
        user_name: profile.user_name.clone(),
        create_date: date(profile.create_date),
        password_reset_required: Some(profile.password_reset_required),
    }
}

/// CreateLoginProfile.
pub(crate) fn create_login_profile(
    ctx: &Ctx,
    input: iam::CreateLoginProfileInput,
) -> IamResult<iam::CreateLoginProfileOutput> {
    // The model leaves Password optional (for AWS's console-less flows); AWS
    // refuses a request without one, as ironiam did before the typed layer.
    let password = input.password.as_deref().ok_or_else(|| {
        IamError::Validation(
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null".into(),
        )
    })?;
    let profile = ctx.service.create_login_profile(
        ctx.caller,
        input.user_name.as_deref(),
        password,
        input.password_reset_required.unwrap_or(false),
    )?;
    Ok(iam::CreateLoginProfileOutput {
        login_profile: login_profile(&profile),
    })
}

/// GetLoginProfile: never the password.
pub(crate) fn get_login_profile(
    ctx: &Ctx,
    input: iam::GetLoginProfileInput,
) -> IamResult<iam::GetLoginProfileOutput> {
    let profile = ctx
        .service
        .get_login_profile(ctx.caller, input.user_name.as_deref())?;
    Ok(iam::GetLoginProfileOutput {
        login_profile: login_profile(&profile),
    })
}

/// UpdateLoginProfile.
pub(crate) fn update_login_profile(
    ctx: &Ctx,
    input: iam::UpdateLoginProfileInput,
) -> IamResult<()> {
    ctx.service.update_login_profile(
        ctx.caller,
        Some(&input.user_name),
        input.password.as_deref(),
        input.password_reset_required,
    )
}

/// DeleteLoginProfile.
pub(crate) fn delete_login_profile(
    ctx: &Ctx,
    input: iam::DeleteLoginProfileInput,
) -> IamResult<()> {
    ctx.service
        .delete_login_profile(ctx.caller, input.user_name.as_deref())
}

/// ChangePassword: the calling IAM user's own password.
pub(crate) fn change_password(ctx: &Ctx, input: iam::ChangePasswordInput) -> IamResult<()> {
    ctx.service
        .change_password(ctx.caller, &input.old_password, &input.new_password)
}

/// GetAccountPasswordPolicy. Like AWS, the optional members appear only
/// when set.
pub(crate) fn get_account_password_policy(
    ctx: &Ctx,
    _input: iam::GetAccountPasswordPolicyInput,
) -> IamResult<iam::GetAccountPasswordPolicyOutput> {
    let p = ctx.service.get_account_password_policy(ctx.caller)?;
    Ok(iam::GetAccountPasswordPolicyOutput {
        password_policy: iam::PasswordPolicy {
            minimum_password_length: Some(p.minimum_password_length),
            require_symbols: Some(p.require_symbols),
            require_numbers: Some(p.require_numbers),
            require_uppercase_characters: Some(p.require_uppercase_characters),
            require_lowercase_characters: Some(p.require_lowercase_characters),
            allow_users_to_change_password: Some(p.allow_users_to_change_password),
            expire_passwords: Some(p.expire_passwords()),
            max_password_age: p.max_password_age,
            password_reuse_prevention: p.password_reuse_prevention,
            hard_expiry: p.hard_expiry,
        },
    })
}

/// UpdateAccountPasswordPolicy: no partial updates; a member left out takes
/// its default (the model's ranges were checked on decoding).
pub(crate) fn update_account_password_policy(
    ctx: &Ctx,
    input: iam::UpdateAccountPasswordPolicyInput,
) -> IamResult<()> {
    let defaults = PasswordPolicy::default();
    let policy = PasswordPolicy {
        minimum_password_length: input
            .minimum_password_length
            .unwrap_or(defaults.minimum_password_length),
        require_symbols: input.require_symbols.unwrap_or(false),
        require_numbers: input.require_numbers.unwrap_or(false),
        require_uppercase_characters: input.require_uppercase_characters.unwrap_or(false),
        require_lowercase_characters: input.require_lowercase_characters.unwrap_or(false),
        allow_users_to_change_password: input.allow_users_to_change_password.unwrap_or(false),
        max_password_age: input.max_password_age,
        password_reuse_prevention: input.password_reuse_prevention,
        hard_expiry: input.hard_expiry,
    };
    ctx.service
        .update_account_password_policy(ctx.caller, policy)
}

/// DeleteAccountPasswordPolicy.
pub(crate) fn delete_account_password_policy(
    ctx: &Ctx,
    _input: iam::DeleteAccountPasswordPolicyInput,
) -> IamResult<()> {
    ctx.service.delete_account_password_policy(ctx.caller)
}
