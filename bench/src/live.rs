//! The `live` section of `skp-bench all`.

use crate::report::Report;
use crate::Ctx;

pub async fn run(_ctx: &mut Ctx, _report: &mut Report) -> anyhow::Result<()> {
    anyhow::bail!("the live section is not built yet")
}
