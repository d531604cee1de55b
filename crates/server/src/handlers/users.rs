//! User and access key operations.

use ironiam_core::clock::iso8601;
use ironiam_core::entities::{AccessKeyStatus, User};
use ironiam_core::login::LoginProfileInfo;
use ironiam_core::password::PasswordPolicy;
use ironiam_core::users::{NewUser, UserView};
use ironiam_core::IamError;
use ironiam_protocol::{url_encode_policy, XmlWriter};

use super::{write_attached_policies, write_policy_names, date, render, write_page_end, write_tags, Ctx, HandlerResult};

/// Which members of a user a response carries: ListUsers omits tags and
/// the boundary, as AWS's does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UserShape {
    Full,
    Listing,
}

fn write_user(w: &mut XmlWriter, tag: &str, user: &User, view: UserShape) {
    w.start(tag);
    w.element("Path", &user.path);
    w.element("UserName", &user.name);
    w.element("UserId", &user.user_id);
    w.element("Arn", &user.arn());
    w.element("CreateDate", &date(user.create_date));
    if view == UserShape::Full {
        if let Some(b) = &user.permissions_boundary {
            w.start("PermissionsBoundary");
            w.element("PermissionsBoundaryType", "Policy");
            w.element("PermissionsBoundaryArn", b);
            w.end("PermissionsBoundary");
        }
        if !user.tags.is_empty() {
            write_tags(w, &user.tags);
        }
    }
    w.end(tag);
}

fn max_items(ctx: &Ctx) -> Option<i64> {
    ctx.input.int("MaxItems")
}

/// CreateUser.
pub(crate) fn create_user(ctx: &Ctx) -> HandlerResult {
    let user = ctx.service.create_user(
        ctx.caller,
        NewUser {
            name: ctx.required("UserName")?.to_string(),
            path: ctx.opt("Path").map(str::to_string),
            permissions_boundary: ctx.opt("PermissionsBoundary").map(str::to_string),
            tags: ctx.tags("Tags"),
        },
    )?;
    render(|w| write_user(w, "User", &user, UserShape::Full))
}

/// GetUser: the named user, or the caller.
pub(crate) fn get_user(ctx: &Ctx) -> HandlerResult {
    match ctx.service.get_user(ctx.caller, ctx.opt("UserName"))? {
        UserView::User(user) => render(|w| write_user(w, "User", &user, UserShape::Full)),
        // AWS answers the root user with its ARN and the account id, and
        // no name or path.
        UserView::Root { account_id, create_date } => render(|w| {
            w.start("User");
            w.element("UserId", &account_id);
            w.element("Arn", &format!("arn:aws:iam::{account_id}:root"));
            w.element("CreateDate", &date(create_date));
            w.end("User");
        }),
    }
}

/// ListUsers.
pub(crate) fn list_users(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_users(ctx.caller, ctx.opt("PathPrefix"), ctx.opt("Marker"), max_items(ctx))?;
    render(|w| {
        w.start("Users");
        for user in &page.items {
            write_user(w, "member", user, UserShape::Listing);
        }
        w.end("Users");
        write_page_end(w, &page);
    })
}

/// UpdateUser.
pub(crate) fn update_user(ctx: &Ctx) -> HandlerResult {
    ctx.service.update_user(
        ctx.caller,
        ctx.required("UserName")?,
        ctx.opt("NewUserName").map(str::to_string),
        ctx.opt("NewPath").map(str::to_string),
    )?;
    Ok(None)
}

/// DeleteUser.
pub(crate) fn delete_user(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_user(ctx.caller, ctx.required("UserName")?)?;
    Ok(None)
}

/// TagUser.
pub(crate) fn tag_user(ctx: &Ctx) -> HandlerResult {
    ctx.service.tag_user(ctx.caller, ctx.required("UserName")?, ctx.tags("Tags"))?;
    Ok(None)
}

/// UntagUser.
pub(crate) fn untag_user(ctx: &Ctx) -> HandlerResult {
    ctx.service.untag_user(ctx.caller, ctx.required("UserName")?, ctx.strings("TagKeys"))?;
    Ok(None)
}

/// ListUserTags.
pub(crate) fn list_user_tags(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_user_tags(ctx.caller, ctx.required("UserName")?, ctx.opt("Marker"), max_items(ctx))?;
    render(|w| {
        write_tags(w, &page.items);
        write_page_end(w, &page);
    })
}

/// PutUserPolicy.
pub(crate) fn put_user_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.put_user_policy(
        ctx.caller,
        ctx.required("UserName")?,
        ctx.required("PolicyName")?.to_string(),
        ctx.required("PolicyDocument")?.to_string(),
    )?;
    Ok(None)
}

