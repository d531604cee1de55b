//! The operations every holder of policies has — users, roles and groups:
//! Put/Get/Delete/List{Kind}Policies, Attach/Detach/ListAttached{Kind}Policies,
//! and for users and roles Tag/Untag/List{Kind}Tags and
//! Put/Delete{Kind}PermissionsBoundary.
//!
//! The model gives each kind its own input and output types (`RoleName`,
//! `UserName`, `GroupName`), so one macro writes the `IamApi` methods of a
//! kind from the names of its types and member; each method only moves
//! members between the typed input, one domain function
//! (`IamService::put_inline_policy(caller, kind, name, …)`, …) and the
//! typed output. There is no per-kind code to drift apart.

/// The `IamApi` methods of a kind's inline and attached policies.
macro_rules! policy_holder_api {
    (
        $kind:expr, $name:ident;
        $put:ident($Put:ident);
        $get:ident($Get:ident) -> $GetOut:ident;
        $delete:ident($Delete:ident);
        $list:ident($List:ident) -> $ListOut:ident;
        $attach:ident($Attach:ident);
        $detach:ident($Detach:ident);
        $list_attached:ident($ListAttached:ident) -> $ListAttachedOut:ident;
    ) => {
        fn $put(&self, ctx: &Ctx<'_>, input: iam::$Put) -> IamResult<()> {
            ctx.service.put_inline_policy(
                ctx.caller,
                $kind,
                &input.$name,
                input.policy_name,
                input.policy_document,
            )
        }
        fn $get(&self, ctx: &Ctx<'_>, input: iam::$Get) -> IamResult<iam::$GetOut> {
            let p = ctx.service.get_inline_policy(
                ctx.caller,
                $kind,
                &input.$name,
                &input.policy_name,
            )?;
            Ok(iam::$GetOut {
                $name: p.holder_name,
                policy_name: p.policy_name,
                policy_document: ironiam_protocol::url_encode_policy(&p.document),
            })
        }
        fn $delete(&self, ctx: &Ctx<'_>, input: iam::$Delete) -> IamResult<()> {
            ctx.service
                .delete_inline_policy(ctx.caller, $kind, &input.$name, &input.policy_name)
        }
        fn $list(&self, ctx: &Ctx<'_>, input: iam::$List) -> IamResult<iam::$ListOut> {
            let page = ctx.service.list_inline_policies(
                ctx.caller,
                $kind,
                &input.$name,
                input.marker.as_deref(),
                input.max_items,
            )?;
            Ok(iam::$ListOut {
                is_truncated: is_truncated(&page),
                policy_names: page.items,
                marker: page.marker,
            })
        }
        fn $attach(&self, ctx: &Ctx<'_>, input: iam::$Attach) -> IamResult<()> {
            ctx.service
                .attach_policy(ctx.caller, $kind, &input.$name, &input.policy_arn)
        }
        fn $detach(&self, ctx: &Ctx<'_>, input: iam::$Detach) -> IamResult<()> {
            ctx.service
                .detach_policy(ctx.caller, $kind, &input.$name, &input.policy_arn)
        }
        fn $list_attached(
            &self,
            ctx: &Ctx<'_>,
            input: iam::$ListAttached,
        ) -> IamResult<iam::$ListAttachedOut> {
            let page = ctx.service.list_attached_policies(
                ctx.caller,
                $kind,
                &input.$name,
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                input.max_items,
            )?;
            Ok(iam::$ListAttachedOut {
                attached_policies: Some(attached_policies(&page)),
                is_truncated: is_truncated(&page),
                marker: page.marker,
            })
        }
    };
}

/// The `IamApi` methods of a kind's tags and permissions boundary (users
/// and roles: AWS's groups have neither).
macro_rules! tagged_holder_api {
    (
        $kind:expr, $name:ident;
        $tag:ident($Tag:ident);
        $untag:ident($Untag:ident);
        $list_tags:ident($ListTags:ident) -> $ListTagsOut:ident;
        $put_boundary:ident($PutBoundary:ident);
        $delete_boundary:ident($DeleteBoundary:ident);
    ) => {
        fn $tag(&self, ctx: &Ctx<'_>, input: iam::$Tag) -> IamResult<()> {
            ctx.service.tag(
                ctx.caller,
                $kind,
                &input.$name,
                domain_tags(Some(input.tags)),
            )
        }
        fn $untag(&self, ctx: &Ctx<'_>, input: iam::$Untag) -> IamResult<()> {
            ctx.service
                .untag(ctx.caller, $kind, &input.$name, input.tag_keys)
        }
        fn $list_tags(&self, ctx: &Ctx<'_>, input: iam::$ListTags) -> IamResult<iam::$ListTagsOut> {
            let page = ctx.service.list_tags(
                ctx.caller,
                $kind,
                &input.$name,
                input.marker.as_deref(),
                input.max_items,
            )?;
            Ok(iam::$ListTagsOut {
                tags: page.items.iter().map(tag).collect(),
                is_truncated: is_truncated(&page),
                marker: page.marker,
            })
        }
        fn $put_boundary(&self, ctx: &Ctx<'_>, input: iam::$PutBoundary) -> IamResult<()> {
            ctx.service.put_permissions_boundary(
                ctx.caller,
                $kind,
                &input.$name,
                &input.permissions_boundary,
            )
        }
        fn $delete_boundary(&self, ctx: &Ctx<'_>, input: iam::$DeleteBoundary) -> IamResult<()> {
            ctx.service
                .delete_permissions_boundary(ctx.caller, $kind, &input.$name)
        }
    };
}
