//! The IAM users and roles a trust policy names, bound to their unique ids.
//!
//! AWS turns a user or role ARN in a stored policy's `Principal` into the
//! principal's unique id when the policy is saved (IAM User Guide, "AWS JSON
//! policy elements: Principal", IAM role and user principals). So a
//! principal deleted and created again under the same name is another
//! principal, which the policy does not admit; and once the principal is
//! gone the policy shows its bare id (`AIDA…`, `AROA…`), which AWS can no
//! longer turn back into an ARN. ironiam keeps the document as sent, plus
//! the ARN → id bindings made on save ([`PrincipalBinding`]), and derives
//! the document in force from them: unchanged while every bound principal
//! is still itself (the common case costs one look-up per binding and no
//! allocation), otherwise with each gone principal's ARN replaced by its id
//! (and a renamed user's ARN by its new one). GetRole shows that document,
//! and AssumeRole evaluates it, so the two never disagree.
//!
//! Trust policies are the only stored policies ironiam has with a
//! `Principal` element; identity and managed policies cannot have one.

use std::borrow::Cow;
use std::sync::Arc;

use ironiam_policy::{PrincipalType, PrincipalValue};
use serde_json::Value;

use crate::entities::{PrincipalBinding, Role, User};
use crate::error::{Found, IamError, IamResult};
use crate::holders::PrincipalKind;
use crate::service::IamService;

/// `arn:aws:iam::ACCOUNT:user/PATH/NAME` (or `role/`) → (kind, account, name).
pub(crate) fn parse_principal_arn(arn: &str) -> Option<(PrincipalKind, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, path_and_name) = if let Some(p) = resource.strip_prefix("user/") {
        (PrincipalKind::User, p)
    } else {
        (PrincipalKind::Role, resource.strip_prefix("role/")?)
    };
    let name = path_and_name.rsplit('/').next()?;
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (account_ok && !name.is_empty()).then_some((kind, account, name))
}

/// The user and role ARNs that the `AWS` entries of `document`'s
/// `Principal` and `NotPrincipal` elements name, each once, in document
/// order. Condition values are not principals: AWS leaves an ARN there as
/// written (which is how a policy names "whoever is called bob" on purpose).
/// Empty for a document that does not parse.
pub fn named_principals(document: &str) -> Vec<String> {
    let Ok(policy) = ironiam_policy::parse(document) else {
        return Vec::new();
    };
    let mut arns: Vec<String> = Vec::new();
    for statement in policy.statements() {
        let Some(PrincipalValue::Map(entries)) = statement.principal().map(|p| &p.value) else {
            continue;
        };
        for (principal_type, values) in entries {
            if *principal_type != PrincipalType::Aws {
                continue;
            }
            for value in values.iter() {
                if parse_principal_arn(value).is_some() && !arns.contains(value) {
                    arns.push(value.clone());
                }
            }
        }
    }
    arns
}

/// Binds every user and role ARN `document` names to the unique id
/// `lookup` finds for it. `Ok(Err(arn))` names the first ARN `lookup` finds
/// no principal for; an error of `lookup` (the store failed) is answered as
/// it is, never taken for a principal that does not exist.
pub fn bind_principals(
    document: &str,
    mut lookup: impl FnMut(&str) -> IamResult<Option<String>>,
) -> IamResult<Result<Vec<PrincipalBinding>, String>> {
    let mut bindings = Vec::new();
    for arn in named_principals(document) {
        match lookup(&arn)? {
            Some(id) => bindings.push(PrincipalBinding { arn, id }),
            None => return Ok(Err(arn)),
        }
    }
    Ok(Ok(bindings))
}

/// `document` with the `AWS` principal values equal to a replacement's
/// first member replaced by its second (JSON rewritten compactly, members in
/// their order). `None` if it is not a JSON object with statements.
fn rewrite_principals(document: &str, replacements: &[(&str, String)]) -> Option<String> {
    let mut policy: Value = serde_json::from_str(document).ok()?;
    let replace = |value: &mut Value| {
        if let Value::String(s) = value {
            if let Some((_, new)) = replacements.iter().find(|(old, _)| old == s) {
                *s = new.clone();
            }
        }
    };
    let statements: Vec<&mut Value> = match policy.get_mut("Statement")? {
        Value::Array(list) => list.iter_mut().collect(),
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            match statement.get_mut(element).and_then(|p| p.get_mut("AWS")) {
                Some(Value::Array(values)) => values.iter_mut().for_each(replace),
                Some(value) => replace(value),
                None => {}
            }
        }
    }
    serde_json::to_string(&policy).ok()
}