/// GetUserPolicy.
pub(crate) fn get_user_policy(ctx: &Ctx) -> HandlerResult {
    let policy_name = ctx.required("PolicyName")?;
    let (user, document) = ctx.service.get_user_policy(ctx.caller, ctx.required("UserName")?, policy_name)?;
    render(|w| {
        w.element("UserName", &user.name);
        w.element("PolicyName", policy_name);
        w.element("PolicyDocument", &url_encode_policy(&document));
    })
}

/// DeleteUserPolicy.
pub(crate) fn delete_user_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_user_policy(ctx.caller, ctx.required("UserName")?, ctx.required("PolicyName")?)?;
    Ok(None)
}

/// ListUserPolicies.
pub(crate) fn list_user_policies(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_user_policies(ctx.caller, ctx.required("UserName")?, ctx.opt("Marker"), max_items(ctx))?;
    render(|w| write_policy_names(w, &page))
}

/// AttachUserPolicy.
pub(crate) fn attach_user_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.attach_user_policy(ctx.caller, ctx.required("UserName")?, ctx.required("PolicyArn")?)?;
    Ok(None)
}

/// DetachUserPolicy.
pub(crate) fn detach_user_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.detach_user_policy(ctx.caller, ctx.required("UserName")?, ctx.required("PolicyArn")?)?;
    Ok(None)
}

/// ListAttachedUserPolicies.
pub(crate) fn list_attached_user_policies(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_attached_user_policies(
        ctx.caller,
        ctx.required("UserName")?,
        ctx.opt("PathPrefix"),
        ctx.opt("Marker"),
        max_items(ctx),
    )?;
    render(|w| write_attached_policies(w, &page))
}

/// PutUserPermissionsBoundary.
pub(crate) fn put_user_permissions_boundary(ctx: &Ctx) -> HandlerResult {
    ctx.service.put_user_permissions_boundary(ctx.caller, ctx.required("UserName")?, ctx.required("PermissionsBoundary")?)?;
    Ok(None)
}

/// DeleteUserPermissionsBoundary.
pub(crate) fn delete_user_permissions_boundary(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_user_permissions_boundary(ctx.caller, ctx.required("UserName")?)?;
    Ok(None)
}

/// CreateAccessKey: the only response that ever carries the secret.
pub(crate) fn create_access_key(ctx: &Ctx) -> HandlerResult {
    let key = ctx.service.create_access_key(ctx.caller, ctx.opt("UserName"))?;
    render(|w| {
        w.start("AccessKey");
        w.element("UserName", &key.info.user_name);
        w.element("AccessKeyId", &key.info.access_key_id);
        w.element("Status", key.info.status.as_str());
        w.element("SecretAccessKey", key.secret.expose());
        w.element("CreateDate", &key.info.create_date);
        w.end("AccessKey");
    })
}

/// ListAccessKeys.
pub(crate) fn list_access_keys(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_access_keys(ctx.caller, ctx.opt("UserName"), ctx.opt("Marker"), max_items(ctx))?;
    render(|w| {
        w.start("AccessKeyMetadata");
        for k in &page.items {
            w.start("member");
            if !k.user_name.is_empty() {
                w.element("UserName", &k.user_name);
            }
            w.element("AccessKeyId", &k.access_key_id);
            w.element("Status", k.status.as_str());
            w.element("CreateDate", &k.create_date);
            w.end("member");
        }
        w.end("AccessKeyMetadata");
        write_page_end(w, &page);
    })
}

