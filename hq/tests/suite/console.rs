//! The HQ console in the browser (issue 15) over HTTP against a real HQ: sign-in, sessions in
//! the database, lock-out, CSRF on every form, the role matrix of the pages, the approvals
//! inbox calling the same functions as the commands, photos behind the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use fieldcore::testing::t0;
use fieldcore::{Command, Freight, ReturnItem, ReturnKind, ReturnRequestInput};
use fieldhq::Role;
use fieldhq::returns::{self, ReturnFilter};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::common::{Backend, TestHq};

const PASSWORD: &str = "correct horse battery";

/// An HQ whose clock the test moves (seconds after t0).
async fn start(backend: Backend) -> (TestHq, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let clock = offset.clone();
    let hq = TestHq::start_configured(backend, move |config| {
        config.clock = Some(Arc::new(move || {
            t0() + chrono::Duration::seconds(clock.load(Ordering::SeqCst))
        }));
    })
    .await;
    (hq, offset)
}

/// An HQ person with a console password.
async fn person(hq: &TestHq, name: &str, role: Role) {
    hq.user(name, role, None).await;
    fieldhq::console::auth::set_password(hq.storage(), name, PASSWORD, t0().timestamp())
        .await
        .unwrap();
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", fieldhq::console::pages::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of `name` in the response's `Set-Cookie` headers, with the whole header.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v[name.len() + 1..].split(';').next().unwrap().to_owned();
            (value, v.to_owned())
        })
}

/// The value of the first hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// A browser of the console: its session cookie and the page's CSRF token.
struct Browser {
    http: reqwest::Client,
    url: String,
    cookies: Vec<(String, String)>,
    headers: Vec<(&'static str, &'static str)>,
}

