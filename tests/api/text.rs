//! SPEC 6 "Text": every string a client can send is stored as sent or refused with a 422 naming
//! it; never a 500, on either backend.
//!
//! The walker is driven by the served OpenAPI document, so a new route is covered without a line
//! here: for every operation, every string field of its request body (`$ref`s resolved, nested
//! objects, arrays of objects), every string query parameter and every path parameter gets
//! U+0000 and, separately, a 100,000-character string, with a token of a role the route names,
//! against real records (the demo data set, and a filed report for the receipt routes). The rest
//! of each body is a plausible valid value, so that a long text reaches the use case and the
//! database.

use std::collections::BTreeMap;

use anjian::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{PASSWORD, TestApp, credit_code, fields};

const LONG: usize = 100_000;
const NUL_TEXT: &str = "a\u{0}b";

/// Fields whose value is never answered back by design (secrets, and the reporter's sealed
/// contact): a 2xx for them cannot be read back, only survived.
const NEVER_ECHOED: &[&str] = &[
    "password",
    "new_password",
    "current_password",
    "receipt",
    "reporter",
    "payee",
];

struct Walk {
    app: TestApp,
    doc: Value,
    admin: String,
    enterprise: String,
    inspector: String,
    ent: i64,
    campaign: i64,
    inspectors: Vec<i64>,
    receipt: String,
    failures: Vec<String>,
    /// Requests answered 2xx or 422 (reached the handler and was judged), by variant.
    judged: BTreeMap<&'static str, usize>,
    sent: usize,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The schema's types (`"string"`, `["string", "null"]`, a `oneOf` with null).
fn types(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        return alts.iter().flat_map(|a| types(doc, a)).collect();
    }
    match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ if schema.get("properties").is_some() || schema.get("allOf").is_some() => {
            vec!["object".into()]
        }
        _ => vec![],
    }
}

/// The non-null alternative of a nullable `oneOf`.
fn concrete<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array)
        && let Some(alt) = alts.iter().find(|a| a["type"] != "null")
    {
        return concrete(doc, alt);
    }
    schema
}

/// An object schema's properties, `allOf` parts merged.
fn properties(doc: &Value, schema: &Value) -> Map<String, Value> {
    let schema = resolve(doc, schema);
    let mut out = Map::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            out.extend(properties(doc, part));
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.clone());
    }
    out
}

impl Walk {
    fn next(&self) -> u32 {
        self.app.next()
    }

