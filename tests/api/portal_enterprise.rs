//! The enterprise pages (PORTAL 7.4), through the real server as a browser uses them: the
//! workbench, applying on the form rendered from the permit type (rows added and removed
//! without JavaScript, drafts, bad input, two tabs), the application's page, certificates with
//! their QR code, hazards, the negative list, penalties and orders.

use anjian::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, Visitor, hidden};
use crate::permits::{
    HAZCHEM, date, file_prerequisites, hazchem_form, insert_hazard, insert_order, insert_penalty,
    submit_new,
};

/// An enterprise of `industry`, its account's API token, and a visitor signed in as it.
async fn signed_in(app: &TestApp, industry: &str) -> (i64, String, Visitor) {
    let id = app.enterprise(industry, "shinan").await;
    let username = format!("ent{}", app.next());
    app.create_user_direct(&username, Role::Enterprise, Some(id))
        .await;
    let token = app.login(&username, PASSWORD).await;
    let v = Visitor::new(app);
    assert_eq!(v.sign_in(&username, PASSWORD).await, "/e/");
    (id, token, v)
}

/// The hazchem licence form as the page posts it, with `action`.
fn hazchem_fields(tag: &str, action: &str) -> Vec<(String, String)> {
    [
        ("f.premises_address", "市南区香港中路100号".to_owned()),
        ("f.premises_area_m2", "120.5".to_owned()),
        ("f.principal_cert_no", format!("AQP-{tag}")),
        ("f.safety_manager_cert_no", format!("AQS-{tag}")),
        ("rows.chemicals", "2".to_owned()),
        ("f.chemicals[0].name", "乙醇".to_owned()),
        ("f.chemicals[0].cas_no", "64-17-5".to_owned()),
        ("f.chemicals[1].name", "硫酸".to_owned()),
        ("f.chemicals[1].cas_no", "7664-93-9".to_owned()),
        ("f.includes_highly_toxic", "false".to_owned()),
        ("f.includes_explosive_precursors", "false".to_owned()),
        ("commitment", "yes".to_owned()),
        ("action", action.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Posts `fields` from the page at `from` (its form token added).
async fn post_from(
    v: &Visitor,
    from: &str,
    to: &str,
    fields: &[(String, String)],
) -> (StatusCode, String, String) {
    let (status, _, page) = v.get(from).await;
    assert_eq!(status, StatusCode::OK, "{from}: {page}");
    let csrf = hidden(&page, "csrf");
    let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (status, headers, page) = v.post(to, &all).await;
    let location = headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, page)
}

async fn applications(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json("/api/v1/applications", Some(token)).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The application id in `/e/applications/{id}…`.
fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches("/e/applications/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_workbench_puts_what_needs_doing_first_and_is_only_for_enterprises() {
    let app = TestApp::spawn().await;
    // Signed out: sent to sign in, and back here after.
    let (status, headers, _) = Visitor::new(&app).get("/e/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?next=%2Fe%2F");

    let (id, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "WB").await;
    let approved = submit_new(&app, &token, HAZCHEM, hazchem_form("WB")).await;
    insert_hazard(&app, id, "general", "open", date("2026-05-20")).await;
    insert_hazard(&app, id, "general", "open", date("2026-07-20")).await;
    insert_order(&app, id, None).await;
    insert_penalty(&app, id, date("2026-05-01"), None).await;
    let draft = app
        .post(
            "/api/v1/applications",
            Some(&token),
            &json!({"permit_type": "fireworks_retail", "form": {"premises_address": "胶州市福州南路209号"}}),
        )
        .await;
    assert_eq!(draft.status(), StatusCode::CREATED);

    let (status, headers, page) = v.get("/e/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    // 待办: the overdue hazard first, said in words.
    let todo = &page[page.find("id=\"todo\"").unwrap()..page.find("id=\"apps\"").unwrap()];
    let overdue_at = todo.find("2026年5月20日").expect("the overdue hazard");
    assert!(overdue_at < todo.find("2026年7月20日").expect("the other hazard"));
    assert!(todo.contains("逾期"));
    assert!(todo.contains("未提交的草稿") && todo.contains("烟花爆竹经营（零售）许可证"));
    // Then the rest.
    let number = approved["certificate"]["number"].as_str().unwrap();
    assert!(page.contains(number), "the active certificate");
    assert!(page.contains("停产整顿"), "the order in force");
    assert!(page.contains("¥20,000.00"), "the unpaid penalty");
    assert!(page.contains("尚未发布负面清单"));
    assert!(page.contains("已备案"), "applications by status");

    // Staff get the 403 page.
    let staff = Visitor::new(&app);
    app.create_user_direct("insp.wb", Role::Inspector, None)
        .await;
    staff.sign_in("insp.wb", PASSWORD).await;
    let (status, _, page) = staff.get("/e/").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("无权访问"));
}

#[tokio::test]
async fn an_instant_licence_is_applied_for_on_the_rendered_form_and_approved_at_once() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "OK").await;

    let (status, _, page) = v.get(&format!("/e/apply/{HAZCHEM}")).await;
    assert_eq!(status, StatusCode::OK);
    // Held data shown, not asked.
    assert!(page.contains("青岛测试企业") && page.contains("危险化学品"));
    assert!(!page.contains("name=\"f.enterprise_name\""));
    // The training certificates are a choice among the enterprise's own filed ones.
    assert!(page.contains("<select id=\"f-principal_cert_no\" name=\"f.principal_cert_no\""));
    assert!(page.contains("<option value=\"AQP-OK\""));
    // Every field type of the form: text, decimal, list of objects, bool.
    assert!(page.contains("name=\"f.chemicals[0].cas_no\""));
    assert!(page.contains("type=\"radio\" id=\"f-includes_highly_toxic-true\""));
    assert!(!page.contains("style=") && !page.contains("<script>"));

    let (status, location, _) = post_from(
        &v,
        &format!("/e/apply/{HAZCHEM}"),
        &format!("/e/apply/{HAZCHEM}"),
        &hazchem_fields("OK", "submit"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("?submitted=1"), "{location}");
    let (status, _, page) = v.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("已批准，电子证照已签发"), "{page}");
    let written = &applications(&app, &token).await[0];
    assert_eq!(written["status"], "approved");
    assert_eq!(written["form"]["chemicals"][1]["cas_no"], "7664-93-9");
    assert!(page.contains(&format!("/e/certificates/{}", written["certificate_id"])));
}

#[tokio::test]
async fn a_rejection_names_every_failing_rule_in_words_with_what_to_do() {
    let app = TestApp::spawn().await;
    // No training or emergency plan filed: two rules fail.
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    let (status, location, _) = post_from(
        &v,
        &format!("/e/apply/{HAZCHEM}"),
        &format!("/e/apply/{HAZCHEM}"),
        &hazchem_fields("NO", "submit"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = v.get(&location).await;
    assert!(page.contains("未通过"), "{page}");
    for (rule, todo) in [
        (
            "主要负责人、安全管理人员培训考核已备案且在有效期内",
            "先办理“主要负责人、安全管理人员培训考核备案”",
        ),
        ("应急预案已备案", "先办理“生产安全事故应急预案备案”"),
    ] {
        let at = page.find(rule).unwrap_or_else(|| panic!("{rule}: {page}"));
        let item = &page[page[..at].rfind("<li").unwrap()..at + page[at..].find("</li>").unwrap()];
        assert!(item.contains("不符合") && item.contains(todo), "{item}");
    }
    // Passing rules are listed too, in words.
    assert!(page.contains("企业处于正常经营状态"));
    assert_eq!(applications(&app, &token).await[0]["status"], "rejected");
    // English, one click away.
    let (_, _, page) = v.get(&format!("{location}&lang=en")).await;
    assert!(page.contains("An emergency plan is filed") && page.contains("Not met"));
}

#[tokio::test]
async fn rows_of_a_list_are_added_and_removed_without_javascript_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    let here = format!("/e/apply/{HAZCHEM}");
    let (_, _, page) = v.get(&here).await;
    assert!(page.contains("name=\"rows.chemicals\" value=\"1\""));
    assert!(page.contains("name=\"add\" value=\"chemicals\""));

    let mut fields = hazchem_fields("RW", "");
    fields.retain(|(k, _)| k != "action");
    fields.push(("add".into(), "chemicals".into()));
    let (status, _, page) = post_from(&v, &here, &here, &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("name=\"rows.chemicals\" value=\"3\""),
        "{page}"
    );
    assert!(page.contains("name=\"f.chemicals[2].name\" value=\"\""));
    assert!(page.contains("name=\"f.chemicals[1].cas_no\" value=\"7664-93-9\""));
    assert!(
        page.contains("value=\"市南区香港中路100号\""),
        "typed values kept"
    );

    fields.pop();
    fields.push(("remove".into(), "chemicals:0".into()));
    let (status, _, page) = post_from(&v, &here, &here, &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"rows.chemicals\" value=\"1\""));
    assert!(page.contains("name=\"f.chemicals[0].name\" value=\"硫酸\""));
    assert!(!page.contains("乙醇"));
    assert!(applications(&app, &token).await.is_empty());
}

#[tokio::test]
async fn a_draft_is_saved_resumed_and_submitted_later() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "DR").await;
    let here = format!("/e/apply/{HAZCHEM}");
    let fields = vec![
        (
            "f.premises_address".to_owned(),
            "黄岛区前湾港路88号".to_owned(),
        ),
        ("rows.chemicals".to_owned(), "1".to_owned()),
        ("f.chemicals[0].name".to_owned(), "甲苯".to_owned()),
        ("action".to_owned(), "save".to_owned()),
    ];
    let (status, location, _) = post_from(&v, &here, &here, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("/form?saved=1"), "{location}");
    let id = id_in(&location);
    let draft = &applications(&app, &token).await[0];
    assert_eq!(draft["status"], "draft");
    assert_eq!(
        draft["form"],
        json!({"premises_address": "黄岛区前湾港路88号", "chemicals": [{"name": "甲苯"}]})
    );

    // Coming back later: the page has what was saved.
    let form_page = format!("/e/applications/{id}/form");
    let (status, _, page) = v.get(&form_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"黄岛区前湾港路88号\"") && page.contains("value=\"甲苯\""));

    let (status, location, _) =
        post_from(&v, &form_page, &form_page, &hazchem_fields("DR", "submit")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/e/applications/{id}?submitted=1"));
    let done = app
        .get_json(&format!("/api/v1/applications/{id}"), Some(&token))
        .await;
    assert_eq!(done["status"], "approved");
    // A submitted application's form page leads to its page.
    let (status, headers, _) = v.get(&form_page).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], format!("/e/applications/{id}"));
}

