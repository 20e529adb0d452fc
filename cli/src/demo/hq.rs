//! The main job: an HQ on loopback, an engineer's phone and a repair-center technician's tablet
//! working the same case apart. Both record a defect cause while offline, both sync, the
//! merged case shows the conflict on every device, the engineer resolves it, and the visit
//! finishes with phone, tablet and HQ holding the same case. Then the exchange of a pump
//! ([`super::exchange`]) goes through HQ's approvals and the warehouse's tablet.

use std::path::{Path, PathBuf};

use fieldcore::{CancelToken, SyncConfig};
use fieldcore::{CaseView, Command, Store};
use fieldcore::{Cause, ConfirmationInput, DefectInput, Outcome, PartInput, PhotoKind};
use fieldhq::{Role, RunningHq, ServeConfig};

use super::photos as demo_photos;
use super::visit::{action_text, complaint, confirm_defect, status_text, summary_of};
use crate::error::{CliError, DemoFailure, Result};
use crate::output::{Printer, locale};

const CENTER: &str = "Changzhou Authorised Repair Center";

/// An embedded HQ with its own runtime; stopped gracefully when dropped.
pub(super) struct Hq {
    runtime: tokio::runtime::Runtime,
    running: Option<RunningHq>,
}

impl Hq {
    fn start(data: &Path) -> Result<Hq> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let addr = "127.0.0.1:0"
            .parse()
            .map_err(|_| CliError::Demo(DemoFailure::LoopbackAddress))?;
        let running = runtime
            .block_on(fieldhq::serve(ServeConfig::new(addr, data)))
            .map_err(hq_error)?;
        Ok(Hq {
            runtime,
            running: Some(running),
        })
    }

    fn running(&self) -> Result<&RunningHq> {
        self.running
            .as_ref()
            .ok_or_else(|| CliError::Demo(DemoFailure::HqStopped))
    }

    /// Creates an HQ user who works at HQ's console, without a device.
    pub(super) fn add_user(&self, user: &str, role: Role) -> Result<()> {
        let storage = self.running()?.storage();
        self.runtime
            .block_on(fieldhq::admin::add_user(storage, user, role, None))
            .map(|_| ())
            .map_err(hq_error)
    }

    /// `by` decides the step of the case's return or replenishment that waits for HQ.
    pub(super) fn decide_return(
        &self,
        case: &str,
        by: &str,
        decision: fieldhq::returns::ReturnDecision,
        now: fieldcore::Timestamp,
    ) -> Result<fieldhq::returns::ReturnDecided> {
        let storage = self.running()?.storage();
        self.runtime
            .block_on(fieldhq::returns::decide(
                storage,
                case,
                by,
                decision,
                now,
                fieldhq::state::DEFAULT_TIME_ZONE,
            ))
            .map_err(hq_error)
    }

    /// Creates a user with one device and returns that device's token.
    pub(super) fn device_for(
        &self,
        user: &str,
        role: Role,
        center: Option<&str>,
    ) -> Result<String> {
        let storage = self.running()?.storage();
        self.runtime
            .block_on(async {
                fieldhq::admin::add_user(storage, user, role, center).await?;
                let enrolment = fieldhq::admin::enrol_device(storage, user, Some("demo")).await?;
                Ok::<_, fieldhq::Error>(enrolment.token)
            })
            .map_err(hq_error)
    }

    fn route(&self, case: &str, center: &str) -> Result<()> {
        let storage = self.running()?.storage();
        self.runtime
            .block_on(fieldhq::admin::route(
                storage,
                case,
                center,
                fieldhq::state::DEFAULT_TIME_ZONE,
            ))
            .map(|_| ())
            .map_err(hq_error)
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.shutdown());
        }
    }
}

/// One device of the demo: its store and how it reaches HQ; `name` is in the output's language.
pub(super) struct Device {
    pub(super) name: &'static str,
    pub(super) store: Store,
    config: SyncConfig,
}

impl Device {
    pub(super) fn open(
        name: &'static str,
        path: PathBuf,
        user: &str,
        role: Role,
        url: &str,
        token: String,
    ) -> Result<Device> {
        let mut store = Store::open(path, user)?;
        // As an app does after sign-in: steps the role may not take are refused on the device.
        store.set_role(Some(role));
        Ok(Device {
            name,
            store,
            config: SyncConfig::new(url, &token),
        })
    }

    pub(super) fn sync(&mut self, out: &Printer) -> Result<()> {
        let report = self
            .store
            .sync(&self.config, &mut |_| {}, &CancelToken::new())?;
        let p = &report.progress;
        out.line(&locale().pick(
            format!(
                "    {}已同步：上传 {} 个案件，下载 {} 个，上传照片 {} 张，发送 {} B，接收 {} B",
                self.name,
                p.pushed_cases,
                p.pulled_cases,
                p.photos_uploaded,
                p.bytes_sent,
                p.bytes_received
            ),
            format!(
                "    {} synced: pushed {} case(s), pulled {}, {} photo(s) uploaded, {} B sent, {} B received",
                self.name,
                p.pushed_cases,
                p.pulled_cases,
                p.photos_uploaded,
                p.bytes_sent,
                p.bytes_received
            ),
        ))
    }