    /// A plausible valid value for a field, by its name and schema.
    fn value(&self, name: &str, schema: &Value) -> Value {
        let doc = &self.doc;
        let s = concrete(doc, schema);
        // Two enumerations share the component name `Category` (a violation's and a report's)
        // and the document shows one of them; `other` is a value of both.
        if name == "category" {
            return json!("other");
        }
        // An account bound to the enterprise the walk sends as `enterprise_id`.
        if name == "role" {
            return json!("enterprise");
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return values[0].clone();
        }
        let today = self.app.clock.today(self.app.state.config.timezone);
        let ty = types(doc, s);
        let n = self.next();
        if ty.iter().any(|t| t == "object") {
            let mut obj = Map::new();
            let props = properties(doc, s);
            if props.is_empty() {
                obj.insert("note".into(), json!("一段说明"));
            }
            let required: Vec<&str> = resolve(doc, s)["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, prop) in props {
                // An optional number or flag is left out (a fine without handling `fine`, a
                // campaign closed early); an optional text is sent, to be walked.
                let scalar = !types(doc, &prop)
                    .iter()
                    .any(|t| ["string", "object", "array"].contains(&t.as_str()));
                let wanted = ["enterprise_id", "campaign_id"].contains(&key.as_str());
                if scalar && !wanted && !required.contains(&key.as_str()) {
                    continue;
                }
                obj.insert(key.clone(), self.value(&key, &prop));
            }
            return Value::Object(obj);
        }
        if ty.iter().any(|t| t == "array") {
            let item = &s["items"];
            return match name {
                "member_ids" | "inspector_ids" => json!(self.inspectors),
                "penalty_ids" | "industries" if types(doc, item).contains(&"integer".into()) => {
                    json!([])
                }
                "industries" => json!(["construction"]),
                _ => json!([self.value(name, item)]),
            };
        }
        if ty.iter().any(|t| t == "integer") {
            return match name {
                "enterprise_id" => json!(self.ent),
                "campaign_id" => json!(self.campaign),
                "inspector_id" | "leader_id" => json!(self.inspectors[0]),
                "statutory_days" => json!(20),
                "validity_months" => json!(12),
                "concealed_deaths" => json!(0),
                n if n.ends_with("_id") || n == "duplicate_of" => Value::Null,
                _ => json!(100_000),
            };
        }
        if ty.iter().any(|t| t == "number") {
            return json!(0.2);
        }
        if ty.iter().any(|t| t == "boolean") {
            return json!(name == "commitment_accepted");
        }
        match s["format"].as_str() {
            Some("date") => return json!(today.to_string()),
            Some("date-time") => {
                return json!(anjian::clock::rfc3339(
                    self.app.clock.now_naive() - chrono::Duration::minutes(1)
                ));
            }
            _ => {}
        }
        json!(match name {
            "credit_code" | "enterprise_credit_code" => credit_code(900_000 + n),
            "industry" => "construction".into(),
            "district" | "home_district" => "shinan".into(),
            "target_district" => "licang".into(),
            "username" => format!("user{n}"),
            "password" | "new_password" => format!("{PASSWORD} {n}"),
            "current_password" => PASSWORD.into(),
            "receipt" => self.receipt.clone(),
            "permit_type" => "emergency_plan_filing".into(),
            "code" => format!("T{n}"),
            "situation_code" => return Value::Null,
            "item_code" => "C-01".into(),
            "employee_ref" => format!("E{n:04}"),
            "kind" => "fixed".into(),
            "phone" => "13800000000".into(),
            "email" => "someone@example.cn".into(),
            "bank_account" => "6222020200112233445".into(),
            "decision_no" => format!("青应急罚〔2026〕{n}号"),
            "reference" => format!("TRF{n}"),
            _ => format!("测试文本第{n}号，足够长的一段说明文字用于校验。"),
        })
    }

    /// Every string field of a body schema, as paths of keys and array indexes.
    fn string_paths(&self, schema: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        let doc = &self.doc;
        let s = concrete(doc, schema);
        let ty = types(doc, s);
        if ty.iter().any(|t| t == "string") && s.get("enum").is_none() {
            out.push(prefix.clone());
        } else if ty.iter().any(|t| t == "array") {
            prefix.push(json!(0));
            self.string_paths(&s["items"], prefix, out);
            prefix.pop();
        } else if ty.iter().any(|t| t == "object") {
            let props = properties(doc, s);
            if props.is_empty() {
                // A free-form object (an application's form): its keys are the client's.
                prefix.push(json!("note"));
                out.push(prefix.clone());
                prefix.pop();
            }
            for (key, prop) in props {
                prefix.push(json!(key));
                self.string_paths(&prop, prefix, out);
                prefix.pop();
            }
        }
    }

    fn token_for(&self, op: &Value) -> Option<String> {
        let roles: Vec<&str> = op["x-roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if roles.contains(&"admin") {
            Some(self.admin.clone())
        } else if roles.contains(&"enterprise") {
            Some(self.enterprise.clone())
        } else if roles.contains(&"inspector") {
            Some(self.inspector.clone())
        } else {
            None
        }
    }

