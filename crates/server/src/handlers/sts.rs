//! STS operations.

use super::{render, Ctx, HandlerResult};

/// GetCallerIdentity.
pub(crate) fn get_caller_identity(ctx: &Ctx) -> HandlerResult {
    render(|w| {
        w.element("UserId", &ctx.caller.user_id);
        w.element("Account", &ctx.caller.account_id);
        w.element("Arn", &ctx.caller.arn);
    })
}