impl Browser {
    fn new(hq: &TestHq) -> Browser {
        Browser {
            http: client(),
            url: hq.url(),
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for name in ["fieldhq_session", "fieldhq_login", "fieldhq_lang"] {
            if let Some((value, _)) = set_cookie(headers, name) {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value));
                }
            }
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let mut request = self
            .http
            .get(format!("{}{path}", self.url))
            .header(COOKIE, self.cookie_header());
        for (k, v) in &self.headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        self.keep(&headers);
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        for (k, v) in &self.headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        self.keep(&headers);
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Signs in through the form; the answer to the form's POST.
    async fn sign_in(&mut self, name: &str, password: &str) -> Answer {
        let page = self.get("/console/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let token = hidden(&page.body, "login_token").unwrap();
        self.post(
            "/console/login",
            &[
                ("login_token", &token),
                ("name", name),
                ("password", password),
            ],
        )
        .await
    }

    async fn csrf(&mut self) -> String {
        let page = self.get("/console/cases").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        hidden(&page.body, "csrf").unwrap()
    }
}

fn location(answer: &Answer) -> String {
    answer
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn signed_in(hq: &TestHq, name: &str) -> Browser {
    let mut browser = Browser::new(hq);
    let answer = browser.sign_in(name, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

pub async fn console_sign_in_sets_a_guarded_session_kept_in_the_database(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;

    // Not signed in: every page sends to the sign-in page.
    let mut browser = Browser::new(&hq);
    let answer = browser.get("/console/cases").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/console/login");

    // A wrong password and an unknown name get the same refusal, and no session.
    for (name, password) in [("li", "wrong password!"), ("nobody", PASSWORD)] {
        let answer = browser.sign_in(name, password).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.body.contains("用户名或密码错误"), "{}", answer.body);
        assert!(set_cookie(&answer.headers, "fieldhq_session").is_none());
    }
    assert_eq!(hq.count("SELECT COUNT(*) FROM console_sessions").await, 0);

    // A sign-in form without its double-submit token is refused.
    let answer = browser
        .post("/console/login", &[("name", "li"), ("password", PASSWORD)])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let answer = browser.sign_in("li", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let (token, header) = set_cookie(&answer.headers, "fieldhq_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(
        !header.contains("Secure"),
        "plain HTTP without a TLS proxy: {header}"
    );
    // Only the token's hash is stored.
    assert_eq!(hq.count("SELECT COUNT(*) FROM console_sessions").await, 1);
    let hash = fieldhq::auth::hex(&fieldhq::auth::token_hash(&token).unwrap());
    let stored = match backend {
        Backend::Sqlite => {
            format!("SELECT COUNT(*) FROM console_sessions WHERE hex(token_hash) = upper('{hash}')")
        }
        Backend::Postgres => format!(
            "SELECT COUNT(*) FROM console_sessions WHERE encode(token_hash, 'hex') = '{hash}'"
        ),
    };
    assert_eq!(hq.count(&stored).await, 1);
    // The session is in the database: a restarted HQ (another node) knows it.
    let page = browser.get("/console/cases").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("客诉/服务单"), "Chinese by default");
    let csrf = hidden(&page.body, "csrf").unwrap();

    // Sign-out needs the CSRF token; without it the session stays.
    let answer = browser.post("/console/logout", &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("未做任何更改"), "{}", answer.body);
    assert_eq!(hq.count("SELECT COUNT(*) FROM console_sessions").await, 1);
    let answer = browser.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/console/login");
    assert_eq!(hq.count("SELECT COUNT(*) FROM console_sessions").await, 0);
    // The old cookie is worthless now, even presented again.
    browser.cookies = vec![("fieldhq_session".into(), token)];
    let answer = browser.get("/console/cases").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);

    // Field roles have no console password.
    hq.user("wang", Role::Engineer, None).await;
    let refused =
        fieldhq::console::auth::set_password(hq.storage(), "wang", PASSWORD, t0().timestamp())
            .await
            .unwrap_err();
    assert!(refused.text(fieldcore::Locale::ZhCn).contains("不能登录"));
    // A password that is too short is refused.
    assert!(
        fieldhq::console::auth::set_password(hq.storage(), "li", "short", 0)
            .await
            .is_err()
    );
}

pub async fn console_sign_in_locks_a_name_out_after_repeated_failures(backend: Backend) {
    let (hq, clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut browser = Browser::new(&hq);
    for attempt in 1..=5 {
        let answer = browser.sign_in("li", "not the password").await;
        let expected = if attempt < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(answer.status, expected, "attempt {attempt}");
    }
    // Locked: even the right password is refused, and the count is in the database.
    let answer = browser.sign_in("LI", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.body.contains("登录失败次数过多"), "{}", answer.body);
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM console_sign_in_failures WHERE locked_until IS NOT NULL")
            .await,
        1
    );
    clock.store(16 * 60, Ordering::SeqCst);
    let answer = browser.sign_in("li", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM console_sign_in_failures")
            .await,
        0,
        "a success clears the count"
    );
}

pub async fn console_sessions_expire(backend: Backend) {
    let (hq, clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut browser = signed_in(&hq, "li").await;
    assert_eq!(browser.get("/console/cases").await.status, StatusCode::OK);
    clock.store(9 * 3600, Ordering::SeqCst);
    assert_eq!(browser.get("/console/cases").await.status, StatusCode::OK);
    clock.store(10 * 3600, Ordering::SeqCst);
    let answer = browser.get("/console/cases").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/console/login");
}

pub async fn console_cookies_are_secure_behind_a_tls_proxy(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut browser = Browser::new(&hq);
    browser.headers = vec![("x-forwarded-proto", "https")];
    let answer = browser.sign_in("li", PASSWORD).await;
    let (_, header) = set_cookie(&answer.headers, "fieldhq_session").unwrap();
    assert!(header.contains("; Secure"), "{header}");

    // `--console-secure-cookies`: Secure whatever the proxy says.
    let secure = TestHq::start_configured(backend, |config| {
        config.console.secure_cookies = true;
    })
    .await;
    person(&secure, "li", Role::HqStaff).await;
    let mut browser = Browser::new(&secure);
    let answer = browser.sign_in("li", PASSWORD).await;
    let (_, header) = set_cookie(&answer.headers, "fieldhq_session").unwrap();
    assert!(header.contains("; Secure"), "{header}");
}

pub async fn console_pages_refuse_the_roles_that_may_not_see_them(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    let roles = [
        ("li", Role::HqStaff),
        ("wu", Role::CsManager),
        ("he", Role::Vp),
        ("qa", Role::Quality),
        ("zhou", Role::Warehouse),
    ];
    for (name, role) in roles {
        person(&hq, name, role).await;
    }
    // (page, roles that may open it)
    let matrix: [(&str, &[Role]); 5] = [
        ("/console/cases", &fieldhq::console::access::CONSOLE_ROLES),
        (
            "/console/approvals",
            &fieldhq::console::access::CONSOLE_ROLES,
        ),
        (
            "/console/escalations",
            &[Role::HqStaff, Role::CsManager, Role::Vp, Role::Quality],
        ),
        (
            "/console/parts",
            &[
                Role::HqStaff,
                Role::CsManager,
                Role::Quality,
                Role::Warehouse,
            ],
        ),
        ("/console/devices", &[Role::HqStaff, Role::CsManager]),
    ];
    for (name, role) in roles {
        let mut browser = signed_in(&hq, name).await;
        for (page, allowed) in matrix {
            let answer = browser.get(page).await;
            if allowed.contains(&role) {
                assert_eq!(answer.status, StatusCode::OK, "{role} opens {page}");
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{role} is refused {page}"
                );
                assert!(answer.body.contains("无权打开"), "{}", answer.body);
            }
        }
        // The navigation shows only what the role may open, and always the monthly report.
        let page = browser.get("/console/cases").await;
        assert!(page.body.contains("href=\"/console/report\""));
        assert_eq!(
            page.body.contains("href=\"/console/devices\""),
            matches!(role, Role::HqStaff | Role::CsManager)
        );
    }
    // English on request, remembered.
    let mut browser = signed_in(&hq, "li").await;
    let page = browser.get("/console/cases?lang=en").await;
    assert!(page.body.contains("Cases") && page.body.contains("Sign out"));
    let page = browser.get("/console/devices").await;
    assert!(page.body.contains("Devices &#38; users"), "{}", page.body);
}

fn return_request() -> Command {
    Command::RequestReturn(ReturnRequestInput {
        kind: ReturnKind::Return,
        items: vec![ReturnItem {
            model: "YE3-160M-4".into(),
            serial: None,
            quantity: 2,
            reason: "bearing seized".into(),
            fault: "noise and heat at full load".into(),
        }],
        freight: Freight::Company,
        why_not_on_site: "the stator must be rewound at the factory".into(),
        window_override: Some("the dealer held the unit for a month".into()),
    })
}

async fn waiting_for(hq: &TestHq, role: &str) -> usize {
    returns::list(
        hq.storage(),
        ReturnFilter {
            waiting_for: Some(role.into()),
            ..ReturnFilter::default()
        },
    )
    .await
    .unwrap()
    .len()
}

pub async fn console_forms_need_the_csrf_token_and_call_the_commands_functions(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "wu", Role::CsManager).await;
    person(&hq, "qa", Role::Quality).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.execute(case, &return_request());
    wang.sync(&hq).await;
    let case = case.to_string();

    let mut wu = signed_in(&hq, "wu").await;
    let inbox = wu.get("/console/approvals").await;
    assert!(
        inbox.body.contains(&case),
        "the request waits in wu's inbox"
    );
    let csrf = hidden(&inbox.body, "csrf").unwrap();
    let decide = |csrf: Option<&str>| {
        let mut pairs = vec![("case", case.as_str()), ("decision", "approve")];
        if let Some(csrf) = csrf {
            pairs.push(("csrf", csrf));
        }
        pairs
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect::<Vec<_>>()
    };
    let wrong = "0".repeat(64);
    for attempt in [decide(None), decide(Some(&wrong)), decide(Some(""))] {
        let pairs: Vec<(&str, &str)> = attempt.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = wu.post("/console/approvals/return", &pairs).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(waiting_for(&hq, "cs_manager").await, 1, "nothing changed");
    }
    // Another session's token is not this one's.
    let mut qa = signed_in(&hq, "qa").await;
    let qa_csrf = qa.csrf().await;
    let pairs = decide(Some(&qa_csrf));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        wu.post("/console/approvals/return", &pairs).await.status,
        StatusCode::FORBIDDEN
    );