    /// Real values for a path parameter: from the list at the path's prefix (or a list of the
    /// same collection elsewhere, e.g. `/public/certificates/{number}` from `/certificates`),
    /// read with the operation's token.
    fn candidates<'a>(
        &'a self,
        path: &'a str,
        param: &'a str,
        token: Option<&'a str>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>> {
        Box::pin(self.candidates_of(path, param, token))
    }

    async fn candidates_of(&self, path: &str, param: &str, token: Option<&str>) -> Vec<String> {
        let marker = format!("/{{{param}}}");
        let prefix = &path[..path.find(&marker).unwrap()];
        let collection = prefix.rsplit('/').next().unwrap();
        let mut lists = vec![prefix.to_owned()];
        for other in self.doc["paths"].as_object().unwrap().keys() {
            if other != prefix && other.ends_with(&format!("/{collection}")) {
                lists.push(other.clone());
            }
        }
        for mut list in lists {
            if self.doc["paths"][&list]["get"].is_null() {
                continue;
            }
            // A nested list (`/campaigns/{id}/tasks`): its own parameters from their lists.
            while let Some(start) = list.find('{') {
                let end = start + list[start..].find('}').unwrap();
                let inner = list[start + 1..end].to_owned();
                let pattern = list.clone();
                let Some(value) = self
                    .candidates(&pattern, &inner, token)
                    .await
                    .into_iter()
                    .next()
                else {
                    break;
                };
                list = list.replace(&format!("{{{inner}}}"), &value);
            }
            if list.contains('{') {
                continue;
            }
            let tokens = [token.map(str::to_owned), Some(self.admin.clone())];
            for t in tokens.iter().flatten() {
                let res = self.app.get(&format!("{list}?limit=200"), Some(t)).await;
                if !res.status().is_success() {
                    continue;
                }
                let body: Value = res.json().await.unwrap_or_default();
                let items = body["items"].as_array().or(body.as_array()).cloned();
                let found: Vec<String> = items
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| {
                        let v = if param == "id" {
                            &item["id"]
                        } else if item.get(param).is_some() {
                            &item[param]
                        } else {
                            &item["code"]
                        };
                        match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        }
                    })
                    .collect();
                if !found.is_empty() {
                    return found;
                }
            }
        }
        vec![]
    }

    async fn send(
        &mut self,
        method: &Method,
        url: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, String) {
        self.sent += 1;
        let mut req = self.app.client.request(method.clone(), self.app.url(url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let res = match req.send().await {
            Ok(res) => res,
            // A URL longer than HTTP carries (hyper's 64 KiB) is refused by the client itself.
            Err(e) if e.is_builder() && url.len() > 65_000 => {
                return (StatusCode::URI_TOO_LONG, e.to_string());
            }
            Err(e) => panic!("{url:.200}: {e}"),
        };
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    }

    /// Judges one answer: never 5xx; U+0000 is 2xx (read back equal) or 422 naming `field`;
    /// a long text is 2xx (read back equal) or refused with a 4xx.
    #[allow(clippy::too_many_arguments)]
    async fn judge(
        &mut self,
        what: &str,
        variant: &'static str,
        field: &str,
        sent: &str,
        status: StatusCode,
        text: &str,
        read_back: Option<String>,
        token: Option<&str>,
    ) {
        if status.is_server_error() {
            self.failures
                .push(format!("{what} [{variant}] {field}: {status} {text:.300}"));
            return;
        }
        if std::env::var_os("TEXT_WALK_TRACE").is_some() {
            let problem: Value = serde_json::from_str(text).unwrap_or_default();
            eprintln!(
                "TRACE {} {what} [{variant}] {field} -> {:?} {}",
                status.as_u16(),
                fields(&problem),
                problem["errors"][0]["message"]
                    .as_str()
                    .or(problem["detail"].as_str())
                    .unwrap_or_default()
                    .chars()
                    .take(120)
                    .collect::<String>()
            );
        }
        // The login's one answer for a name no account can have (SPEC 1.5, 6).
        if variant == "nul"
            && status == StatusCode::UNAUTHORIZED
            && text.contains("\"invalid_credentials\"")
        {
            *self.judged.entry(variant).or_default() += 1;
            return;
        }
        if status.is_success() && what.starts_with("GET ") {
            // A filter that matched nothing or something: read, never stored.
            *self.judged.entry(variant).or_default() += 1;
            return;
        }
        if status.is_success() {
            *self.judged.entry(variant).or_default() += 1;
            let echoed = text.contains(&json_text(sent));
            let secret = NEVER_ECHOED
                .iter()
                .any(|s| field.split('.').any(|p| p == *s));
            let mut found = echoed;
            if !found && let Some(url) = read_back {
                let (s, t) = self.send(&Method::GET, &url, token, None).await;
                found = s.is_success() && t.contains(&json_text(sent));
            }
            if !found && !secret {
                self.failures.push(format!(
                    "{what} [{variant}] {field}: {status}, not read back equal"
                ));
            }
            return;
        }
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            *self.judged.entry(variant).or_default() += 1;
        }
        if variant == "nul" {
            let problem: Value = serde_json::from_str(text).unwrap_or_default();
            let named = fields(&problem).iter().any(|f| f == field);
            if status != StatusCode::UNPROCESSABLE_ENTITY || !named {
                self.failures
                    .push(format!("{what} [nul] {field}: {status} {text:.300}"));
            }
        }
    }
}