#[tokio::test]
async fn bad_input_comes_back_with_every_problem_beside_its_field_and_nothing_written() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    let here = format!("/e/apply/{HAZCHEM}");
    let mut fields = hazchem_fields("BAD", "submit");
    for (k, val) in fields.iter_mut() {
        match k.as_str() {
            "f.premises_area_m2" => *val = "-5".into(),
            "f.chemicals[1].cas_no" => *val = "7664-93-8".into(),
            "f.premises_address" => *val = String::new(),
            _ => {}
        }
    }
    fields.retain(|(k, _)| k != "commitment");
    let (status, _, page) = post_from(&v, &here, &here, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("role=\"alert\""));
    // Each problem beside its field, and in the summary linked to it.
    for (id, message) in [
        ("f-premises_address", "此项必填"),
        ("f-premises_area_m2", "超出允许范围"),
        ("f-chemicals-1--cas_no", "填写的内容无效"),
        ("commitment_accepted", "此项必填"),
    ] {
        assert!(page.contains(&format!("href=\"#{id}\"")), "{id}");
        let beside = &page[page
            .find(&format!("id=\"{id}-error\""))
            .unwrap_or_else(|| panic!("{id}: {page}"))..];
        let beside: String = beside.chars().take(120).collect();
        assert!(beside.contains(message), "{id}: {beside}");
    }
    // What was typed is kept.
    assert!(page.contains("name=\"f.premises_area_m2\" value=\"-5\""));
    assert!(page.contains("name=\"f.chemicals[1].cas_no\" value=\"7664-93-8\""));
    assert!(
        applications(&app, &token).await.is_empty(),
        "nothing half written"
    );

    // The same with the commitment: the form's problems alone, and still nothing written.
    fields.push(("commitment".into(), "yes".into()));
    let (status, _, page) = post_from(&v, &here, &here, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"f-chemicals-1--cas_no-error\""));
    assert!(!page.contains("id=\"commitment_accepted-error\""));
    assert!(applications(&app, &token).await.is_empty());
}