impl IamService {
    /// The user `name` of `account` if it is still the user with id
    /// `user_id`; else that user under its new name (renamed); `None` once
    /// it is deleted, even if another user now has the name.
    pub(crate) fn user_with_id(
        &self,
        account: &str,
        name: &str,
        user_id: &str,
    ) -> IamResult<Option<Arc<User>>> {
        match self.store.get_user(account, name) {
            Ok(u) if u.user_id == user_id => Ok(Some(u)),
            Ok(_) | Err(IamError::NoSuchEntity(_)) => self.store.user_by_id(account, user_id),
            Err(e) => Err(e),
        }
    }

    /// The role `name` of `account` if it is still the role with id
    /// `role_id` (roles are never renamed nor moved).
    pub(crate) fn role_with_id(
        &self,
        account: &str,
        name: &str,
        role_id: &str,
    ) -> IamResult<Option<Arc<Role>>> {
        match self.store.get_role(account, name) {
            Ok(r) if r.role_id == role_id => Ok(Some(r)),
            Ok(_) | Err(IamError::NoSuchEntity(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Binds the users and roles `document` names to their unique ids, as
    /// AWS does when it saves a policy. A user or role that does not exist
    /// (with exactly that ARN, path included) is refused with AWS's
    /// `MalformedPolicyDocument` "Invalid principal in policy".
    pub(crate) fn bind_trust_principals(&self, document: &str) -> IamResult<Vec<PrincipalBinding>> {
        bind_principals(document, |arn| {
            let Some((kind, account, name)) = parse_principal_arn(arn) else {
                return Ok(None);
            };
            Ok(match kind {
                PrincipalKind::User => self
                    .store
                    .get_user(account, name)
                    .found()?
                    .filter(|u| u.arn() == arn)
                    .map(|u| u.user_id.clone()),
                PrincipalKind::Role => self
                    .store
                    .get_role(account, name)
                    .found()?
                    .filter(|r| r.arn() == arn)
                    .map(|r| r.role_id.clone()),
                // A group is no principal (parse_principal_arn never answers one).
                PrincipalKind::Group => None,
            })
        })?
        .map_err(|arn| {
            IamError::MalformedPolicyDocument(format!(
                "Invalid principal in policy: \"AWS\":\"{arn}\""
            ))
        })
    }

    /// The current ARN of the principal `binding` names, `None` once it is gone.
    fn bound_principal_arn(&self, binding: &PrincipalBinding) -> IamResult<Option<String>> {
        let Some((kind, account, name)) = parse_principal_arn(&binding.arn) else {
            return Ok(None);
        };
        Ok(match kind {
            PrincipalKind::User => self
                .user_with_id(account, name, &binding.id)?
                .map(|u| u.arn()),
            PrincipalKind::Role => self
                .role_with_id(account, name, &binding.id)?
                .map(|r| r.arn()),
            PrincipalKind::Group => None,
        })
    }

    /// `role`'s trust policy as in force now: as sent while every user and
    /// role it names is still the principal it named when saved; otherwise
    /// with a deleted principal's ARN replaced by its unique id (matching
    /// no one, as in AWS) and a renamed user's by its new ARN. What GetRole,
    /// ListRoles and the console show, and what AssumeRole evaluates.
    pub fn trust_policy_document<'r>(&self, role: &'r Role) -> IamResult<Cow<'r, str>> {
        let document = role.assume_role_policy_document.as_str();
        let mut replacements: Vec<(&str, String)> = Vec::new();
        for binding in &role.trust_principals {
            match self.bound_principal_arn(binding)? {
                Some(arn) if arn == binding.arn => {}
                Some(arn) => replacements.push((&binding.arn, arn)),
                None => replacements.push((&binding.arn, binding.id.clone())),
            }
        }
        if replacements.is_empty() {
            return Ok(Cow::Borrowed(document));
        }
        rewrite_principals(document, &replacements)
            .map(Cow::Owned)
            .ok_or_else(|| {
                IamError::Internal(format!(
                    "the trust policy of {} does not parse as JSON",
                    role.arn()
                ))
            })
    }

    /// `role` with its trust policy as in force ([`IamService::trust_policy_document`]),
    /// for callers that show a whole role (the console). Borrowed, with no
    /// copy, unless a principal the trust names is gone; the stored document
    /// if the store fails (a display never fails on it).
    pub fn role_as_shown<'r>(&self, role: &'r Role) -> Cow<'r, Role> {
        match self.trust_policy_document(role) {
            Ok(Cow::Owned(document)) => Cow::Owned(Role {
                assume_role_policy_document: document,
                ..role.clone()
            }),
            Ok(Cow::Borrowed(_)) => Cow::Borrowed(role),
            Err(e) => {
                tracing::warn!(role = %role.arn(), error = %e, "cannot tell which principals of a trust policy still exist");
                Cow::Borrowed(role)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOB: &str = "arn:aws:iam::123456789012:user/team/bob";

    #[test]
    fn principal_arns() {
        assert_eq!(
            parse_principal_arn(BOB),
            Some((PrincipalKind::User, "123456789012", "bob"))
        );
        assert_eq!(
            parse_principal_arn("arn:aws:iam::123456789012:role/x"),
            Some((PrincipalKind::Role, "123456789012", "x"))
        );
        for other in [
            "arn:aws:iam::123456789012:root",
            "123456789012",
            "arn:aws:sts::123456789012:assumed-role/x/s",
            "arn:aws:iam::1:user/b",
            "*",
        ] {
            assert_eq!(parse_principal_arn(other), None, "{other}");
        }
    }

    #[test]
    fn only_aws_principals_are_named_and_only_they_are_rewritten() {
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Principal":{{"AWS":["{BOB}","arn:aws:iam::123456789012:root"]}},"Action":"sts:AssumeRole",
                  "Condition":{{"ArnEquals":{{"aws:PrincipalArn":"{BOB}"}}}}}},
                {{"Effect":"Deny","NotPrincipal":{{"AWS":"arn:aws:iam::123456789012:role/x"}},"Action":"sts:AssumeRole"}},
                {{"Effect":"Allow","Principal":{{"Service":"ssm.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        assert_eq!(
            named_principals(&document),
            vec![
                BOB.to_string(),
                "arn:aws:iam::123456789012:role/x".to_string()
            ]
        );
        let rewritten = rewrite_principals(&document, &[(BOB, "AIDABOB".into())]).unwrap();
        assert_eq!(
            rewritten,
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["AIDABOB","arn:aws:iam::123456789012:root"]}},"Action":"sts:AssumeRole","Condition":{{"ArnEquals":{{"aws:PrincipalArn":"{BOB}"}}}}}},{{"Effect":"Deny","NotPrincipal":{{"AWS":"arn:aws:iam::123456789012:role/x"}},"Action":"sts:AssumeRole"}},{{"Effect":"Allow","Principal":{{"Service":"ssm.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#
            ),
            "the Condition keeps the ARN; members keep their order"
        );
        let single = format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"sts:AssumeRole"}}}}"#
        );
        assert!(rewrite_principals(&single, &[(BOB, "AIDABOB".into())])
            .unwrap()
            .contains(r#""AWS":"AIDABOB""#));
        assert_eq!(
            bind_principals(&single, |_| Ok(None)),
            Ok(Err(BOB.to_string()))
        );
        assert_eq!(
            bind_principals(&single, |_| Ok(Some("AIDABOB".into()))),
            Ok(Ok(vec![PrincipalBinding {
                arn: BOB.into(),
                id: "AIDABOB".into()
            }]))
        );
        let failed = IamError::Internal("the store is down".into());
        assert_eq!(
            bind_principals(&single, |_| Err(failed.clone())),
            Err(failed),
            "a failed look-up is no missing principal"
        );
    }
}

