//! The public pages (PORTAL 7.3), through the real server: the service guide, certificate
//! verification, filing a report with its receipt shown once, and following it by receipt.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, Visitor, hidden};

#[tokio::test]
async fn the_service_guide_lists_the_seeded_types_and_a_page_says_how_each_is_decided() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (status, headers, page) = v.get("/services").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    for (code, name) in [
        (
            "hazchem_business_no_storage",
            "危险化学品经营许可证（不带储存）",
        ),
        ("non_coal_mine_safety", "非煤矿山安全生产许可证"),
        ("emergency_plan_filing", "生产安全事故应急预案备案"),
    ] {
        assert!(
            page.contains(&format!("href=\"/services/{code}\"")),
            "{code}"
        );
        assert!(page.contains(name), "{name}");
    }
    assert!(page.contains("秒批") && page.contains("秒报") && page.contains("审查"));

    // An instant approval: the rules in words, the form's fields, what is not asked, apply.
    let (status, _, page) = v.get("/services/hazchem_business_no_storage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("秒批"), "{page}");
    assert!(page.contains("36 个月"));
    assert!(page.contains("危险化学品、商贸"), "who may apply: {page}");
    assert!(page.contains("经营场所地址") && page.contains("CAS号"));
    assert!(page.contains("没有正在执行的停产停业整顿指令"));
    assert!(
        page.contains("转人工审查，20 个工作日内"),
        "the high-risk referral"
    );
    assert!(page.contains("统一社会信用代码"), "zero material");
    assert!(page.contains("《危险化学品安全管理条例》"));
    assert!(page.contains("href=\"/e/apply/hazchem_business_no_storage\""));

    // A review type, in English: the statutory days.
    let (_, _, page) = v.get("/services/non_coal_mine_safety?lang=en").await;
    assert!(
        page.contains("A reviewer decides within 45 working days."),
        "{page}"
    );
    assert!(page.contains("Non-coal mine work safety licence"));
    assert!(page.contains("Non-coal mining"), "the industry in English");
    // A filing runs only the commitment.
    let (_, _, page) = v.get("/services/emergency_plan_filing?lang=zh-CN").await;
    assert!(page.contains("秒报") && page.contains("已勾选告知承诺书"));
    assert!(page.contains("须晚于“预案发布日期”"), "{page}");
    assert!(!page.contains("没有正在执行的停产停业整顿指令"));

    let (status, _, page) = v.get("/services/no_such_type").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("<html"), "the 404 page: {page}");
}