#[tokio::test]
async fn of_two_tabs_submitting_one_draft_one_wins_and_the_other_is_told() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "TT").await;
    let here = format!("/e/apply/{HAZCHEM}");
    let (_, location, _) = post_from(&v, &here, &here, &hazchem_fields("TT", "save")).await;
    let form_page = format!("/e/applications/{}/form", id_in(&location));
    // Both tabs opened the form before either submitted.
    let (_, _, first) = v.get(&form_page).await;
    let (_, _, second) = v.get(&form_page).await;
    let submit = |page: &str| {
        let mut all = vec![("csrf".to_owned(), hidden(page, "csrf"))];
        all.extend(hazchem_fields("TT", "submit"));
        all
    };
    let send = |fields: Vec<(String, String)>| {
        let v = &v;
        let form_page = form_page.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (status, _, page) = v.post(&form_page, &pairs).await;
            (status, page)
        }
    };
    let (a, b) = tokio::join!(send(submit(&first)), send(submit(&second)));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let told = if a.0 == StatusCode::CONFLICT {
        a.1
    } else {
        b.1
    };
    assert!(told.contains("这份申请已经提交"), "{told}");
    let all = applications(&app, &token).await;
    assert_eq!(all.len(), 4, "three filings and one licence: {all:?}");
    assert_eq!(all[0]["status"], "approved");
}

