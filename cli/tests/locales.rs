#![allow(clippy::unwrap_used, clippy::expect_used)]
//! fieldctl's own output in both languages: `--lang zh-CN` prints the list, the deadline
//! check, the sync lines against a real HQ on loopback and the refusals in Chinese, with field
//! names and JSON keys unchanged; `--lang en` prints what fieldctl always printed; `LANG`
//! picks the language when `--lang` is absent.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const DB: &str = "test.db";

/// fieldctl in `dir` with `LANG` as given (removed when `None`), so no test depends on the
/// shell it runs in.
fn fieldctl_lang(dir: &Path, lang_env: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldctl"));
    command
        .current_dir(dir)
        .env_remove("FIELDCTL_USER")
        .env_remove("FIELDCTL_HQ")
        .env_remove("FIELDCTL_TOKEN")
        .args(args);
    match lang_env {
        Some(lang) => command.env("LANG", lang),
        None => command.env_remove("LANG"),
    };
    command.output().unwrap()
}

fn fieldctl(dir: &Path, args: &[&str]) -> Output {
    fieldctl_lang(dir, None, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = fieldctl(dir, args);
    assert!(o.status.success(), "{args:?}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Terminal columns, a Chinese character or full-width form taking two.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ff60}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// The terminal column `needle` starts at in `line`.
fn column_of(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"));
    columns(&line[..at])
}

fn register_args(purchase_date: &str) -> Vec<String> {
    [
        "--db",
        DB,
        "case",
        "register",
        "--customer-name",
        "苏州立新泵站",
        "--phone",
        "+86 512 6688 1234",
        "--address",
        "苏州市吴中区运河路9号",
        "--region",
        "Jiangsu",
        "--market",
        "domestic",
        "--model",
        "YE3-132M-4",
        "--category",
        "motor",
        "--serial",
        "YE3-2406-00815",
        "--purchase-date",
        purchase_date,
        "--invoice",
        "INV-2026-0042",
        "--fault",
        "电机启动一分钟后跳闸",
        "--request",
        "repair",
        "--channel",
        "phone",
        "--first-responder",
        "张敏",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn purchase_date() -> String {
    (chrono::Local::now().date_naive() - chrono::Duration::days(60)).to_string()
}

fn register(dir: &Path, lang: &str) -> String {
    let mut args = vec!["--lang".to_owned(), lang.to_owned()];
    args.extend(register_args(&purchase_date()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(dir, &args)
}

#[test]
fn the_case_list_and_the_command_results_read_in_chinese_with_columns_aligned() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let registered = register(dir, "zh-CN");
    assert!(registered.starts_with("已登记案件 "), "{registered}");
    assert!(
        registered.contains(" · 状态 已登记 · 第 1 轮 · "),
        "{registered}"
    );

    let list = ok(dir, &["--db", DB, "--lang", "zh-CN", "case", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("案件"), "{list}");
    for header in ["状态", "客户", "型号", "出厂编号", "下一期限"] {
        assert!(lines[0].contains(header), "{header} missing from {list}");
    }
    assert!(lines[1].contains("已登记"), "{list}");
    assert!(lines[1].contains("答复客户"), "{list}");
    assert_eq!(lines[2], "1 个案件", "{list}");
    // Each column starts at the same terminal column in the header and the row, Chinese
    // characters counting two.
    for (header, cell) in [
        ("状态", "已登记"),
        ("客户", "苏州立新泵站"),
        ("型号", "YE3-132M-4"),
        ("出厂编号", "YE3-2406-00815"),
        ("下一期限", "答复客户"),
    ] {
        assert_eq!(
            column_of(lines[0], header),
            column_of(lines[1], cell),
            "{header} and {cell} do not line up:\n{list}"
        );
    }

    let list = ok(dir, &["--db", DB, "--lang", "en", "case", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("CASE"), "{list}");
    assert!(lines[1].contains("  registered  "), "{list}");
    assert!(lines[1].contains("  reply "), "{list}");
    assert_eq!(lines[2], "1 case");
    assert_eq!(
        column_of(lines[0], "SERIAL"),
        column_of(lines[1], "YE3-2406-00815"),
        "{list}"
    );

    // An empty list, and a LANG that says Chinese when no --lang is given.
    let empty = TempDir::new().unwrap();
    let o = fieldctl_lang(empty.path(), Some("zh_CN.UTF-8"), &["case", "list"]);
    assert_eq!(stdout(&o), "没有案件\n");
    let o = fieldctl_lang(empty.path(), Some("C.UTF-8"), &["case", "list"]);
    assert_eq!(stdout(&o), "no cases\n");
}

#[test]
fn the_deadline_check_reads_in_chinese_and_in_english_as_before() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let check = |lang: &str, received_at: &str, market: &str| {
        ok(
            dir,
            &[
                "--lang",
                lang,
                "deadline",
                "check",
                "--received-at",
                received_at,
                "--market",
                market,
            ],
        )
    };
    assert_eq!(
        check("en", "2025-09-26T10:00:00+08:00", "domestic"),
        "received 2025-09-26T10:00:00+08:00 (domestic)\n\
         deadline        due\n\
         reply           2025-09-27T10:00:00+08:00\n\
         remedy          2025-09-28T10:00:00+08:00\n\
         report          3 days after the investigation\n\
         5 working days  2025-10-10T23:59:59.999+08:00\n\
         close           2025-10-09T10:00:00+08:00\n"
    );
    assert_eq!(
        check("zh-CN", "2026-12-30T17:00:00+08:00", "foreign"),
        "收到投诉 2026-12-30T17:00:00+08:00（国外）\n\
         期限          截止\n\
         答复客户      2026-12-31T17:00:00+08:00\n\
         提出处理方案  2027-01-01T17:00:00+08:00\n\
         提交调查报告  调查后 3 天内\n\
         5 个工作日    2027-01-06T23:59:59.999+08:00\n\
         结案          2027-01-16T17:00:00+08:00\n\
         注：2027 年不在工作日历中，该年按周一至周五计算工作日\n"
    );
    // The JSON is the same in either language: machine names and the recorded phrases.
    let json = |lang: &str| {
        ok(
            dir,
            &[
                "--lang",
                lang,
                "--json",
                "deadline",
                "check",
                "--received-at",
                "2026-12-30T17:00:00+08:00",
                "--market",
                "foreign",
            ],
        )
    };
    assert_eq!(json("zh-CN"), json("en"));
}

#[test]
fn a_refusal_reads_in_chinese_and_keeps_its_field_and_kind() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let refuse = |lang: &str, purchase: &str| {
        let mut args = vec!["--lang".to_owned(), lang.to_owned(), "--json".to_owned()];
        args.extend(register_args(purchase));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = fieldctl(dir, &args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
        (stderr(&o), json["error"].clone())
    };
    // A date fieldctl parses itself.
    let (err, json) = refuse("zh-CN", "2025-02-30");
    assert_eq!(json["kind"], "validation");
    assert_eq!(json["field"], "purchase_date");
    assert_eq!(
        json["message"],
        "购买日期：应为 YYYY-MM-DD 格式的日期，实际为“2025-02-30”"
    );
    assert_eq!(
        err,
        "错误：购买日期：应为 YYYY-MM-DD 格式的日期，实际为“2025-02-30”\n"
    );
    let (err, json) = refuse("en", "2025-02-30");
    assert_eq!(json["kind"], "validation");
    assert_eq!(json["field"], "purchase_date");
    assert_eq!(
        json["message"],
        "invalid purchase_date: expected a date as YYYY-MM-DD, got \"2025-02-30\""
    );
    assert_eq!(
        err,
        "error: invalid purchase_date: expected a date as YYYY-MM-DD, got \"2025-02-30\"\n"
    );
    // A rule of the core: the purchase may not lie in the future.
    let (err, json) = refuse("zh-CN", "2999-01-01");
    assert_eq!(json["field"], "purchase_date");
    let message = json["message"].as_str().unwrap();
    assert!(has_chinese(message), "{message}");
    assert!(err.starts_with("错误：购买日期"), "{err}");
    assert!(!dir.join(DB).exists(), "a refusal wrote a database");

    // A refusal of fieldctl's own, on an existing database, and one without a field.
    register(dir, "en");
    let o = fieldctl(
        dir,
        &[
            "--db", DB, "--lang", "zh-CN", "--json", "case", "list", "--limit", "0",
        ],
    );
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["error"]["field"], "limit");
    assert_eq!(json["error"]["message"], "每页条数：应在 1 到 500 之间");
    let o = fieldctl(
        dir,
        &["--db", "missing.db", "--lang", "zh-CN", "case", "show", "x"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "错误：missing.db 处没有数据库；请先登记案件，或用 --db 指定数据库\n"
    );
    let o = fieldctl(
        dir,
        &["--db", "missing.db", "--lang", "en", "case", "show", "x"],
    );
    assert_eq!(
        stderr(&o),
        "error: no database at missing.db; register a case first or pass --db\n"
    );
}

/// A real HQ on loopback with one engineer's device; gives its URL and the device's token.
struct Hq {
    runtime: tokio::runtime::Runtime,
    running: Option<fieldhq::RunningHq>,
    _data: TempDir,
}

impl Hq {
    fn start() -> (Hq, String, String) {
        let data = TempDir::new().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = fieldhq::ServeConfig::new("127.0.0.1:0".parse().unwrap(), data.path());
        let running = runtime.block_on(fieldhq::serve(config)).unwrap();
        let token = runtime.block_on(async {
            let storage = running.storage();
            fieldhq::admin::add_user(storage, "wang", fieldhq::Role::Engineer, None)
                .await
                .unwrap();
            fieldhq::admin::enrol_device(storage, "wang", Some("test"))
                .await
                .unwrap()
                .token
        });
        let url = running.url();
        let hq = Hq {
            runtime,
            running: Some(running),
            _data: data,
        };
        (hq, url, token)
    }
}

impl Drop for Hq {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.shutdown());
        }
    }
}

#[test]
fn the_sync_lines_read_in_chinese_and_in_english_against_a_real_hq() {
    let (_hq, url, token) = Hq::start();
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let mut args = vec!["--user".to_owned(), "wang".to_owned()];
    args.extend(register_args(&purchase_date()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(dir, &args);

    let sync = |lang: &str| {
        ok(
            dir,
            &[
                "--db", DB, "--user", "wang", "--lang", lang, "sync", "--hq", &url, "--token",
                &token,
            ],
        )
    };
    let zh = sync("zh-CN");
    let lines: Vec<&str> = zh.lines().collect();
    assert!(
        lines[0].starts_with("第 1 轮：上传 1 个案件，下载 "),
        "{zh}"
    );
    let summary = lines.last().unwrap();
    assert!(summary.starts_with("同步完成，用时 "), "{zh}");
    assert!(summary.contains("上传 1 个案件"), "{zh}");
    assert!(summary.ends_with("，0 个案件有冲突"), "{zh}");

    // Nothing left to push: the English summary, worded as it always was.
    let en = sync("en");
    let summary = en.lines().last().unwrap();
    assert!(summary.starts_with("synced in "), "{en}");
    assert!(summary.contains(" ms: 1 rounds, 0 cases pushed, "), "{en}");
    assert!(
        summary.ends_with(" B received, 0 cases in conflict"),
        "{en}"
    );

    // The case's sync state in its text follows the language too.
    let id = {
        let json = ok(dir, &["--db", DB, "--json", "case", "list"]);
        let json: Value = serde_json::from_str(&json).unwrap();
        json["rows"][0]["case_id"].as_str().unwrap().to_owned()
    };
    let shown = ok(dir, &["--db", DB, "--lang", "zh-CN", "case", "show", &id]);
    assert!(shown.contains("已同步"), "{shown}");
    let shown = ok(dir, &["--db", DB, "--lang", "en", "case", "show", &id]);
    assert!(shown.contains("HQ          synced"), "{shown}");
}

#[test]
fn photos_and_the_warranty_check_read_in_chinese() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    register(dir, "en");
    let id = {
        let json = ok(dir, &["--db", DB, "--json", "case", "list"]);
        let json: Value = serde_json::from_str(&json).unwrap();
        json["rows"][0]["case_id"].as_str().unwrap().to_owned()
    };
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    img.save_with_format(dir.join("plate.jpg"), image::ImageFormat::Jpeg)
        .unwrap();
    let added = ok(
        dir,
        &[
            "--db",
            DB,
            "--lang",
            "zh-CN",
            "photo",
            "add",
            &id,
            "plate.jpg",
            "--kind",
            "nameplate",
            "--caption",
            "铭牌特写",
        ],
    );
    let lines: Vec<&str> = added.lines().collect();
    assert!(lines[0].starts_with("已添加铭牌照片 "), "{added}");
    assert!(lines[0].contains(" · 640×480 · "), "{added}");
    let hash = lines[1].strip_prefix("哈希值：").unwrap().to_owned();
    assert_eq!(hash.len(), 64, "{added}");
    assert!(
        lines[2].starts_with(&format!("案件 {id} · 状态 已登记")),
        "{added}"
    );

    let list = ok(dir, &["--db", DB, "--lang", "zh-CN", "photo", "list", &id]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("哈希值"), "{list}");
    assert_eq!(
        column_of(lines[0], "类型"),
        column_of(lines[1], "铭牌"),
        "{list}"
    );
    assert_eq!(
        column_of(lines[0], "说明"),
        column_of(lines[1], "铭牌特写"),
        "{list}"
    );
    assert_eq!(
        column_of(lines[0], "上传"),
        column_of(lines[1], "待上传"),
        "{list}"
    );
    assert_eq!(lines[2], "1 张照片");
    let list = ok(dir, &["--db", DB, "--lang", "en", "photo", "list", &id]);
    assert!(list.starts_with("HASH"), "{list}");
    assert!(list.contains("  nameplate  "), "{list}");
    assert!(list.contains("  pending  "), "{list}");
    assert!(list.ends_with("1 photo\n"), "{list}");

    let shown = ok(
        dir,
        &[
            "--db",
            DB,
            "--lang",
            "zh-CN",
            "photo",
            "show",
            &id,
            &hash[..8],
        ],
    );
    assert!(
        shown.starts_with(&format!("照片        {hash}\n")),
        "{shown}"
    );
    assert!(shown.contains("\n类型        铭牌\n"), "{shown}");
    assert!(shown.contains("\n上传        待上传\n"), "{shown}");
    let shown = ok(
        dir,
        &["--db", DB, "--lang", "en", "photo", "show", &id, &hash[..8]],
    );
    assert!(
        shown.starts_with(&format!("Photo       {hash}\n")),
        "{shown}"
    );
    assert!(shown.contains("\nKind        nameplate\n"), "{shown}");

    // A prefix matching nothing: fieldctl's own refusal, in Chinese, on the field `hash`.
    let o = fieldctl(
        dir,
        &[
            "--db", DB, "--lang", "zh-CN", "--json", "photo", "show", &id, "000000",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["error"]["field"], "hash");
    assert_eq!(
        json["error"]["message"],
        "照片：本案件没有哈希值以 000000 开头的照片"
    );

    let check = |lang: &str| {
        ok(
            dir,
            &[
                "--lang",
                lang,
                "warranty",
                "check",
                "--category",
                "motor",
                "--purchase-date",
                "2020-09-01",
                "--received-date",
                "2026-11-01",
                "--cause",
                "customer_misuse",
                "--no-proof",
            ],
        )
    };
    let zh = check("zh-CN");
    assert!(zh.starts_with("三包：不予三包\n依据："), "{zh}");
    assert!(zh.contains("\n三包期：不适用\n说明："), "{zh}");
    let en = check("en");
    assert!(
        en.starts_with(
            "covered: no\nrule: no_proof_of_purchase\nperiod: none applies\nexplanation: "
        ),
        "{en}"
    );
}

// The demo is built with the `demo` feature (a default).
#[cfg(feature = "demo")]
#[test]
fn the_demo_narrates_in_chinese_and_in_english_as_before() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let run = |lang: &str| {
        let db = format!("{lang}.db");
        let o = fieldctl(dir, &["--db", &db, "--lang", lang, "demo", "--offline"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };

    // Chinese: the steps in the procedures' words, the statuses and the history as `case show`
    // words them; what the engineer typed stays as typed.
    let zh = run("zh-CN");
    for want in [
        "客户 Changzhou Hengyuan Water Treatment Co., Ltd. → 已登记",
        " 2. 添加照片：铭牌照片 ",
        " 3. 受理：已受理并答复客户 → 已受理",
        " 5. 到达现场：已到达现场 → 现场服务中",
        " 7. 故障鉴定：设计或制造原因（质量问题） → 已完成故障鉴定",
        " 8. 判定三包：予以三包（三包期内质量问题） → 已判定三包",
        " 9. 登记配件：使用配件 6308-2Z/C3 ×1（记录 ",
        "旧件已留存，标签号 JS-2611-0042 → 已判定三包",
        "13. 添加照片：客户签字照片 ",
        "14. 客户确认：客户确认接受处理结果 → 客户已确认",
        "15. 结案：已结案 → 已结案",
        "数据库：zh-CN.db",
    ] {
        assert!(zh.contains(want), "{want:?} missing from\n{zh}");
    }
    for english in [
        "registered case",
        "attach_photo",
        "→ closed",
        "database:",
        "nameplate photo",
    ] {
        assert!(!zh.contains(english), "{english:?} in\n{zh}");
    }

    // English: the lines the demo always printed.
    let en = run("en");
    assert!(!has_chinese(&en.replace("×", "")), "{en}");
    let steps: Vec<&str> = en.lines().take(15).collect();
    assert!(
        steps[0].starts_with(" 1. registered case ")
            && steps[0].ends_with(
                ": motor YE3-132M-4 (serial YE3132M4-2505-01873) for Changzhou Hengyuan \
                 Water Treatment Co., Ltd. → registered"
            ),
        "{}",
        steps[0]
    );
    assert!(steps[1].starts_with(" 2. attach_photo: nameplate photo "));
    assert!(steps[1].ends_with(" KiB) → registered"), "{}", steps[1]);
    assert_eq!(
        steps[2],
        " 3. acknowledge: acknowledged to the customer → acknowledged"
    );
    assert!(steps[3].starts_with(" 4. schedule_visit: visit planned for "));
    assert!(steps[3].ends_with(" → visit_scheduled"), "{}", steps[3]);
    assert_eq!(steps[4], " 5. arrive_on_site: arrived on site → on_site");
    assert!(steps[5].starts_with(" 6. attach_photo: defect photo "));
    assert_eq!(
        steps[6],
        " 7. confirm_defect: defect confirmed: design_manufacturing (quality fault) → \
         defect_confirmed"
    );
    assert!(steps[7].starts_with(" 8. decide_warranty: Motor bought "));
    assert!(steps[7].ends_with(" is a quality fault: covered. → warranty_decided"));
    assert!(steps[8].starts_with(" 9. record_part: part 6308-2Z/C3 x1 used (line "));
    assert!(steps[8].ends_with(") → warranty_decided"), "{}", steps[8]);
    assert!(
        steps[9].starts_with("10. keep_old_part: old part of line ")
            && steps[9].ends_with(" kept, tag JS-2611-0042 → warranty_decided"),
        "{}",
        steps[9]
    );
    assert_eq!(steps[10], "11. add_note: note added → warranty_decided");
    assert_eq!(
        steps[11],
        "12. resolve: resolved: parts_replaced → resolved"
    );
    assert!(steps[12].starts_with("13. attach_photo: signature photo "));
    assert_eq!(
        steps[13],
        "14. confirm_customer: customer accepted the outcome → customer_confirmed"
    );
    assert_eq!(steps[14], "15. close: closed → closed");
    assert!(en.ends_with("\ndatabase: en.db\n"), "{en}");
}

// The demo is built with the `demo` feature (a default).
#[cfg(feature = "demo")]
#[test]
fn the_main_job_narrates_in_chinese_when_lang_says_so() {
    let tmp = TempDir::new().unwrap();
    let o = fieldctl_lang(tmp.path(), Some("zh_CN.UTF-8"), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "在本机回环地址上启动总部服务",
        "1. 首问责任人（服务工程师）在手机上登记客户投诉并同步；总部为案件编号",
        "    手机：受理：已受理并答复客户 → 已受理",
        "    手机已同步：上传 1 个案件",
        "    手机上现已显示正式案件编号 ",
        "    平板：故障鉴定：储存、运输原因（质量问题） → 已完成故障鉴定",
        "    字段 defect 有冲突：",
        "    平板显示 1 处冲突",
        "    总部工作台显示 1 处冲突",
        "    手机：结案：已结案 → 已结案",
        "6. 数据一致性检查：手机、平板和总部工作台显示的案件是否相同：是；剩余冲突：0",
        "7. 另一位客户的水泵无法在现场修复：服务工程师在手机上申请换货并同步",
        "    总部用户：客户服务部经理 zhao.min，主管副总经理 liu.yang；仓库 sun.li（仓库平板）",
        "    手机：申请退换货：申请换货：QJ-200 1 台 → 已判定三包",
        "    总部：客户服务部经理 zhao.min 审核换货申请：通过",
        "    总部：主管副总经理 liu.yang 批准换货申请：通过",
        "    总部签发退货编号 R",
        "    仓库平板：退货接收：退货接收 R",
        "      G 无任何故障标识\n        原因：无故障标识\n        说明：",
        " · 待复检 · 复检期限 ",
        "    仓库平板：退货复检：复检 QJ200-2609-0042：不合格，按不合格品程序报废",
        "    总部：客户服务部经理 zhao.min 批准补货通知：通过",
        "    手机：客户确认收到换货：客户确认收到换货",
        "12. 数据一致性检查：手机、仓库平板和总部工作台显示的换货案件是否相同：是；换货 R",
        " 已完成\n  换货 R",
        "\n数据库：",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    for english in [
        "synced",
        "conflict(s)",
        "Converged",
        "phone:",
        "database:",
        "warehouse tablet",
        "raised by",
        "awaiting_",
        "RMA number",
        "HQ:",
    ] {
        assert!(!text.contains(english), "{english:?} in\n{text}");
    }
}