/// How a text appears inside a JSON answer.
fn json_text(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

fn set(body: &mut Value, path: &[Value], to: Value) {
    let mut at = body;
    for (i, key) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        at = match key {
            Value::String(k) => {
                let obj = at.as_object_mut().unwrap();
                if last {
                    obj.insert(k.clone(), to);
                    return;
                }
                obj.get_mut(k).unwrap()
            }
            Value::Number(n) => {
                let arr = at.as_array_mut().unwrap();
                let i = n.as_u64().unwrap() as usize;
                if last {
                    arr[i] = to;
                    return;
                }
                &mut arr[i]
            }
            _ => unreachable!(),
        };
    }
    *at = to;
}

/// `fields.items[2].name` from `["fields", "items", 2, "name"]`.
fn field_name(path: &[Value]) -> String {
    let mut out = String::new();
    for key in path {
        match key {
            Value::Number(n) => out.push_str(&format!("[{n}]")),
            Value::String(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            _ => unreachable!(),
        }
    }
    out
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn setup() -> Walk {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    // The demo data is written at the system clock's time: the server's clock joins it.
    app.clock.set(chrono::Utc::now());
    let admin = app.quick_token_for(Role::Admin, None).await;
    let inspector = app.quick_token_for(Role::Inspector, None).await;
    let hazards = app
        .get_json("/api/v1/hazards?limit=200", Some(&admin))
        .await;
    let ent = hazards["items"][0]["enterprise_id"].as_i64().unwrap();
    let enterprise = app.quick_token_for(Role::Enterprise, Some(ent)).await;
    let users = app.get_json("/api/v1/users?limit=200", Some(&admin)).await;
    let inspectors: Vec<i64> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "inspector" && u["disabled"] != true)
        .map(|u| u["id"].as_i64().unwrap())
        .take(2)
        .collect();
    assert_eq!(inspectors.len(), 2, "the demo data has two inspectors");
    let res = app
        .post(
            "/api/v1/public/reports",
            None,
            &json!({"industry": "construction", "category": "other",
                "description": "深基坑开挖超过五米未按专项方案支护，工人仍在坑底作业。",
                "is_employee": false}),
        )
        .await;
    let status = res.status();
    let filed: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let receipt = filed["receipt"].as_str().unwrap().to_owned();
    // A draft of the enterprise's negative list, for the routes that edit one.
    let draft = app
        .post(
            "/api/v1/negative-lists",
            Some(&enterprise),
            &json!({"from": "current"}),
        )
        .await;
    assert!(
        draft.status().is_success(),
        "{}",
        draft.text().await.unwrap()
    );
    let campaigns = app.get_json("/api/v1/campaigns", Some(&admin)).await;
    let campaign = campaigns["items"][0]["id"].as_i64().unwrap();
    let doc = app.get_json("/api/openapi.json", None).await;
    Walk {
        app,
        doc,
        admin,
        enterprise,
        inspector,
        ent,
        campaign,
        inspectors,
        receipt,
        failures: Vec::new(),
        judged: BTreeMap::new(),
        sent: 0,
    }
}

#[tokio::test]
async fn every_text_of_every_operation_is_stored_as_sent_or_refused_naming_it() {
    let mut w = setup().await;
    let long = "a".repeat(LONG);
    let paths: Vec<(String, Value)> = w.doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, v)| (p.clone(), v.clone()))
        .collect();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            // They end the caller's sessions, or leave the API: covered where they live.
            if path.ends_with("/logout-all") || !path.starts_with("/api/v1/") {
                continue;
            }
            operations += 1;
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let token = w.token_for(op);
            let params: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
            let path_params: Vec<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            // Real records for the path, a few each, for a route whose record must be in a
            // given state (a 404 or 409 there sends the request to the next candidate).
            let mut urls = vec![path.clone()];
            let mut firsts = Vec::new();
            for param in &path_params {
                let values = w.candidates(&path, param, token.as_deref()).await;
                assert!(
                    !values.is_empty(),
                    "{method} {path}: no record for {{{param}}}"
                );
                firsts.push((param.clone(), values[0].clone()));
                urls = urls
                    .iter()
                    .flat_map(|u| {
                        values
                            .iter()
                            .take(30)
                            .map(|v| u.replace(&format!("{{{param}}}"), &encode(v)))
                    })
                    .take(30)
                    .collect();
            }
            let what = format!("{} {path}", method.to_uppercase());
            let t = token.as_deref();

            // Path parameters: U+0000, a long segment the server reads (10,000 characters), and
            // 100,000 (past what HTTP carries in a request line).
            let url_texts = [
                ("nul", NUL_TEXT),
                ("long", &long[..10_000]),
                ("long", long.as_str()),
            ];
            for param in &path_params {
                for (variant, text) in url_texts {
                    let mut url = path.replace(&format!("{{{param}}}"), &encode(text));
                    for (other, value) in &firsts {
                        url = url.replace(&format!("{{{other}}}"), &encode(value));
                    }
                    let body = op
                        .get("requestBody")
                        .map(|_| ("application/json", b"{}".to_vec()));
                    let (status, answer) = w.send(&m, &url, t, body).await;
                    w.judge(&what, variant, param, text, status, &answer, None, t)
                        .await;
                }
            }

            // String query parameters.
            for p in params.iter().filter(|p| p["in"] == "query") {
                let ty = types(&w.doc, &p["schema"]);
                if !ty.iter().any(|t| t == "string") {
                    continue;
                }
                let name = p["name"].as_str().unwrap().to_owned();
                for (variant, text) in url_texts {
                    let url = format!("{}?{name}={}", urls[0], encode(text));
                    let (status, answer) = w.send(&m, &url, t, None).await;
                    w.judge(&what, variant, &name, text, status, &answer, None, t)
                        .await;
                }
            }

            let Some(schema) = op["requestBody"]["content"]["application/json"]
                .get("schema")
                .cloned()
            else {
                continue;
            };

            // Headers the service reads: an Idempotency-Key it cannot keep is named (the
            // header cannot carry U+0000 at all: HTTP refuses it before the service).
            if params.iter().any(|p| p["name"] == "Idempotency-Key") {
                let body = serde_json::to_vec(&w.value("", &schema)).unwrap();
                let mut req = w.app.client.request(m.clone(), w.app.url(&urls[0]));
                if let Some(t) = t {
                    req = req.bearer_auth(t);
                }
                let res = req
                    .header("idempotency-key", "k".repeat(1_000))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let answer: Value = res.json().await.unwrap_or_default();
                let named = fields(&answer).iter().any(|f| f == "Idempotency-Key");
                if status != StatusCode::UNPROCESSABLE_ENTITY || !named {
                    w.failures
                        .push(format!("{what} Idempotency-Key: {status} {answer}"));
                }
            }

            // Every string field of the body.
            let mut string_paths = Vec::new();
            w.string_paths(&schema, &mut Vec::new(), &mut string_paths);
            let is_array = types(&w.doc, &schema).contains(&"array".into());
            for field_path in string_paths {
                let field = field_name(&field_path);
                for (variant, text) in [("nul", NUL_TEXT), ("long", long.as_str())] {
                    let mut outcome = None;
                    for url in &urls {
                        let mut body = w.value("", &schema);
                        set(&mut body, &field_path, json!(text));
                        let bytes = serde_json::to_vec(&body).unwrap();
                        let (status, answer) =
                            w.send(&m, url, t, Some(("application/json", bytes))).await;
                        let retry = matches!(status.as_u16(), 404 | 409);
                        outcome = Some((url.clone(), status, answer));
                        if !retry {
                            break;
                        }
                    }
                    let (url, status, answer) = outcome.unwrap();
                    let read_back = read_back_url(&w.doc, &path, &url, &answer);
                    w.judge(&what, variant, &field, text, status, &answer, read_back, t)
                        .await;
                    // The same rows as a CSV file, where the route reads one.
                    if is_array && variant == "nul" {
                        let body = w.value("", &schema);
                        let csv = csv_of(&body, &field_path, text);
                        if let Some(csv) = csv {
                            let (status, answer) =
                                w.send(&m, &urls[0], t, Some(("text/csv", csv))).await;
                            if status != StatusCode::UNSUPPORTED_MEDIA_TYPE {
                                w.judge(&what, "nul", &field, text, status, &answer, None, t)
                                    .await;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        w.failures.is_empty(),
        "{} of {} requests failed:\n{}",
        w.failures.len(),
        w.sent,
        w.failures.join("\n")
    );
    // The walk reached the handlers: it covered the document, and each variant was judged
    // (2xx or 422) many times, not only refused before a handler ran.
    assert!(operations >= 60, "{operations} operations");
    assert!(
        w.judged.get("nul").copied().unwrap_or(0) >= 100,
        "{:?}",
        w.judged
    );
    assert!(
        w.judged.get("long").copied().unwrap_or(0) >= 60,
        "{:?}",
        w.judged
    );
}

/// Where a 2xx's stored value can be read: the created record (`{collection}/{id}`), or the
/// record the operation acted on (the path up to its `{id}`), when the document serves a GET.
fn read_back_url(doc: &Value, pattern: &str, url: &str, answer: &str) -> Option<String> {
    let answer: Value = serde_json::from_str(answer).unwrap_or_default();
    let paths = doc["paths"].as_object()?;
    if let Some(id) = answer["id"].as_i64() {
        let item = format!("{pattern}/{{id}}");
        if paths.get(&item).is_some_and(|p| p.get("get").is_some()) {
            return Some(format!("{url}/{id}"));
        }
    }
    let end = pattern.find("/{id}")? + "/{id}".len();
    let item = &pattern[..end];
    if paths.get(item).is_none_or(|p| p.get("get").is_none()) {
        return None;
    }
    let depth = item.matches('/').count();
    Some(url.split('/').take(depth + 1).collect::<Vec<_>>().join("/"))
}

/// An array body of flat objects as CSV (header row and one line per row), the text put in
/// the field's cell; `None` when the rows are not flat.
fn csv_of(body: &Value, path: &[Value], text: &str) -> Option<Vec<u8>> {
    let rows = body.as_array()?;
    let first = rows.first()?.as_object()?;
    let [Value::Number(_), Value::String(column)] = path else {
        return None;
    };
    let names: Vec<&String> = first.keys().collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(names.iter().map(|n| n.as_str())).ok()?;
    for row in rows {
        let cells: Vec<String> = names
            .iter()
            .map(|n| {
                if *n == column {
                    return text.to_owned();
                }
                match &row[n.as_str()] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                }
            })
            .collect();
        writer.write_record(&cells).ok()?;
    }
    writer.into_inner().ok()
}

#[tokio::test]
async fn a_login_with_a_name_no_account_can_have_is_invalid_credentials_and_throttled() {
    let app = TestApp::spawn().await;
    for name in ["ro\u{0}ot".to_owned(), "r".repeat(LONG)] {
        for attempt in 1..=6 {
            let res = app
                .post(
                    "/api/v1/auth/login",
                    None,
                    &json!({"username": name, "password": "whatever it is"}),
                )
                .await;
            let expected = if attempt <= 5 { 401 } else { 429 };
            let body: Value = res.json().await.unwrap_or_default();
            assert_eq!(body["status"], expected, "attempt {attempt}: {body}");
            let code = if attempt <= 5 {
                "invalid_credentials"
            } else {
                "rate_limited"
            };
            assert_eq!(body["code"], code);
        }
    }
    // A password holding U+0000 is simply a wrong one.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "root", "password": "a\u{0}b"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