#[tokio::test]
async fn another_enterprises_application_and_certificate_are_the_404_page() {
    let app = TestApp::spawn().await;
    let (_, token, _) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "MINE").await;
    let approved = submit_new(&app, &token, HAZCHEM, hazchem_form("MINE")).await;
    let (_, _, other) = signed_in(&app, "hazardous_chemicals").await;
    for path in [
        format!("/e/applications/{}", approved["id"]),
        format!("/e/applications/{}/form", approved["id"]),
        format!("/e/certificates/{}", approved["certificate_id"]),
    ] {
        let (status, _, page) = other.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("页面不存在"));
    }
}

#[tokio::test]
async fn a_certificate_shows_a_server_drawn_qr_code_whose_address_verifies_and_prints() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "QR").await;
    let approved = submit_new(&app, &token, HAZCHEM, hazchem_form("QR")).await;
    let number = approved["certificate"]["number"].as_str().unwrap();
    let (status, _, page) = v
        .get(&format!("/e/certificates/{}", approved["certificate_id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(number) && page.contains("有效"));
    // The QR code's address, written under it; the SVG is that address's code.
    let at = page.find("class=\"verify-url\">").unwrap() + "class=\"verify-url\">".len();
    let url = page[at..at + page[at..].find('<').unwrap()].replace("&amp;", "&");
    let code = approved["certificate"]["verification_code"]
        .as_str()
        .unwrap();
    assert_eq!(url, format!("{}/verify/{number}?code={code}", app.url("")));
    let svg = anjian::totp::domain::qr_svg(&url).unwrap();
    let drawn = &svg[svg.find("<path").unwrap()..];
    assert!(page.contains("<svg role=\"img\"") && page.contains(drawn));
    assert!(
        !page.contains("style=") && !page.contains("<?xml"),
        "nothing the CSP refuses"
    );
    // What the address names verifies as the public sees it.
    let verified = app
        .get_json(
            &format!("/api/v1/public/certificates/{number}?code={code}"),
            None,
        )
        .await;
    assert_eq!(verified["valid"], true);

    // Renew, change and reissue open their applications with the certificate named.
    let renew = format!("/e/apply/hazchem_business_renewal?certificate={number}");
    assert!(page.contains(&renew), "{page}");
    assert!(page.contains("/e/apply/hazchem_business_change?certificate="));
    assert!(page.contains("/e/apply/hazchem_business_reissue?certificate="));
    let (_, _, form) = v.get(&renew).await;
    assert!(form.contains(&format!("name=\"f.certificate_no\" value=\"{number}\"")));

    // The printable certificate.
    let (status, _, print) = v
        .get(&format!(
            "/e/certificates/{}/print",
            approved["certificate_id"]
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("class=\"certificate print\"") && print.contains("data-print"));
    assert!(print.contains(drawn));
    let (_, _, list) = v.get("/e/certificates").await;
    assert!(list.contains(number));
}

#[tokio::test]
async fn a_hazard_is_self_reported_rectified_sent_back_and_verified_through_the_pages() {
    let app = TestApp::spawn().await;
    let (_, _, v) = signed_in(&app, "hazardous_chemicals").await;
    let inspector = app.token_for(Role::Inspector, None).await;

    // A major hazard without its plan: every problem at once, what was typed kept.
    let fields = |extra: &[(&str, &str)]| {
        let mut all = vec![
            (
                "description".to_owned(),
                "储罐区可燃气体报警器失效".to_owned(),
            ),
            ("level".to_owned(), "major".to_owned()),
            ("category".to_owned(), "equipment".to_owned()),
            ("deadline".to_owned(), "2026-06-20".to_owned()),
        ];
        all.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all
    };
    let (status, _, page) = post_from(&v, "/e/hazards/new", "/e/hazards/new", &fields(&[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"funds-error\"") && page.contains("id=\"plan_deadline-error\""));
    assert!(page.contains("储罐区可燃气体报警器失效"));
    let (status, location, _) = post_from(
        &v,
        "/e/hazards/new",
        "/e/hazards/new",
        &fields(&[
            ("measures", "更换报警器并联动切断阀"),
            ("funds", "8,000"),
            ("responsible_person", "李安全"),
            ("plan_deadline", "2026-06-15"),
            ("emergency_measures", "停用储罐区，专人值守"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let id: i64 = location.trim_start_matches("/e/hazards/").parse().unwrap();
    let h = app
        .get_json(&format!("/api/v1/hazards/{id}"), Some(&inspector))
        .await;
    assert_eq!(h["inspection_id"], Value::Null);
    assert_eq!(h["plan"]["funds_fen"], 800_000);

    let (_, _, list) = v.get("/e/hazards").await;
    assert!(list.contains("储罐区可燃气体报警器失效") && list.contains("重大隐患"));
    assert!(list.contains("2026年6月20日") && list.contains("待整改"));

    // The rectification: a bad date is told beside its field, the measures kept.
    let (status, _, page) = post_from(
        &v,
        &location,
        &format!("{location}/rectification"),
        &[
            ("measures".into(), "已更换报警器".into()),
            ("completed_on".into(), "2026-06-02".into()),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a day in the future"
    );
    assert!(page.contains("id=\"completed_on-error\"") && page.contains("已更换报警器"));
    let rectify = [
        (
            "measures".to_owned(),
            "已更换报警器并完成联动测试".to_owned(),
        ),
        ("completed_on".to_owned(), "2026-06-01".to_owned()),
    ];
    let (status, _, _) = post_from(
        &v,
        &location,
        &format!("{location}/rectification"),
        &rectify,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = v.get(&location).await;
    assert!(page.contains("已整改，待验收") && page.contains("已更换报警器并完成联动测试"));
    assert!(
        !page.contains("name=\"completed_on\""),
        "no second report while it waits"
    );

    // The inspector sends it back: the reason is on the page, and it can be reported again.
    let res = app
        .post(
            &format!("/api/v1/hazards/{id}/reject"),
            Some(&inspector),
            &json!({"reason": "联动切断阀未接入控制系统"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, _, page) = v.get(&location).await;
    assert!(page.contains("联动切断阀未接入控制系统") && page.contains("name=\"completed_on\""));
    let (status, _, _) = post_from(
        &v,
        &location,
        &format!("{location}/rectification"),
        &rectify,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let res = app
        .post(
            &format!("/api/v1/hazards/{id}/verify"),
            Some(&inspector),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, _, page) = v.get(&location).await;
    assert!(
        page.contains("检查人员已于 2026年6月1日 验收销号"),
        "{page}"
    );
}

#[tokio::test]
async fn orders_say_which_major_hazards_block_their_lifting_and_penalties_their_payment() {
    let app = TestApp::spawn().await;
    let (id, _, v) = signed_in(&app, "hazardous_chemicals").await;
    insert_order(&app, id, None).await;
    insert_hazard(&app, id, "major", "open", date("2026-06-30")).await;
    insert_penalty(&app, id, date("2026-05-01"), None).await;
    let (status, _, page) = v.get("/e/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("停产整顿") && page.contains("正在执行"));
    assert!(page.contains("以下重大隐患尚未验收销号") && page.contains("/e/hazards/"));
    let (_, _, page) = v.get("/e/penalties").await;
    assert!(page.contains("¥20,000.00") && page.contains("未缴纳"));
    assert!(page.contains("《安全生产法》第九十七条"));
}

/// The rows of the negative-list draft form as the page shows them, ready to post back.
fn item_rows(page: &str) -> Vec<(String, String)> {
    let n: usize = hidden(page, "rows").parse().unwrap();
    let mut out = vec![("rows".to_owned(), n.to_string())];
    for i in 0..n {
        for k in ["code", "title", "description"] {
            let name = format!("item[{i}].{k}");
            out.push((name.clone(), hidden(page, &name)));
        }
        for k in ["category", "severity", "handling"] {
            let name = format!("item[{i}].{k}");
            let at = page.find(&format!("name=\"{name}\"")).unwrap();
            let select = &page[at..at + page[at..].find("</select>").unwrap()];
            // The selected option, or the first (what a browser sends).
            let value_at = match select.find(" selected") {
                Some(chosen) => select[..chosen].rfind("value=\"").unwrap() + 7,
                None => select.find("value=\"").unwrap() + 7,
            };
            let value = &select[value_at..value_at + select[value_at..].find('"').unwrap()];
            out.push((name, value.to_owned()));
        }
    }
    out
}

#[tokio::test]
async fn a_negative_list_starts_from_the_template_is_edited_published_and_violations_recorded() {
    let app = TestApp::spawn().await;
    let (id, token, v) = signed_in(&app, "hazardous_chemicals").await;
    let (_, _, page) = v.get("/e/negative-list").await;
    assert!(page.contains("尚未发布负面清单") && page.contains("从行业模板开始"));
    let (status, location, _) = post_from(
        &v,
        "/e/negative-list",
        "/e/negative-list/drafts",
        &[("from".into(), "template".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = v.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    let mut rows = item_rows(&page);
    let template_items: usize = rows[0].1.parse().unwrap();
    assert!(template_items > 1);
    let first_code = rows[1].1.clone();

    // A row added without JavaScript, then filled in with a code already used: told beside it.
    rows.push(("add".into(), "1".into()));
    let (status, _, page) = post_from(&v, &location, &location, &rows).await;
    assert_eq!(status, StatusCode::OK);
    let mut rows = item_rows(&page);
    assert_eq!(rows[0].1, (template_items + 1).to_string());
    let last = template_items;
    for (k, val) in rows.iter_mut() {
        match k.as_str() {
            k if k == format!("item[{last}].code") => *val = first_code.clone(),
            k if k == format!("item[{last}].title") => *val = "动火作业未办理作业票".into(),
            k if k == format!("item[{last}].description") => *val = "未经审批进行动火作业".into(),
            _ => {}
        }
    }
    rows.push(("action".into(), "publish".into()));
    let (status, _, page) = post_from(&v, &location, &location, &rows).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains(&format!("id=\"item-{last}-error\"")),
        "{page}"
    );
    assert!(
        page.contains("value=\"动火作业未办理作业票\""),
        "typed kept"
    );
    let lists = app.get_json("/api/v1/negative-lists", Some(&token)).await;
    assert_eq!(lists["items"][0]["status"], "draft", "nothing published");

    // With its own code it publishes.
    for (k, val) in rows.iter_mut() {
        if *k == format!("item[{last}].code") {
            *val = "DH-01".into();
        }
    }
    let (status, _, _) = post_from(&v, &location, &location, &rows).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let current = app
        .get_json(
            &format!("/api/v1/enterprises/{id}/negative-list"),
            Some(&token),
        )
        .await;
    assert_eq!(current["version"], 1);
    assert_eq!(
        current["items"].as_array().unwrap().len(),
        template_items + 1
    );
    let (_, _, page) = v.get("/e/negative-list").await;
    assert!(page.contains("现行清单：第 1 版") && page.contains("动火作业未办理作业票"));
    assert!(page.contains("在现行版本基础上修订"));

    // A violation of the list in force (an hour after it was published): a resident ID
    // number is refused beside its field.
    app.clock.advance(chrono::Duration::hours(1));
    let violation = |employee: &str| {
        vec![
            ("item_code".to_owned(), "DH-01".to_owned()),
            ("employee_ref".to_owned(), employee.to_owned()),
            ("occurred_at".to_owned(), "2026-06-01T09:30".to_owned()),
            ("location".to_owned(), "二号罐区".to_owned()),
            (
                "description".to_owned(),
                "未办理动火作业票即进行焊接".to_owned(),
            ),
            ("handling".to_owned(), "warning".to_owned()),
        ]
    };
    // Told together with a time the page cannot read.
    let mut bad = violation("11010519491231002X");
    bad[2].1 = "yesterday".into();
    let (status, _, page) =
        post_from(&v, "/e/negative-list", "/e/negative-list/violations", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"v-employee_ref-error\"") && page.contains("二号罐区"));
    assert!(page.contains("id=\"v-occurred_at-error\"") && page.contains("value=\"yesterday\""));
    let (status, _, _) = post_from(
        &v,
        "/e/negative-list",
        "/e/negative-list/violations",
        &violation("E-007"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = v.get("/e/negative-list").await;
    assert!(page.contains("E-007") && page.contains("警告"));
    assert!(
        page.contains("去年同期没有违规记录"),
        "year on year: none last year"
    );
    let figures =
        &page[page.find("id=\"figures\"").unwrap()..page.find("id=\"violations\"").unwrap()];
    assert!(
        figures.contains("<dt>今年以来违规次数</dt><dd>1</dd>"),
        "{figures}"
    );
}

#[tokio::test]
async fn every_field_type_is_rendered_from_the_permit_types_and_an_unknown_service_is_404() {
    let app = TestApp::spawn().await;
    let (_, _, v) = signed_in(&app, "fireworks").await;
    let (status, _, page) = v.get("/e/apply").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/e/apply/fireworks_retail") && page.contains("秒批"));
    for (code, control) in [
        (
            "fireworks_retail",
            "name=\"f.max_stock_boxes\" value=\"\" inputmode=\"numeric\"",
        ),
        (
            "fireworks_retail",
            "name=\"f.premises_area_m2\" value=\"\" inputmode=\"decimal\"",
        ),
        (
            "hazchem_business_change",
            "type=\"checkbox\" id=\"f-changed_items-principal\" name=\"f.changed_items\"",
        ),
        (
            "hazchem_business_reissue",
            "<select id=\"f-reason\" name=\"f.reason\"",
        ),
        (
            "safety_training_filing",
            "name=\"f.issued_on\" value=\"\" type=\"date\"",
        ),
        (
            "safety_training_filing",
            "<option value=\"safety_manager\">安全管理人员</option>",
        ),
        ("major_hazard_source_filing", "name=\"f.chemicals[0].name\""),
    ] {
        let (status, _, page) = v.get(&format!("/e/apply/{code}")).await;
        assert_eq!(status, StatusCode::OK, "{code}");
        assert!(page.contains(control), "{code}: {control}: {page}");
    }
    // In English, the labels too.
    let (_, _, page) = v.get("/e/apply/major_hazard_source_filing?lang=en").await;
    assert!(
        page.contains("CAS number") && page.contains("Add a row"),
        "{page}"
    );
    let (_, _, _) = v.get("/e/?lang=zh-CN").await;
    let (status, _, page) = v.get("/e/apply/no_such_service").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("页面不存在"));
}

#[tokio::test]
async fn a_reviewed_service_waits_with_its_due_date_and_may_be_withdrawn_once() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "RV").await;
    let here = "/e/apply/hazchem_business_storage";
    let mut fields = hazchem_fields("RV", "submit");
    fields.push((
        "f.storage_address".into(),
        "市北区港华路12号危化品仓库".into(),
    ));
    fields.push(("f.storage_capacity_m3".into(), "1200".into()));
    let (status, location, page) = post_from(&v, here, here, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let id = id_in(&location);
    let due = app
        .get_json(&format!("/api/v1/applications/{id}"), Some(&token))
        .await["due_on"]
        .as_str()
        .unwrap()
        .to_owned();
    let due = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap();
    let (_, _, page) = v.get(&location).await;
    let words = format!(
        "正在审查，将于 {}年{}月{}日 前作出决定",
        chrono::Datelike::year(&due),
        chrono::Datelike::month(&due),
        chrono::Datelike::day(&due)
    );
    assert!(page.contains(&words), "{words}: {page}");
    assert!(page.contains("撤回申请"));

    let detail = format!("/e/applications/{id}");
    let withdraw = format!("/e/applications/{id}/withdraw");
    let (status, _, _) = post_from(&v, &detail, &withdraw, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = v.get(&detail).await;
    assert!(page.contains("已撤回") && !page.contains("撤回申请"));
    let csrf = hidden(&page, "csrf");
    let (status, _, page) = v.post(&withdraw, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("无法撤回"));
    let (_, _, list) = v.get("/e/applications?status=withdrawn").await;
    assert!(list.contains(&format!("/e/applications/{id}")));
}

#[tokio::test]
async fn a_licence_near_its_expiry_is_on_the_workbench_and_renewed_from_its_certificate() {
    let app = TestApp::spawn().await;
    let (id, token, _) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "EX").await;
    let approved = submit_new(&app, &token, HAZCHEM, hazchem_form("EX")).await;
    let number = approved["certificate"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // 34 months on, the 36-month licence expires within 90 days.
    app.clock.advance(chrono::Duration::days(34 * 30));
    let username = format!("ent{}", app.next());
    app.create_user_direct(&username, Role::Enterprise, Some(id))
        .await;
    let v = Visitor::new(&app);
    v.sign_in(&username, PASSWORD).await;
    let (_, _, page) = v.get("/e/").await;
    let todo = &page[page.find("id=\"todo\"").unwrap()..page.find("id=\"apps\"").unwrap()];
    assert!(
        todo.contains("90 天内到期的许可证") && todo.contains(&number),
        "{todo}"
    );

    let cert = format!("/e/certificates/{}", approved["certificate_id"]);
    let (_, _, page) = v.get(&cert).await;
    let renew = format!("/e/apply/hazchem_business_renewal?certificate={number}");
    assert!(page.contains(&renew));
    let fields = vec![
        ("f.certificate_no".to_owned(), number.clone()),
        ("commitment".to_owned(), "yes".to_owned()),
        ("action".to_owned(), "submit".to_owned()),
    ];
    let (status, location, _) =
        post_from(&v, &renew, "/e/apply/hazchem_business_renewal", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = v.get(&location).await;
    assert!(page.contains("已批准，电子证照已签发"), "{page}");
    let (_, _, page) = v.get(&cert).await;
    assert!(
        page.contains("已被替代") && !page.contains(&renew),
        "the old one is superseded"
    );
}

#[tokio::test]
async fn a_reviewers_decision_is_received_on_the_workbench_with_its_reason() {
    let app = TestApp::spawn().await;
    let (_, token, v) = signed_in(&app, "hazardous_chemicals").await;
    file_prerequisites(&app, &token, "RD").await;
    let mut form = hazchem_form("RD");
    form["storage_address"] = json!("市北区港华路12号危化品仓库");
    form["storage_capacity_m3"] = json!(1200);
    let queued = submit_new(&app, &token, "hazchem_business_storage", form).await;
    assert_eq!(queued["status"], "under_review");
    let reviewer = app.token_for(Role::Reviewer, None).await;
    let res = app
        .post(
            &format!("/api/v1/applications/{}/decision", queued["id"]),
            Some(&reviewer),
            &json!({"decision": "reject", "reason": "储存设施与居民区的安全距离不符合要求"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, _, page) = v.get("/e/").await;
    let todo = &page[page.find("id=\"todo\"").unwrap()..page.find("id=\"apps\"").unwrap()];
    assert!(todo.contains("已收到的审查决定") && todo.contains(queued["number"].as_str().unwrap()));
    let (_, _, page) = v.get(&format!("/e/applications/{}", queued["id"])).await;
    assert!(page.contains("储存设施与居民区的安全距离不符合要求") && page.contains("未通过"));
    assert!(
        page.contains("审批人员"),
        "the timeline names the reviewer's role"
    );
}

/// `seed demo` gives the enterprise pages something to show: 金岭矿业's account sees its order
/// in force with the major hazard that blocks lifting it.
#[tokio::test]
async fn the_demo_mine_sees_its_order_in_force_on_its_pages() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let users = app
        .get_json("/api/v1/users?limit=100", Some(&app.admin_token))
        .await;
    let id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ent.jinling")
        .expect("the demo mine's account")["id"]
        .as_i64()
        .unwrap();
    let password = "jinling-demo-password";
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            &json!({"password": password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = Visitor::new(&app);
    assert_eq!(v.sign_in("ent.jinling", password).await, "/e/");
    let (status, _, page) = v.get("/e/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("暂无"), "{page}");
    let (_, _, workbench) = v.get("/e/").await;
    assert!(workbench.contains("平度金岭石材矿业有限公司"));
}
