//! `fieldhq archive` (closed cases out to an archive folder or bucket, and `archive restore`
//! back) and `fieldhq backup` (an online copy of the embedded HQ).

use std::path::Path;

use chrono::{NaiveDate, TimeZone};
use clap::{Args, Subcommand};
use fieldcore::Locale;
use fieldhq::archive::{self, Restored};
use fieldhq::archive_dest::{ArchiveDestination, DirDestination, S3Destination};
use fieldhq::blobs::{BlobLocation, BlobStore};
use fieldhq::{Error, Storage};

use crate::S3Settings;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ArchiveArgs {
    #[command(subcommand)]
    command: Option<ArchiveCommand>,
    /// Archive the cases closed before this day (YYYY-MM-DD, in the company's time zone).
    #[arg(long, value_name = "DATE")]
    closed_before: Option<NaiveDate>,
    /// The archive: a folder, or s3://BUCKET/PREFIX (with --s3-endpoint, --s3-region,
    /// --s3-path-style and the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
    /// as for --blobs).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    to: Option<String>,
}

#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// Put an archived case back into the live database.
    Restore {
        /// The case number (YYMM-NNNN).
        number: String,
        /// The archive it was written to: a folder or s3://BUCKET/PREFIX, as --to.
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        from: String,
    },
}

/// The archive at `location` (a folder or an `s3://` URL), an object store asked once whether
/// it answers.
async fn destination(
    location: &str,
    s3: &S3Settings,
) -> fieldhq::Result<Box<dyn ArchiveDestination>> {
    Ok(match s3.location(location)? {
        BlobLocation::Folder(folder) => Box::new(DirDestination::open(&folder)?),
        BlobLocation::S3(config) => Box::new(S3Destination::connect(&config).await?),
    })
}

pub async fn run(
    storage: &Storage,
    blobs: &BlobLocation,
    s3: &S3Settings,
    args: ArchiveArgs,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    // Beside a running server: nothing of its uploads in flight is touched.
    let blobs = BlobStore::connect(blobs, false).await?;
    match args.command {
        Some(ArchiveCommand::Restore { number, from }) => {
            let dest = destination(&from, s3).await?;
            match archive::restore(storage, &blobs, dest.as_ref(), &number, time_zone).await? {
                Restored::Restored { changes } => println!(
                    "{}",
                    l.pick(
                        format!("案件 {number} 已从档案恢复（{changes} 个修改）"),
                        format!("case {number} restored from the archive ({changes} changes)")
                    )
                ),
                Restored::AlreadyLive => println!(
                    "{}",
                    l.pick(
                        format!("案件 {number} 已在使用中，无需恢复"),
                        format!("case {number} is live already; nothing restored")
                    )
                ),
            }
            Ok(())
        }
        None => {
            let (Some(day), Some(to)) = (args.closed_before, args.to) else {
                return Err(Error::Invalid(l.pick(
                    "需要 --closed-before 日期 和 --to 文件夹或 s3://存储桶/前缀".to_owned(),
                    "give --closed-before DATE and --to DIR|s3://BUCKET/PREFIX".to_owned(),
                )));
            };
            let midnight = day
                .and_hms_opt(0, 0, 0)
                .and_then(|t| time_zone.from_local_datetime(&t).earliest())
                .ok_or_else(|| Error::Invalid(format!("{day} has no midnight in {time_zone}")))?;
            let dest = destination(&to, s3).await?;
            let done =
                archive::archive_closed(storage, &blobs, dest.as_ref(), midnight.timestamp())
                    .await?;
            let n = done.archived.len();
            let at = dest.location();
            println!(
                "{}",
                l.pick(
                    format!("已归档 {n} 个结案案件到 {at}"),
                    format!("{n} closed cases archived to {at}")
                )
            );
            for (case, why) in &done.failed {
                println!(
                    "{}",
                    l.pick(
                        format!("  未归档 {case}：{why}"),
                        format!("  not archived {case}: {why}")
                    )
                );
            }
            if done.failed.is_empty() {
                Ok(())
            } else {
                Err(Error::Invalid(l.pick(
                    format!(
                        "{} 个案件未归档（仍在使用中，可再次运行）",
                        done.failed.len()
                    ),
                    format!(
                        "{} cases were not archived (they stay live; run again)",
                        done.failed.len()
                    ),
                )))
            }
        }
    }
}

/// `fieldhq backup --to DIR` on the embedded database; PostgreSQL has its own tools.
pub fn backup(
    data: &Path,
    database_url: Option<&str>,
    to: &Path,
    l: Locale,
) -> fieldhq::Result<()> {
    if database_url.is_some() {
        return Err(Error::Invalid(l.pick(
            "PostgreSQL 请用 pg_dump 备份数据库，并另行复制照片文件夹（见 docs/operations.md）"
                .to_owned(),
            "back up PostgreSQL with pg_dump, and copy the photo folder beside it (see docs/operations.md)"
                .to_owned(),
        )));
    }
    let done = fieldhq::backup::backup_sqlite(data, to)?;
    println!(
        "{}",
        l.pick(
            format!(
                "已备份到 {}：数据库 {} 页，照片 {} 个",
                to.display(),
                done.pages,
                done.blobs
            ),
            format!(
                "backed up to {}: {} database pages, {} photos",
                to.display(),
                done.pages,
                done.blobs
            )
        )
    );
    Ok(())
}