    // The wrong role gets the refusal `fieldhq rma approve` gives, in the person's language.
    let pairs = decide(Some(&qa_csrf));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = qa.post("/console/approvals/return", &pairs).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.contains("总部拒绝了错误角色的审批"),
        "{}",
        answer.body
    );
    let answer = qa.post("/console/approvals/return?lang=en", &pairs).await;
    assert!(
        answer
            .body
            .contains("approval by the wrong role refused at HQ")
    );
    assert_eq!(waiting_for(&hq, "cs_manager").await, 1);

    // The right role with the token: decided, and the chain moves on to the VP.
    let pairs = decide(Some(&csrf));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = wu.post("/console/approvals/return", &pairs).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(location(&answer), "/console/approvals?ok=approved");
    assert_eq!(waiting_for(&hq, "cs_manager").await, 0);
    assert_eq!(waiting_for(&hq, "vp").await, 1);
    // A rejection needs a reason.
    let answer = wu
        .post(
            "/console/approvals/parts",
            &[("csrf", &csrf), ("entry", "x"), ("decision", "reject")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

pub async fn console_revokes_a_lost_phone_for_customer_service_only(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "wu", Role::CsManager).await;
    person(&hq, "he", Role::Vp).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    wang.register();
    let path = format!("/console/devices/{}/revoke", wang.device_id);
    let mut he = signed_in(&hq, "he").await;
    let csrf = he.csrf().await;
    assert_eq!(
        he.post(&path, &[("csrf", &csrf)]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut wu = signed_in(&hq, "wu").await;
    let page = wu.get("/console/devices").await;
    assert!(page.body.contains("wang"));
    let csrf = hidden(&page.body, "csrf").unwrap();
    assert_eq!(wu.post(&path, &[]).await.status, StatusCode::FORBIDDEN);
    let (status, _) = hq
        .post_sync(
            Some(&wang.token),
            crate::suite::encode_request(&wang.request()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "not revoked yet");
    let answer = wu.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let (status, _) = hq
        .post_sync(
            Some(&wang.token),
            crate::suite::encode_request(&wang.request()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the lost phone is refused"
    );
}

pub async fn console_lists_filters_and_shows_cases_with_their_photos(backend: Backend) {
    let (hq, clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let first = wang.register();
    let second = wang.register();
    let (photo, thumb) = (b"\xff\xd8 the photo".to_vec(), b"\xff\xd8 thumb".to_vec());
    crate::suite::attach_photo(&mut wang, first, &photo, &thumb);
    wang.sync(&hq).await;
    for bytes in [&photo, &thumb] {
        let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
        let (status, _) = hq
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&wang.token),
                bytes.to_vec(),
            )
            .await;
        assert!(status.is_success());
    }
    let numbers: Vec<String> = [first, second]
        .iter()
        .map(|c| wang.view(*c).number.unwrap())
        .collect();

    let mut li = signed_in(&hq, "li").await;
    let page = li.get("/console/cases").await;
    assert!(numbers.iter().all(|n| page.body.contains(n.as_str())));
    let page = li.get(&format!("/console/cases?q={}", numbers[1])).await;
    assert!(page.body.contains(numbers[1].as_str()) && !page.body.contains(numbers[0].as_str()));
    let page = li.get("/console/cases?overdue=1").await;
    assert!(page.body.contains("没有案件"), "nothing overdue at t0");
    // Two days later the 24-hour reply deadline has passed for both.
    clock.store(2 * 24 * 3600, Ordering::SeqCst);
    // (the session of two days ago has expired: a new one)
    let mut li = signed_in(&hq, "li").await;
    let page = li.get("/console/cases?overdue=1").await;
    assert!(page.body.contains("已逾期"), "{}", page.body);
    let page = li.get("/console/cases?model=no-such-model").await;
    assert!(page.body.contains("没有案件"));

    // The case's page: the whole case as `case show` prints it, the photo's thumbnail.
    let page = li.get(&format!("/console/cases/{first}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(numbers[0].as_str()));
    let thumb_path = format!("/console/photos/{}", fieldcore::sha256_hex(&thumb));
    assert!(page.body.contains(&thumb_path));
    let answer = li.get(&thumb_path).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, String::from_utf8_lossy(&thumb));
    assert_eq!(answer.headers["content-type"], "image/jpeg");
    let photo_path = format!("/console/photos/{}", fieldcore::sha256_hex(&photo));
    assert_eq!(li.get(&photo_path).await.status, StatusCode::OK);
    // A blob no case names is not served; nor is a photo without a session.
    let stray = format!("/console/photos/{}", fieldcore::sha256_hex(b"stray"));
    assert_eq!(li.get(&stray).await.status, StatusCode::NOT_FOUND);
    let mut anonymous = Browser::new(&hq);
    assert_eq!(
        anonymous.get(&thumb_path).await.status,
        StatusCode::SEE_OTHER
    );
    // The assets are served by HQ itself.
    let css = anonymous.get("/console/assets/console.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains("@font-face"));
}

/// `fieldhq user …` with `input` on standard input, against the HQ's own database.
fn user_command(hq: &TestHq, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut command = crate::common::fieldhq_command(&hq.config.data_dir);
    if let Some(url) = &hq.config.database_url {
        command.arg("--database-url").arg(url);
    }
    let mut child = command
        .arg("--lang")
        .arg("en")
        .arg("user")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub async fn console_passwords_are_set_with_the_user_commands(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    let line = format!("{PASSWORD}\n");
    let added = user_command(
        &hq,
        &["add", "chen", "--role", "quality", "--password-stdin"],
        &line,
    );
    assert!(added.status.success(), "{added:?}");
    let mut browser = signed_in(&hq, "chen").await;
    assert_eq!(browser.get("/console/cases").await.status, StatusCode::OK);

    // A field role gets no password, and no user is added.
    let refused = user_command(
        &hq,
        &["add", "wang", "--role", "engineer", "--password-stdin"],
        &line,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no console password"));
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM users WHERE name = 'wang'")
            .await,
        0
    );
    // Too short: refused, the old password stays.
    let short = user_command(&hq, &["password", "chen", "--password-stdin"], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));

    // A new password ends the open sessions; the old password no longer signs in.
    let reset = user_command(
        &hq,
        &["password", "chen", "--password-stdin"],
        "another long password\n",
    );
    assert!(reset.status.success(), "{reset:?}");
    assert_eq!(
        browser.get("/console/cases").await.status,
        StatusCode::SEE_OTHER
    );
    let mut browser = Browser::new(&hq);
    assert_eq!(
        browser.sign_in("chen", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser
            .sign_in("chen", "another long password")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

pub async fn console_decides_a_trip_and_acknowledges_an_escalation(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    person(&hq, "he", Role::Vp).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.execute(case, &Command::Acknowledge { note: None });
    wang.execute(
        case,
        &Command::RequestTrip {
            reason: "motor trips the breaker; needs on-site tests".into(),
            planned_for: Some(t0() + chrono::Duration::days(1)),
        },
    );
    // A major quality incident on another case escalates to the vice president at once.
    let major = wang.register();
    wang.execute(major, &Command::Acknowledge { note: None });
    wang.execute(major, &Command::ArriveOnSite);
    wang.execute(
        major,
        &Command::ConfirmDefect(fieldcore::DefectInput {
            cause: fieldcore::Cause::DesignManufacturing,
            findings: "housing cracked".into(),
            measurements: vec![],
            major_incident: true,
            evidence_photos: vec![],
        }),
    );
    wang.sync(&hq).await;

    // The trip waits on the case's page; the VP is not the policy's approver.
    let path = format!("/console/cases/{case}/trip");
    let mut he = signed_in(&hq, "he").await;
    let page = he.get(&format!("/console/cases/{case}")).await;
    assert!(
        page.body.contains(&path),
        "the trip form is on the case's page"
    );
    let csrf = hidden(&page.body, "csrf").unwrap();
    let answer = he
        .post(&path, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("出差申请须由"), "{}", answer.body);
    let mut li = signed_in(&hq, "li").await;
    let csrf = li.csrf().await;
    assert_eq!(
        li.post(&path, &[("decision", "approve")]).await.status,
        StatusCode::FORBIDDEN
    );
    let answer = li
        .post(&path, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = li.get(&location(&answer)).await;
    assert!(page.body.contains("已批准") && !page.body.contains(&path));
    wang.sync(&hq).await;
    let approvals = wang.view(case).approvals;
    assert!(
        approvals
            .iter()
            .any(|a| a.kind == "trip" && a.approved && a.by == "li"),
        "the phone got the approval: {approvals:?}"
    );

    // The escalation: listed, acknowledged by HQ staff through the form.
    let page = li.get("/console/escalations").await;
    assert!(page.body.contains("重大质量事故"), "{}", page.body);
    let rows = fieldhq::escalation::list(hq.storage()).await.unwrap();
    let ack = format!("/console/escalations/{}/ack", rows[0].escalation_id);
    assert!(page.body.contains(&ack));
    assert_eq!(
        li.post(&ack, &[("note", "8D opened")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        fieldhq::escalation::list(hq.storage()).await.unwrap()[0]
            .acked_by
            .is_none()
    );
    let answer = li
        .post(&ack, &[("csrf", &csrf), ("note", "8D opened")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let acked = &fieldhq::escalation::list(hq.storage()).await.unwrap()[0];
    assert_eq!(acked.acked_by.as_deref(), Some("li"));
    assert_eq!(acked.ack_note.as_deref(), Some("8D opened"));
}

pub async fn console_decides_an_old_part_loss_on_the_cases_page(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "wu", Role::CsManager).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.execute(
        case,
        &Command::RecordPart(fieldcore::PartInput {
            part_number: "BRG-6308".into(),
            specification: "6308-2RS".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: false,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
    );
    let line = wang.view(case).parts[0].id.clone();
    wang.execute(
        case,
        &Command::ReportOldPartLost {
            line_id: line,
            reason: "dropped into the sump at the pump station".into(),
        },
    );
    wang.sync(&hq).await;
    let path = format!("/console/cases/{case}/loss");
    let mut li = signed_in(&hq, "li").await;
    let page = li.get(&format!("/console/cases/{case}")).await;
    assert!(page.body.contains(&path) && page.body.contains("dropped into the sump"));
    let entry = hidden(&page.body, "entry").unwrap();
    let csrf = hidden(&page.body, "csrf").unwrap();
    let pairs = [
        ("csrf", csrf.as_str()),
        ("entry", entry.as_str()),
        ("decision", "approve"),
    ];
    // HQ staff are not the loss's approver: the command's refusal.
    let answer = li.post(&path, &pairs).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("旧件丢失须由"), "{}", answer.body);
    let mut wu = signed_in(&hq, "wu").await;
    let csrf = wu.csrf().await;
    let answer = wu
        .post(
            &path,
            &[("csrf", &csrf), ("entry", &entry), ("decision", "approve")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = wu.get(&format!("/console/cases/{case}")).await;
    assert!(!page.body.contains(&path), "decided: the form is gone");
    wang.sync(&hq).await;
    assert!(matches!(
        wang.view(case).parts[0].custody,
        fieldcore::OldPartCustody::LostApproved { .. }
    ));
}

/// The case links of a list page, in order.
fn listed(body: &str) -> Vec<String> {
    body.split("class=\"case-link\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

/// The query string of a paging link (`← 上一页` or `下一页 →`).
fn paging_link(body: &str, label: &str) -> Option<String> {
    let end = body.find(label)?;
    let start = body[..end].rfind("href=\"/console/cases?")? + "href=\"".len();
    let href = &body[start..];
    // As a browser reads the attribute: the template escapes `&`.
    Some(
        href[..href.find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

pub async fn console_searches_through_the_index_and_pages_by_key(backend: Backend) {
    let (hq, clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    for i in 1..=55 {
        let serial = format!("SER-{i:03}");
        wang.register_case(&fieldcore::testing::registration_for(&serial));
    }
    wang.sync(&hq).await;
    let number = |i: u32| format!("{}-{i:04}", &listed_month(&hq));
    let mut li = signed_in(&hq, "li").await;

    // The first page, its next page from the last row's key, and back.
    let first = li.get("/console/cases").await;
    let rows = listed(&first.body);
    assert_eq!(rows.len(), 50);
    assert_eq!((rows[0].clone(), rows[49].clone()), (number(1), number(50)));
    assert!(paging_link(&first.body, "上一页").is_none());
    let next = paging_link(&first.body, "下一页").unwrap();
    assert!(next.contains(&format!("after={}", number(50))), "{next}");
    let second = li.get(&next).await;
    assert_eq!(
        listed(&second.body),
        (51..=55).map(number).collect::<Vec<_>>()
    );
    assert!(paging_link(&second.body, "下一页").is_none());
    let prev = paging_link(&second.body, "上一页").unwrap();
    assert!(prev.contains(&format!("before={}", number(51))), "{prev}");
    assert_eq!(listed(&li.get(&prev).await.body), rows);

    // Search: part of a number or serial through the index; a short term, quotes and LIKE's
    // wildcards are taken literally.
    let found = |body: &str| listed(body);
    let page = li
        .get(&format!("/console/cases?q={}", &number(53)[5..]))
        .await;
    assert_eq!(found(&page.body), vec![number(53)]);
    let page = li.get("/console/cases?q=ser-012").await;
    assert_eq!(
        found(&page.body),
        vec![number(12)],
        "case folded as LIKE is"
    );
    let page = li.get("/console/cases?q=05").await;
    assert_eq!(
        found(&page.body),
        [5, 50, 51, 52, 53, 54, 55].map(number).to_vec(),
        "two characters, matched without the index"
    );
    for odd in ["%22SER%22", "SER%25", "a%22b", "S_R-0"] {
        let page = li.get(&format!("/console/cases?q={odd}")).await;
        assert_eq!(page.status, StatusCode::OK, "{odd}");
        assert!(
            page.body.contains("没有案件"),
            "{odd}: {:?}",
            found(&page.body)
        );
    }

    // The overdue list pages by (due time, number).
    clock.store(2 * 24 * 3600, Ordering::SeqCst);
    let mut li = signed_in(&hq, "li").await;
    let page = li.get("/console/cases?overdue=1").await;
    assert_eq!(listed(&page.body).len(), 50);
    let next = paging_link(&page.body, "下一页").unwrap();
    assert!(next.contains("overdue=1") && next.contains("~"), "{next}");
    let first_rows = listed(&page.body);
    let page = li.get(&next).await;
    assert_eq!(
        listed(&page.body).len(),
        5,
        "{next}: {first_rows:?} then {:?}",
        listed(&page.body)
    );
}

/// The `YYMM` month the test's cases are numbered in.
fn listed_month(_hq: &TestHq) -> String {
    let t = t0().with_timezone(&fieldhq::state::DEFAULT_TIME_ZONE);
    t.format("%y%m").to_string()
}

pub async fn console_inbox_lists_trips_and_losses_for_their_roles_and_decides_them(
    backend: Backend,
) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    person(&hq, "wu", Role::CsManager).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let trip_case = wang.register();
    wang.execute(trip_case, &Command::Acknowledge { note: None });
    wang.execute(
        trip_case,
        &Command::RequestTrip {
            reason: "pump loses pressure; needs on-site tests".into(),
            planned_for: Some(t0() + chrono::Duration::days(2)),
        },
    );
    let loss_case = wang.register();
    wang.execute(
        loss_case,
        &Command::RecordPart(fieldcore::PartInput {
            part_number: "SEAL-45".into(),
            specification: "mechanical seal 45 mm".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: false,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
    );
    let line = wang.view(loss_case).parts[0].id.clone();
    wang.execute(
        loss_case,
        &Command::ReportOldPartLost {
            line_id: line,
            reason: "washed away in the flooded pit".into(),
        },
    );
    wang.sync(&hq).await;
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_waiting").await, 2);

    // A reindex rebuilds what the inbox lists from the documents.
    let ids = [trip_case, loss_case];
    hq.storage()
        .transaction(move |tx| Box::pin(async move { tx.replace_case_waiting(&ids, &[]).await }))
        .await
        .unwrap();
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_waiting").await, 0);
    fieldhq::read_model::reindex(hq.storage(), fieldhq::state::DEFAULT_TIME_ZONE)
        .await
        .unwrap();
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_waiting").await, 2);

    // Each role sees what it decides, linked to its case.
    let trip_path = format!("/console/cases/{trip_case}/trip");
    let loss_path = format!("/console/cases/{loss_case}/loss");
    let mut li = signed_in(&hq, "li").await;
    let inbox = li.get("/console/approvals").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(
        inbox.body.contains("needs on-site tests")
            && inbox.body.contains(&trip_path)
            && inbox
                .body
                .contains(&format!("href=\"/console/cases/{trip_case}\"")),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains("washed away") && !inbox.body.contains(&loss_path));
    let mut wu = signed_in(&hq, "wu").await;
    let inbox = wu.get("/console/approvals").await;
    assert!(
        inbox.body.contains("SEAL-45 mechanical seal 45 mm")
            && inbox.body.contains("washed away in the flooded pit")
            && inbox.body.contains(&loss_path),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains("needs on-site tests"));

    // Decided from the inbox, through the case's forms: back to the inbox, gone from it.
    let csrf = hidden(&li.get("/console/approvals").await.body, "csrf").unwrap();
    let answer = li
        .post(
            &trip_path,
            &[
                ("csrf", &csrf),
                ("back", "approvals"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(location(&answer), "/console/approvals?ok=approved");
    let inbox = li.get(&location(&answer)).await;
    assert!(inbox.body.contains("已批准") && !inbox.body.contains(&trip_path));

    let inbox = wu.get("/console/approvals").await;
    let entry = hidden(&inbox.body, "entry").unwrap();
    let csrf = hidden(&inbox.body, "csrf").unwrap();
    let answer = wu
        .post(
            &loss_path,
            &[
                ("csrf", csrf.as_str()),
                ("back", "approvals"),
                ("entry", entry.as_str()),
                ("decision", "reject"),
                ("note", "search the pit once it is pumped dry"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(location(&answer), "/console/approvals?ok=rejected");
    let inbox = wu.get(&location(&answer)).await;
    assert!(inbox.body.contains("已驳回") && !inbox.body.contains(&loss_path));
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_waiting").await, 0);

    wang.sync(&hq).await;
    assert!(wang.view(trip_case).trip_approved());
    assert!(matches!(
        wang.view(loss_case).parts[0].custody,
        fieldcore::OldPartCustody::LostRejected { .. }
    ));
}

pub async fn console_shows_issues_reopens_and_exports_the_monthly_report(backend: Backend) {
    let (hq, _clock) = start(backend).await;
    person(&hq, "li", Role::HqStaff).await;
    person(&hq, "he", Role::Vp).await;
    person(&hq, "qa", Role::Quality).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    wang.register();
    wang.sync(&hq).await;
    let month = t0().format("%Y-%m").to_string();
    let page_path = format!("/console/report?month={month}");

    // Every console role opens the month: a draft with the complaint counted.
    let mut he = signed_in(&hq, "he").await;
    let page = he.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("草稿"), "{}", page.body);
    assert!(page.body.contains("/console/report/print?month="));
    let print = he
        .get(&format!("/console/report/print?month={month}"))
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(
        print.body.contains("<svg"),
        "the print page draws its charts"
    );

    // Issuing needs the CSRF token, and a role that issues: the VP's refusal changes nothing.
    let csrf = hidden(&page.body, "csrf").unwrap();
    assert_eq!(
        he.post("/console/report/issue", &[("month", &month)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = he
        .post(
            "/console/report/issue",
            &[("csrf", &csrf), ("month", &month)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("无权签发"), "{}", refused.body);
    let view = fieldhq::report::view(hq.storage(), &month).await.unwrap();
    assert_eq!(view.state, fieldhq::report::ReportState::Draft);

    let mut li = signed_in(&hq, "li").await;
    let csrf = hidden(&li.get(&page_path).await.body, "csrf").unwrap();
    let issued = li
        .post(
            "/console/report/issue",
            &[("csrf", &csrf), ("month", &month)],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    let page = li.get(&location(&issued)).await;
    assert!(page.body.contains("月报已签发"), "{}", page.body);
    assert!(page.body.contains("已由 li"), "{}", page.body);
    let view = fieldhq::report::view(hq.storage(), &month).await.unwrap();
    assert!(matches!(
        view.state,
        fieldhq::report::ReportState::Issued { ref by, .. } if by == "li"
    ));
    assert_eq!(view.report.complaints.len(), 1);

    // The workbook downloads as Excel.
    let mut request = li
        .http
        .get(format!("{}/console/report/xlsx?month={month}", li.url))
        .header(COOKIE, li.cookie_header());
    request = request.header("accept", "*/*");
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an xlsx file is a zip archive");

    // Only quality re-opens, with a reason.
    let reopened = li
        .post(
            "/console/report/reopen",
            &[("csrf", &csrf), ("month", &month), ("reason", "late case")],
        )
        .await;
    assert_eq!(
        reopened.status,
        StatusCode::BAD_REQUEST,
        "{}",
        reopened.body
    );
    let mut qa = signed_in(&hq, "qa").await;
    let csrf = hidden(&qa.get(&page_path).await.body, "csrf").unwrap();
    let reopened = qa
        .post(
            "/console/report/reopen",
            &[("csrf", &csrf), ("month", &month), ("reason", "late case")],
        )
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.body);
    let view = fieldhq::report::view(hq.storage(), &month).await.unwrap();
    assert_eq!(view.state, fieldhq::report::ReportState::Draft);
    assert!(
        view.log
            .iter()
            .any(|l| l.action == "reopen" && l.by_user == "qa")
    );
}