    pub(super) fn run(
        &mut self,
        case: fieldcore::CaseId,
        command: Command,
        out: &Printer,
    ) -> Result<CaseView> {
        let (view, _) = self.store.execute(case, &command)?;
        let summary = summary_of(&view, &command);
        let (action, status) = (action_text(&command), status_text(&view));
        out.line(&locale().pick(
            format!("    {}：{action}：{summary} → {status}", self.name),
            format!("    {}: {action}: {summary} → {status}", self.name),
        ))?;
        Ok(view)
    }
}

/// Runs the whole story in `folder`; returns the phone's database, its final case and store.
pub fn run(folder: &Path, out: &Printer) -> Result<(PathBuf, CaseView, Store)> {
    let l = locale();
    out.line(l.pick(
        "在本机回环地址上启动总部服务（内嵌 SQLite 数据库和文件夹）",
        "Starting an HQ on loopback (embedded SQLite database, blob folder)",
    ))?;
    let hq = Hq::start(&folder.join("hq"))?;
    let url = hq.running()?.url();
    let phone_token = hq.device_for("li.wei", Role::Engineer, None)?;
    let tablet_token = hq.device_for("chen.jie", Role::Technician, Some(CENTER))?;
    let desk_token = hq.device_for("wang.fang", Role::HqStaff, None)?;
    out.line(&l.pick(
        format!("    总部地址 {url}；服务工程师 li.wei（手机），{CENTER} 维修技师 chen.jie（平板），总部人员 wang.fang"),
        format!("    HQ at {url}; engineer li.wei (phone), technician chen.jie of {CENTER} (tablet), HQ staff wang.fang"),
    ))?;
    let mut phone = Device::open(
        l.pick("手机", "phone"),
        folder.join("phone.db"),
        "li.wei",
        Role::Engineer,
        &url,
        phone_token,
    )?;
    let mut tablet = Device::open(
        l.pick("平板", "tablet"),
        folder.join("tablet.db"),
        "chen.jie",
        Role::Technician,
        &url,
        tablet_token,
    )?;
    let mut desk = Device::open(
        l.pick("总部工作台", "hq desk"),
        folder.join("desk.db"),
        "wang.fang",
        Role::HqStaff,
        &url,
        desk_token,
    )?;

    out.line(l.pick(
        "1. 首问责任人（服务工程师）在手机上登记客户投诉并同步；总部为案件编号",
        "1. The engineer registers the complaint on the phone and syncs; HQ numbers the case",
    ))?;
    let now = phone.store.now();
    let case = phone.store.register(&complaint(now, "li.wei"))?.id;
    out.line(&l.pick(
        format!("    {}：登记案件 {case}", phone.name),
        format!("    phone: registered case {case}"),
    ))?;
    let (_, nameplate) = phone.store.import_photo(
        case,
        &demo_photos::nameplate()?,
        PhotoKind::Nameplate,
        "Nameplate on the motor housing",
    )?;
    out.line(&l.pick(
        format!("    {}：铭牌照片 {}", phone.name, &nameplate[..12]),
        format!("    phone: nameplate photo {}", &nameplate[..12]),
    ))?;
    phone.run(
        case,
        Command::Acknowledge {
            note: Some("Engineer on the way; blower no. 2 stays off".into()),
        },
        out,
    )?;
    phone.run(case, Command::ArriveOnSite, out)?;
    phone.sync(out)?;
    let number = phone
        .store
        .case(case)?
        .number
        .unwrap_or_else(|| l.pick("（无）", "(none)").into());
    out.line(&l.pick(
        format!("    手机上现已显示正式案件编号 {number}"),
        format!("    phone now shows the official number {number}"),
    ))?;

    out.line(l.pick(
        "2. 总部将案件派给特约维修中心；平板同步后收到案件",
        "2. HQ routes the case to the repair center; the tablet syncs and gets it",
    ))?;
    hq.route(&case.to_string(), CENTER)?;
    tablet.sync(out)?;

    out.line(l.pick(
        "3. 双方离线工作，故障鉴定得出不同的原因",
        "3. Both work offline and decide the cause differently",
    ))?;
    let (_, bearing) = phone.store.import_photo(
        case,
        &demo_photos::bearing_defect()?,
        PhotoKind::Defect,
        "Drive-end bearing 6308: discoloured outer race",
    )?;
    phone.run(case, confirm_defect(bearing.clone()), out)?;
    tablet.run(
        case,
        Command::ConfirmDefect(DefectInput {
            cause: Cause::StorageTransport,
            findings:
                "Shaft end shows an impact mark; the bearing may have been damaged in transport"
                    .into(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
        out,
    )?;

    out.line(l.pick(
        "4. 双方同步：合并后的案件在每台设备上都显示冲突",
        "4. Both sync: the merged case shows the conflict on every device",
    ))?;
    phone.sync(out)?;
    tablet.sync(out)?;
    phone.sync(out)?;
    desk.sync(out)?;
    let merged = phone.store.case(case)?;
    for conflict in &merged.conflicts {
        out.line(&l.pick(
            format!("    字段 {} 有冲突：", conflict.field),
            format!("    conflict on {}:", conflict.field),
        ))?;
        for (i, alt) in conflict.alternatives.iter().enumerate() {
            out.line(&l.pick(
                format!(
                    "      [{i}] {}，{} 于 {} 记录",
                    alt.value,
                    alt.by,
                    alt.at.to_rfc3339()
                ),
                format!(
                    "      [{i}] {} by {} at {}",
                    alt.value,
                    alt.by,
                    alt.at.to_rfc3339()
                ),
            ))?;
        }
    }
    for device in [&mut tablet, &mut desk] {
        let seen = device.store.case(case)?;
        out.line(&l.pick(
            format!("    {}显示 {} 处冲突", device.name, seen.conflicts.len()),
            format!(
                "    {} shows {} conflict(s)",
                device.name,
                seen.conflicts.len()
            ),
        ))?;
    }
    let Some(choice) = merged
        .conflicts
        .iter()
        .find(|c| c.field == "defect")
        .and_then(|c| {
            c.alternatives
                .iter()
                .position(|a| a.value == Cause::DesignManufacturing.as_str())
        })
    else {
        return Err(CliError::Demo(DemoFailure::NoDefectConflict));
    };

    out.line(l.pick(
        "5. 服务工程师解决冲突，完成上门服务直至结案；各方同步",
        "5. The engineer resolves it and finishes the visit; everyone syncs",
    ))?;
    phone.run(
        case,
        Command::ResolveConflict {
            field: "defect".into(),
            choose: choice,
        },
        out,
    )?;
    phone.run(
        case,
        Command::DecideWarranty {
            evidence_photos: vec![bearing],
            charge: None,
        },
        out,
    )?;
    let view = phone.run(
        case,
        Command::RecordPart(PartInput {
            part_number: "6308-2Z/C3".into(),
            specification: "deep groove ball bearing 40×90×23 mm, drive end".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: true,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
        out,
    )?;
    // A covered case closes only with its old part accounted for: kept under a tag.
    if let Some(line) = view.parts.last().map(|l| l.id.clone()) {
        phone.run(
            case,
            Command::KeepOldPart {
                line_id: line,
                tag: "JS-2611-0042".into(),
            },
            out,
        )?;
    }
    phone.run(
        case,
        Command::Resolve {
            outcome: Outcome::PartsReplaced,
            summary: "Bearing replaced, seat sleeved; 30 min test run at 71 °C".into(),
        },
        out,
    )?;
    let (_, signature) = phone.store.import_photo(
        case,
        &demo_photos::signature()?,
        PhotoKind::Signature,
        "Signature of Wang Lei, plant manager",
    )?;
    phone.run(
        case,
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Wang Lei".into(),
            accepted: true,
            reason: None,
            signature_hash: Some(signature),
        }),
        out,
    )?;
    phone.run(case, Command::Close, out)?;
    phone.sync(out)?;
    tablet.sync(out)?;
    desk.sync(out)?;

    let on_phone = phone.store.case(case)?;
    let on_tablet = tablet.store.case(case)?;
    let on_desk = desk.store.case(case)?;
    let same = on_phone == on_tablet && on_tablet == on_desk;
    out.line(&l.pick(
        format!(
            "6. 数据一致性检查：手机、平板和总部工作台显示的案件是否相同：{}；剩余冲突：{}",
            if same { "是" } else { "否" },
            on_phone.conflicts.len()
        ),
        format!(
            "6. Converged: phone, tablet and HQ desk show the same case: {}; conflicts left: {}",
            if same { "yes" } else { "NO" },
            on_phone.conflicts.len()
        ),
    ))?;
    if !same {
        return Err(CliError::Demo(DemoFailure::NotConverged));
    }
    super::exchange::run(&hq, &url, folder, &mut phone, &mut desk, out)?;
    drop(hq);
    Ok((folder.join("phone.db"), on_phone, phone.store))
}

pub(super) fn hq_error(e: fieldhq::Error) -> CliError {
    CliError::Demo(DemoFailure::Hq(e.to_string()))
}