/// The page without the values the visitor typed (echoed back in the form) and the time.
fn without_echo(page: &str, echoed: &[&str]) -> String {
    let mut page = page.to_owned();
    for e in echoed {
        page = page.replace(e, "");
    }
    page.lines()
        .filter(|l| !l.contains("class=\"hint\"") || !l.contains(':'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_certificate_verifies_by_form_and_by_its_qr_link_and_a_wrong_code_is_an_unknown_number() {
    let app = TestApp::spawn().await;
    let (_, _, approved) = crate::permits::licensed(&app, "pv").await;
    let cert = &approved["certificate"];
    let number = cert["number"].as_str().unwrap();
    let code = cert["verification_code"].as_str().unwrap();
    let v = Visitor::new(&app);

    let (_, headers, form) = v.get("/verify").await;
    assert_eq!(headers["cache-control"], "no-store");
    assert!(form.contains("name=\"number\"") && form.contains("name=\"code\""));
    assert!(form.contains("method=\"get\" action=\"/verify\""));

    let (status, _, page) = v
        .get(&format!(
            "/verify?number={number}&code={}",
            code.to_lowercase()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("有效"), "{page}");
    assert!(page.contains("status ok"), "in colour too");
    assert!(page.contains(cert["holder"]["name"].as_str().unwrap()));
    assert!(page.contains(cert["holder"]["credit_code"].as_str().unwrap()));
    assert!(page.contains("危险化学品经营许可证（不带储存）"));
    assert!(page.contains("市南区香港中路100号"), "the scope");
    assert!(page.contains("乙醇"));
    assert!(page.contains("青岛市应急管理局"));
    assert!(page.contains("2026年6月1日"), "issued and checked today");
    assert!(page.contains("签名有效"), "the signature verifies");

    // The QR link: the same answer.
    let (status, _, link) = Visitor::new(&app)
        .get(&format!("/verify/{number}?code={code}&lang=en"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(link.contains("Valid") && link.contains("The signature verifies"));

    // A wrong code is exactly an unknown number: the same page, the same status.
    let (wrong_status, _, wrong) = v
        .get(&format!("/verify?number={number}&code=AAAAAAAAAA"))
        .await;
    let unknown_number = "QD-WHJY-2026-999999";
    let (unknown_status, _, unknown) = v
        .get(&format!("/verify?number={unknown_number}&code=AAAAAAAAAA"))
        .await;
    assert_eq!(wrong_status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert!(wrong.contains("未找到该证书"));
    assert_eq!(
        without_echo(&wrong, &[number]),
        without_echo(&unknown, &[unknown_number])
    );
    let (status, _, link) = v.get(&format!("/verify/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no code");
    assert!(link.contains("未找到该证书"));

    // Revoked: says so, in words.
    let res = app
        .post(
            &format!("/api/v1/certificates/{}/revoke", cert["id"]),
            Some(&app.admin_token),
            &json!({"reason": "以欺骗手段取得许可证，依法撤销"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, _, page) = v.get(&format!("/verify/{number}?code={code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("已注销") && page.contains("status bad"),
        "{page}"
    );
}

/// The fields of a good report, as the form sends them.
fn report_fields(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("category", "general_hazard".into()),
        ("industry", "construction".into()),
        (
            "description",
            "深基坑开挖超过五米未按专项方案支护，周边已出现裂缝，工人仍在坑底作业。".into(),
        ),
        ("district", "licang".into()),
        ("location", "李沧区九水东路工地".into()),
        ("occurred_on", "2026-05-30".into()),
        ("enterprise_name", "".into()),
        ("enterprise_credit_code", "".into()),
        ("reporter.name", "".into()),
        ("reporter.phone", "".into()),
        ("reporter.email", "".into()),
        ("reporter.bank_account", "".into()),
    ]
}

async fn post(v: &Visitor, path: &str, fields: &[(&str, String)]) -> (StatusCode, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, headers, page) = v.post(path, &fields).await;
    assert_eq!(headers["cache-control"], "no-store", "{path}");
    (status, page)
}

/// The receipt's digits as the receipt page shows them, in its groups of four.
fn shown_receipt(page: &str) -> Vec<String> {
    let at = page.find("class=\"receipt\"").expect("the receipt");
    let end = at + page[at..].find("</p>").unwrap();
    page[at..end]
        .split("<span class=\"group\">")
        .skip(1)
        .map(|g| g[..g.find('<').unwrap()].to_owned())
        .collect()
}

async fn reports_count(app: &TestApp) -> i64 {
    app.state
        .db
        .run(|conn| {
            use anjian::schema::reports;
            use diesel::prelude::*;
            Ok(reports::table.count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_report_is_filed_its_receipt_shown_once_then_followed_with_messages_both_ways() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (status, headers, page) = v.get("/report").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(page.contains("如何保护您的身份"), "{page}");
    for name in [
        "description",
        "industry",
        "category",
        "location",
        "reporter.phone",
    ] {
        assert!(page.contains(&format!("name=\"{name}\"")), "{name}");
    }
    let csrf = hidden(&page, "csrf");

    // Filed: the receipt once, large, in groups of four, with the warning and the confirm step.
    let (status, page) = post(&v, "/report", &report_fields(&csrf)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let groups = shown_receipt(&page);
    assert_eq!(groups.len(), 4, "{page}");
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit()))
    );
    let receipt = groups.concat();
    assert!(page.contains("回执号只显示这一次，无法找回"));
    assert!(page.contains("data-print") && page.contains("action=\"/report/saved\""));
    assert!(!page.contains("<script>"), "no inline script");
    assert_eq!(reports_count(&app).await, 1);
    let tracking = page[page.find("JB").unwrap()..][..16].to_owned();
    // Never again: not on the form, not after confirming.
    let (_, _, again) = v.get("/report").await;
    assert!(!again.contains(&receipt));
    let csrf = hidden(&page, "csrf");
    let (status, saved) = post(&v, "/report/saved", &[("csrf", csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(saved.contains("感谢您的举报") && !saved.contains(&receipt));

    // Staff write to the reporter through the API.
    let s = crate::reports::staff(&app).await;
    let id: i64 = tracking[10..].parse().unwrap();
    crate::reports::investigate(&app, &s, id).await;
    let res = app
        .post(
            &format!("/api/v1/reports/{id}/messages"),
            Some(&s.inspector),
            &json!({"body": "请补充现场照片。", "to_reporter": true}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // Checked by receipt, typed as shown: the status and the staff's message.
    let (_, _, form) = v.get("/report/check").await;
    assert!(form.contains("autocomplete=\"off\""));
    let csrf = hidden(&form, "csrf");
    let (status, page) = post(
        &v,
        "/report/check",
        &[("csrf", csrf), ("receipt", groups.join(" "))],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&tracking));
    assert!(page.contains("正在核查"), "{page}");
    assert!(page.contains("请补充现场照片。"));
    assert_eq!(
        hidden(&page, "receipt"),
        receipt,
        "carried in the hidden field"
    );

    // An empty reply: the problem beside it, nothing stored.
    let csrf = hidden(&page, "csrf");
    let (status, bad) = post(
        &v,
        "/report/check/reply",
        &[
            ("csrf", csrf.clone()),
            ("receipt", receipt.clone()),
            ("body", " ".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("id=\"body-error\""), "{bad}");
    // The reply, stored and shown.
    let csrf = hidden(&bad, "csrf");
    let (status, page) = post(
        &v,
        "/report/check/reply",
        &[
            ("csrf", csrf),
            ("receipt", receipt.clone()),
            ("body", "照片已拍好，明天送到。".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("已发送") && page.contains("照片已拍好，明天送到。"));
    let view: serde_json::Value = crate::reports::lookup(&app, &receipt)
        .await
        .json()
        .await
        .unwrap();
    let messages: Vec<(&str, &str)> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        messages,
        [
            ("bureau", "请补充现场照片。"),
            ("reporter", "照片已拍好，明天送到。")
        ]
    );
}

#[tokio::test]
async fn bad_input_on_the_report_form_is_shown_beside_each_field_with_the_values_kept_and_nothing_filed()
 {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/report?lang=en").await;
    let mut fields = report_fields(&hidden(&page, "csrf"));
    for (k, value) in fields.iter_mut() {
        match *k {
            "description" => *value = "太短".into(),
            "enterprise_credit_code" => *value = "91370200X".into(),
            "reporter.email" => *value = "not-an-address".into(),
            "occurred_on" => *value = "2026-07-01".into(),
            "industry" => *value = String::new(),
            _ => {}
        }
    }
    fields.push(("is_employee", "true".into()));
    let (status, page) = post(&v, "/report", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    for (id, text) in [
        (
            "description-error",
            "Describe what you found in 20 to 5,000 characters.",
        ),
        (
            "enterprise_credit_code-error",
            "unified social credit code has 18 characters",
        ),
        ("reporter-email-error", "Enter a valid email address."),
        ("occurred_on-error", "cannot be later than today"),
        ("reporter-name-error", "must give a name"),
        ("reporter-phone-error", "must give a phone number"),
        ("industry-error", "Choose an industry."),
    ] {
        let at = page
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id}: {page}"));
        assert!(
            page[at..at + 200].contains(text),
            "{id}: {}",
            &page[at..at + 200]
        );
    }
    assert!(page.contains("role=\"alert\""), "the summary");
    // What was typed is kept.
    assert!(page.contains(">太短</textarea>"));
    assert!(page.contains("value=\"李沧区九水东路工地\""));
    assert!(page.contains("value=\"not-an-address\""));
    assert!(page.contains(">Licang</option>"), "the district in English");
    assert!(page.contains("<option value=\"licang\" selected>"));
    assert!(page.contains("name=\"is_employee\" type=\"checkbox\" value=\"true\" checked"));
    assert_eq!(reports_count(&app).await, 0, "nothing filed");

    // Without the form's token: refused.
    let (status, _, _) = Visitor::new(&app)
        .post("/report", &[("description", "x")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn wrong_receipts_on_the_check_page_are_throttled_as_on_the_api() {
    let app = TestApp::spawn_with(&[("ANJIAN_RECEIPT_RATE", "3/15min")]).await;
    let filed = crate::reports::file(&app, &crate::reports::report_body("general_hazard")).await;
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/report/check").await;
    let csrf = hidden(&page, "csrf");
    // A malformed receipt is a mistake beside its field, not counted.
    let (status, page) = post(
        &v,
        "/report/check",
        &[("csrf", csrf.clone()), ("receipt", "12345".into())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"receipt-error\""));
    for wrong in [
        "1111111111111111",
        "2222 2222 2222 2222",
        "3333333333333333",
    ] {
        let (status, page) = post(
            &v,
            "/report/check",
            &[("csrf", csrf.clone()), ("receipt", wrong.into())],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(page.contains("没有找到与该回执号对应的举报"), "{page}");
    }
    // Now even the right receipt waits, on the page as on the API: the same counter.
    let res = v
        .client
        .post(format!("{}/report/check", v.base))
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str()), ("receipt", filed.receipt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 901, "{wait}");
    let page = res.text().await.unwrap();
    assert!(page.contains(&format!("{wait} 秒")), "{page}");
    assert_eq!(
        crate::reports::lookup(&app, &filed.receipt).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(chrono::Duration::minutes(15));
    let (status, page) = post(
        &v,
        "/report/check",
        &[("csrf", csrf), ("receipt", filed.receipt.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&filed.tracking));
}

#[tokio::test]
async fn a_decided_reward_is_claimed_from_the_check_page_with_the_payee_checked() {
    let app = TestApp::spawn().await;
    let s = crate::reports::staff(&app).await;
    let filed = crate::reports::file(&app, &crate::reports::report_body("general_hazard")).await;
    crate::reports::substantiate(&app, &s, filed.id, json!({})).await;
    let res = crate::reports::reward(&app, filed.id, json!({})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let v = Visitor::new(&app);
    let (_, _, page) = v.get("/report/check").await;
    let (_, page) = post(
        &v,
        "/report/check",
        &[
            ("csrf", hidden(&page, "csrf")),
            ("receipt", filed.receipt.clone()),
        ],
    )
    .await;
    assert!(
        page.contains("核查属实") && page.contains("已决定，待领取"),
        "{page}"
    );
    assert!(page.contains("action=\"/report/check/claim\""));
    let payee = |csrf: String, account: &str| {
        vec![
            ("csrf", csrf),
            ("receipt", filed.receipt.clone()),
            ("payee.name", "孙小工".to_owned()),
            ("payee.phone", "13811112222".to_owned()),
            ("payee.bank_account", account.to_owned()),
        ]
    };
    let (status, bad) = post(
        &v,
        "/report/check/claim",
        &payee(hidden(&page, "csrf"), "12"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("id=\"payee-bank_account-error\""), "{bad}");
    assert!(bad.contains("value=\"孙小工\""), "kept");
    let (status, page) = post(
        &v,
        "/report/check/claim",
        &payee(hidden(&bad, "csrf"), "6222000011112222"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("领取申请已提交") && page.contains("已申领，待支付"));
    let view: serde_json::Value = crate::reports::lookup(&app, &filed.receipt)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["reward"]["status"], "claimed");
}

#[tokio::test]
async fn no_log_line_of_the_reporters_pages_holds_the_receipt_or_the_identity() {
    let logs = crate::helpers::captured_logs();
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let (name, phone, account) = ("李隐私页面测试", "13677778888", "6217000099998888777");
    let (_, _, page) = v.get("/report").await;
    let mut fields = report_fields(&hidden(&page, "csrf"));
    for (k, value) in fields.iter_mut() {
        match *k {
            "reporter.name" => *value = name.into(),
            "reporter.phone" => *value = phone.into(),
            "reporter.bank_account" => *value = account.into(),
            _ => {}
        }
    }
    let (status, page) = post(&v, "/report", &fields).await;
    assert_eq!(status, StatusCode::OK);
    let receipt = shown_receipt(&page).concat();
    let (_, _, page) = v.get("/report/check").await;
    let csrf = hidden(&page, "csrf");
    let (status, _) = post(
        &v,
        "/report/check",
        &[("csrf", csrf.clone()), ("receipt", receipt.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &v,
        "/report/check/reply",
        &[
            ("csrf", csrf),
            ("receipt", receipt.clone()),
            ("body", format!("补充：电话 {phone}")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        text.lines().any(|l| l.contains("/report/check/reply")),
        "the capture sees the pages' log lines"
    );
    for secret in [receipt.as_str(), name, phone, account] {
        assert!(!text.contains(secret), "{secret} reached the log");
    }
}
