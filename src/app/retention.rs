//! `relaydesk retention [--dry-run]` (SPEC §9): what retention removes, now, beside
//! the running service (its own connection, like `export`): with `--dry-run` the
//! list only, read-only; without, the same run the service does daily
//! (`runtime/retention.rs`).

use std::io::Write;

use crate::config::Config;
use crate::domain::transcript::at;
use crate::error::{Error, Result};
use crate::runtime::retention::{self, Plan};
use crate::store::retention::{Removed, open_beside_service};

/// List what goes (and, unless `dry_run`, remove it) on `out`.
pub fn run(config: &Config, dry_run: bool, out: &mut dyn Write) -> Result<Option<Removed>> {
    let write = |e: std::io::Error| Error::io("write the list", e);
    let now = crate::now_ms();
    let r = &config.retention;
    if retention::cutoff(r, now).is_none() {
        writeln!(
            out,
            "retention is off ([retention] closed_after = \"0s\"): nothing to do"
        )
        .map_err(write)?;
        return Ok(None);
    }
    let mut conn = open_beside_service(&config.database.path, dry_run)?;
    let plan = retention::plan(&conn, &config.archive.dir, r, now)?;
    list(&plan, out).map_err(write)?;
    let (n, messages, files) = (plan.items.len(), plan.messages(), plan.files());
    if dry_run {
        writeln!(
            out,
            "dry run: {n} communications, {messages} messages, {files} files would be removed; nothing changed"
        )
        .map_err(write)?;
        return Ok(None);
    }
    let removed = retention::carry_out(&mut conn, plan, now)?;
    writeln!(
        out,
        "removed: {} communications, {} messages, {} files",
        removed.communications, removed.messages, removed.files
    )
    .map_err(write)?;
    Ok(Some(removed))
}

fn list(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    for item in &plan.items {
        let e = &item.expired;
        writeln!(
            out,
            "#{} (customer {}, closed {}): {} messages, {} files",
            e.comm,
            e.customer,
            at(e.closed_at),
            e.messages,
            item.files.len()
        )?;
        for f in &item.files {
            writeln!(out, "  {}", f.display())?;
        }
    }
    for p in &plan.refused {
        writeln!(out, "refused (outside the archive folder): {}", p.display())?;
    }
    Ok(())
}