/// UpdateAccessKey.
pub(crate) fn update_access_key(ctx: &Ctx) -> HandlerResult {
    let status_text = ctx.required("Status")?;
    let status = AccessKeyStatus::parse(status_text).ok_or_else(|| {
        IamError::Validation(format!(
            "1 validation error detected: Value '{status_text}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        ))
    })?;
    ctx.service.update_access_key(ctx.caller, ctx.opt("UserName"), ctx.required("AccessKeyId")?, status)?;
    Ok(None)
}

/// DeleteAccessKey.
pub(crate) fn delete_access_key(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_access_key(ctx.caller, ctx.opt("UserName"), ctx.required("AccessKeyId")?)?;
    Ok(None)
}

/// GetAccessKeyLastUsed. A key never used reports `N/A` for service and
/// region and no date, as AWS does.
pub(crate) fn get_access_key_last_used(ctx: &Ctx) -> HandlerResult {
    let (user_name, used) = ctx.service.get_access_key_last_used(ctx.caller, ctx.required("AccessKeyId")?)?;
    render(|w| {
        w.element("UserName", &user_name);
        w.start("AccessKeyLastUsed");
        match &used {
            Some(u) => {
                w.element("LastUsedDate", &iso8601(u.date));
                w.element("ServiceName", &u.service);
                w.element("Region", &u.region);
            }
            None => {
                w.element("ServiceName", "N/A");
                w.element("Region", "N/A");
            }
        }
        w.end("AccessKeyLastUsed");
    })
}

// ----- login profiles and the account password policy -----
//
// Passwords go from the decoded input straight to the domain, which keeps
// only their hashes; no response carries one.

fn write_login_profile(w: &mut XmlWriter, profile: &LoginProfileInfo) {
    w.start("LoginProfile");
    w.element("UserName", &profile.user_name);
    w.element("CreateDate", &date(profile.create_date));
    w.bool_element("PasswordResetRequired", profile.password_reset_required);
    w.end("LoginProfile");
}

/// CreateLoginProfile.
pub(crate) fn create_login_profile(ctx: &Ctx) -> HandlerResult {
    let profile = ctx.service.create_login_profile(
        ctx.caller,
        ctx.opt("UserName"),
        ctx.required("Password")?,
        ctx.input.bool("PasswordResetRequired").unwrap_or(false),
    )?;
    render(|w| write_login_profile(w, &profile))
}

/// GetLoginProfile: never the password.
pub(crate) fn get_login_profile(ctx: &Ctx) -> HandlerResult {
    let profile = ctx.service.get_login_profile(ctx.caller, ctx.opt("UserName"))?;
    render(|w| write_login_profile(w, &profile))
}

/// UpdateLoginProfile.
pub(crate) fn update_login_profile(ctx: &Ctx) -> HandlerResult {
    ctx.service.update_login_profile(
        ctx.caller,
        Some(ctx.required("UserName")?),
        ctx.opt("Password"),
        ctx.input.bool("PasswordResetRequired"),
    )?;
    Ok(None)
}

/// DeleteLoginProfile.
pub(crate) fn delete_login_profile(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_login_profile(ctx.caller, ctx.opt("UserName"))?;
    Ok(None)
}

/// ChangePassword: the calling IAM user's own password.
pub(crate) fn change_password(ctx: &Ctx) -> HandlerResult {
    ctx.service.change_password(ctx.caller, ctx.required("OldPassword")?, ctx.required("NewPassword")?)?;
    Ok(None)
}

/// GetAccountPasswordPolicy. Like AWS, the optional members appear only
/// when set.
pub(crate) fn get_account_password_policy(ctx: &Ctx) -> HandlerResult {
    let p = ctx.service.get_account_password_policy(ctx.caller)?;
    render(|w| {
        w.start("PasswordPolicy");
        w.int_element("MinimumPasswordLength", p.minimum_password_length);
        w.bool_element("RequireSymbols", p.require_symbols);
        w.bool_element("RequireNumbers", p.require_numbers);
        w.bool_element("RequireUppercaseCharacters", p.require_uppercase_characters);
        w.bool_element("RequireLowercaseCharacters", p.require_lowercase_characters);
        w.bool_element("AllowUsersToChangePassword", p.allow_users_to_change_password);
        w.bool_element("ExpirePasswords", p.expire_passwords());
        if let Some(days) = p.max_password_age {
            w.int_element("MaxPasswordAge", days);
        }
        if let Some(n) = p.password_reuse_prevention {
            w.int_element("PasswordReusePrevention", n);
        }
        if let Some(hard) = p.hard_expiry {
            w.bool_element("HardExpiry", hard);
        }
        w.end("PasswordPolicy");
    })
}

/// UpdateAccountPasswordPolicy: no partial updates; a member left out takes
/// its default (the model's ranges were checked on decoding).
pub(crate) fn update_account_password_policy(ctx: &Ctx) -> HandlerResult {
    let defaults = PasswordPolicy::default();
    let flag = |member: &str| ctx.input.bool(member).unwrap_or(false);
    let policy = PasswordPolicy {
        minimum_password_length: ctx.input.int("MinimumPasswordLength").unwrap_or(defaults.minimum_password_length),
        require_symbols: flag("RequireSymbols"),
        require_numbers: flag("RequireNumbers"),
        require_uppercase_characters: flag("RequireUppercaseCharacters"),
        require_lowercase_characters: flag("RequireLowercaseCharacters"),
        allow_users_to_change_password: flag("AllowUsersToChangePassword"),
        max_password_age: ctx.input.int("MaxPasswordAge"),
        password_reuse_prevention: ctx.input.int("PasswordReusePrevention"),
        hard_expiry: ctx.input.bool("HardExpiry"),
    };
    ctx.service.update_account_password_policy(ctx.caller, policy)?;
    Ok(None)
}

/// DeleteAccountPasswordPolicy.
pub(crate) fn delete_account_password_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_account_password_policy(ctx.caller)?;
    Ok(None)
}