/// A deleted principal stays deleted (issue 13 item 4), through the service.
#[cfg(test)]
mod deleted_principals {
    use std::sync::Arc;

    use crate::holders::PrincipalKind;

    use ironiam_policy::Context;

    use crate::authorize::AuthzRequest;
    use crate::clock::FixedClock;
    use crate::credentials::CredentialError;
    use crate::error::IamError;
    use crate::memory::MemoryStore;
    use crate::service::{Caller, IamService, NewPolicy, NewRole, Settings};
    use crate::sts::{AssumeCheck, AssumeRoleInput};
    use crate::users::NewUser;

    const ACCOUNT: &str = "123456789012";
    const ALLOW_ASSUME: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#;
    const ALLOW_LIST_ROLES: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}}"#;

    fn service() -> IamService {
        IamService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(FixedClock::new(1_800_000_000)),
            Settings::default(),
        )
    }

    fn trust(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    fn user(s: &IamService, name: &str, policy: &str) -> Caller {
        let root = s.default_caller();
        let u = s
            .create_user(
                &root,
                NewUser {
                    name: name.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        s.put_inline_policy(&root, PrincipalKind::User, name, "p".into(), policy.into())
            .unwrap();
        Caller::user(&u)
    }

    fn role(s: &IamService, name: &str, trust_policy: String) {
        s.create_role(
            &s.default_caller(),
            NewRole {
                name: name.into(),
                trust_policy,
                ..Default::default()
            },
        )
        .unwrap();
    }

    /// The role `worker`, trusting the user `caller`, allowed iam:ListRoles.
    fn worker_trusting_caller(s: &IamService) {
        role(
            s,
            "worker",
            trust(&format!("arn:aws:iam::{ACCOUNT}:user/caller")),
        );
        let (root, kind) = (s.default_caller(), PrincipalKind::Role);
        s.put_inline_policy(&root, kind, "worker", "p".into(), ALLOW_LIST_ROLES.into())
            .unwrap();
    }

    fn assume(s: &IamService, caller: &Caller, role: &str) -> Result<Caller, IamError> {
        let input = AssumeRoleInput {
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
            session_name: "s".into(),
            ..Default::default()
        };
        s.assume_role(caller, input, AssumeCheck::Full)
            .map(|(issued, _)| Caller::from_session(issued.claims))
    }

    fn list_roles() -> AuthzRequest {
        AuthzRequest {
            action: "iam:ListRoles".into(),
            resource: "*".into(),
            resource_account: None,
            context: Context::new(),
        }
    }

    #[test]
    fn a_session_of_a_deleted_role_gains_nothing_from_a_new_role_of_its_name() {
        let s = service();
        let root = s.default_caller();
        let caller = user(&s, "caller", ALLOW_ASSUME);
        role(
            &s,
            "worker",
            trust(&format!("arn:aws:iam::{ACCOUNT}:user/caller")),
        );
        let old = assume(&s, &caller, "worker").unwrap();
        s.delete_role(&root, "worker").unwrap();
        worker_trusting_caller(&s);
        let new = assume(&s, &caller, "worker").unwrap();
        assert!(s.verdict(&new, &list_roles()).unwrap().is_allowed());
        assert!(
            !s.verdict(&old, &list_roles()).unwrap().is_allowed(),
            "the old session's role is gone"
        );
        assert!(!s.authorize(&old, &list_roles()).unwrap().is_allowed());
        // Nor does a trust naming the role admit the old session.
        role(
            &s,
            "next",
            trust(&format!("arn:aws:iam::{ACCOUNT}:role/worker")),
        );
        assert!(assume(&s, &new, "next").is_ok());
        assert_eq!(assume(&s, &old, "next").unwrap_err().code(), "AccessDenied");
    }

    #[test]
    fn get_session_token_credentials_of_a_deleted_user_are_unknown() {
        let s = service();
        let root = s.default_caller();
        let bob = user(&s, "bob", ALLOW_LIST_ROLES);
        let issued = s.get_session_token(&bob, None).unwrap();
        let id = issued.claims.access_key_id.clone();
        assert!(s
            .resolve_credentials(&id, Some(&issued.session_token))
            .unwrap()
            .is_ok());
        s.delete_inline_policy(&root, PrincipalKind::User, "bob", "p")
            .unwrap();
        s.delete_user(&root, "bob").unwrap();
        user(&s, "bob", ALLOW_LIST_ROLES);
        assert_eq!(
            s.resolve_credentials(&id, Some(&issued.session_token))
                .unwrap()
                .unwrap_err(),
            CredentialError::UnknownAccessKey
        );
        // Whatever reaches the engine with them has no policies either.
        let stale = Caller::from_session(issued.claims.clone());
        assert!(!s.verdict(&stale, &list_roles()).unwrap().is_allowed());
    }

    #[test]
    fn get_session_token_credentials_outlive_a_rename() {
        let s = service();
        let bob = user(&s, "bob", ALLOW_LIST_ROLES);
        let issued = s.get_session_token(&bob, None).unwrap();
        s.update_user(&s.default_caller(), "bob", Some("robert".into()), None)
            .unwrap();
        let credentials = s
            .resolve_credentials(&issued.claims.access_key_id, Some(&issued.session_token))
            .unwrap()
            .unwrap();
        assert!(
            s.verdict(&credentials.caller, &list_roles())
                .unwrap()
                .is_allowed(),
            "the same user, by id"
        );
    }

    #[test]
    fn a_trust_binds_the_users_it_names_to_their_ids() {
        let s = service();
        let root = s.default_caller();
        let bob_arn = format!("arn:aws:iam::{ACCOUNT}:user/bob");
        let missing = s
            .create_role(
                &root,
                NewRole {
                    name: "r".into(),
                    trust_policy: trust(&bob_arn),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(
            missing,
            IamError::MalformedPolicyDocument(format!(
                "Invalid principal in policy: \"AWS\":\"{bob_arn}\""
            ))
        );
        let bob = user(&s, "bob", ALLOW_ASSUME);
        role(&s, "trusting", trust(&bob_arn));
        let stored = s.get_role(&root, "trusting").unwrap();
        assert!(
            matches!(
                s.trust_policy_document(&stored).unwrap(),
                std::borrow::Cow::Borrowed(_)
            ),
            "unchanged: nothing to rewrite"
        );
        assert!(assume(&s, &bob, "trusting").is_ok());

        // Renamed, bob is still the principal: the trust shows his new ARN and admits him.
        s.update_user(&root, "bob", Some("robert".into()), None)
            .unwrap();
        let robert = Caller::user(&s.user(&root, "robert").unwrap());
        assert!(s
            .trust_policy_document(&stored)
            .unwrap()
            .contains(&format!("arn:aws:iam::{ACCOUNT}:user/robert")));
        assert!(assume(&s, &robert, "trusting").is_ok());

        // Deleted, he shows as his id; a new bob is not him.
        s.delete_inline_policy(&root, PrincipalKind::User, "robert", "p")
            .unwrap();
        s.delete_user(&root, "robert").unwrap();
        let new_bob = user(&s, "bob", ALLOW_ASSUME);
        let shown = s.trust_policy_document(&stored).unwrap();
        assert!(
            shown.contains(&format!(r#""AWS":"{}""#, bob.user_id)),
            "{shown}"
        );
        assert!(!shown.contains(&bob_arn));
        assert_eq!(
            s.role_as_shown(&stored).assume_role_policy_document,
            *shown,
            "the console shows the same"
        );
        assert_eq!(
            assume(&s, &new_bob, "trusting").unwrap_err().code(),
            "AccessDenied"
        );
        // Saved again, the trust names the new bob.
        s.update_assume_role_policy(&root, "trusting", trust(&bob_arn))
            .unwrap();
        assert!(assume(&s, &new_bob, "trusting").is_ok());
        assert!(s
            .update_assume_role_policy(
                &root,
                "trusting",
                trust(&format!("arn:aws:iam::{ACCOUNT}:role/none"))
            )
            .is_err());
    }

    #[test]
    fn session_policy_arns_must_exist_and_a_deleted_one_grants_nothing() {
        let s = service();
        let root = s.default_caller();
        let caller = user(&s, "caller", ALLOW_ASSUME);
        worker_trusting_caller(&s);
        let with_arns = |arns: &[&str]| {
            let input = AssumeRoleInput {
                role_arn: format!("arn:aws:iam::{ACCOUNT}:role/worker"),
                session_name: "s".into(),
                policy_arns: arns.iter().map(|a| a.to_string()).collect(),
                ..Default::default()
            };
            s.assume_role(&caller, input, AssumeCheck::Full)
                .map(|(issued, _)| Caller::from_session(issued.claims))
        };
        for missing in [
            format!("arn:aws:iam::{ACCOUNT}:policy/Missing"),
            "arn:aws:iam::aws:policy/NoSuchManagedPolicy".to_string(),
            "arn:aws:iam::210987654321:policy/OtherAccount".to_string(),
        ] {
            let e = with_arns(&[missing.as_str()]).unwrap_err();
            assert_eq!(
                e,
                IamError::MalformedPolicyDocument(format!(
                    "Policy {missing} does not exist or is not attachable."
                ))
            );
        }
        let arn = s
            .create_policy(
                &root,
                NewPolicy {
                    name: "narrow".into(),
                    document: ALLOW_LIST_ROLES.into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .arn;
        assert!(with_arns(&[arn.as_str(), "arn:aws:iam::aws:policy/IAMReadOnlyAccess"]).is_ok());
        let session = with_arns(&[arn.as_str()]).unwrap();
        assert!(s.verdict(&session, &list_roles()).unwrap().is_allowed());
        // Deleted after the session began: the session policy grants nothing
        // (AccessDenied), and nothing fails.
        s.delete_policy(&root, &arn).unwrap();
        assert!(!s.verdict(&session, &list_roles()).unwrap().is_allowed());
        assert!(!s.authorize(&session, &list_roles()).unwrap().is_allowed());
    }
}
